"""`hallq kiosk` as a technician starts it on install day: a real kiosk process against a real hub
process, read through its log."""
from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.config.cli import check_config_main
from server.config.paths import default_config_dir

from tests.hub_process import HubProcess
from tests.kiosk.kiosk_process import KioskProcess


@dataclass(frozen=True)
class RunningHub:
    url: str
    kiosk_token: str


@pytest.fixture(scope="module")
def hub_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    hub = HubProcess(tmp_path_factory.mktemp("hub"))
    token = hub.cli("device", "add", "kiosk-1", "--role", "kiosk")
    asyncio.run(hub.start())
    try:
        yield RunningHub(hub.url, token)
    finally:
        hub.stop()


def test_a_kiosk_must_name_its_printer(hub_process: RunningHub) -> None:
    """Tried: `hallq kiosk --hub URL --token T`, as a technician types it, and with `--printer
    dummy:`. Kept: both refused at once, saying how to name the printer and that --demo is for
    a demo (it printed into memory and showed 请取走您的票 while no paper came out)."""
    bare = KioskProcess("--hub", hub_process.url, "--token", hub_process.kiosk_token)
    assert bare.exit_code() == 2
    assert "a kiosk must name its printer: --printer serial:" in bare.output and "--demo" in bare.output
    dummy = KioskProcess("--hub", hub_process.url, "--token", hub_process.kiosk_token, "--printer", "dummy:")
    assert dummy.exit_code() == 2
    assert "prints into memory and no paper comes out" in dummy.output and "--demo" in dummy.output


def test_a_kiosk_logs_its_printer_and_a_demo_kiosk_says_no_paper_comes_out(hub_process: RunningHub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Tried: a kiosk on a device file with the TM-T88 profile, and the demo's kiosk command
    (--demo, no --printer). Kept: each logs its printer spec and profile at start; the demo's
    warns that its printer is in memory."""
    real = KioskProcess("--hub", hub_process.url, "--token", hub_process.kiosk_token,
                        "--printer", f"file:{tmp_path / 'lp0'}", "--profile", "TM-T88")
    try:
        assert "profile TM-T88" in real.wait_for(f"printer file:{tmp_path / 'lp0'}")
    finally:
        assert real.stop() == 0, real.output[-3000:]
    assert "into memory" not in real.output

    demo = KioskProcess("--hub", hub_process.url, "--token", hub_process.kiosk_token, "--demo")
    try:
        assert "profile XP-80C" in demo.wait_for("printer dummy:")
        assert "WARNING" in demo.wait_for("prints into memory (--demo): no paper comes out")
    finally:
        assert demo.stop() == 0, demo.output[-3000:]


def test_a_kiosk_starts_without_the_sound_systems_noise(hub_process: RunningHub) -> None:
    """Tried: a kiosk started on a PC without a sound card (these machines have none; the sound
    driver left as the machine has it). Kept: no ALSA lines in its log, where pygame.init()
    started the mixer that the kiosk never uses and printed a page of them."""
    kiosk = KioskProcess("--hub", hub_process.url, "--token", hub_process.kiosk_token, "--demo")
    try:
        kiosk.wait_for("printer dummy:")  # pygame is up by then: the screen opens before the printer
    finally:
        assert kiosk.stop() == 0, kiosk.output[-3000:]
    assert "ALSA" not in kiosk.output, kiosk.output[:3000]


def test_a_kiosk_given_a_wrong_hub_address_logs_the_whole_url_and_what_answered(hub_process: RunningHub) -> None:
    """Tried: --hub with a path after the port (http://HOST:PORT/hallq), as typed from a browser's
    address bar. Kept: the log names the whole URL asked, the status and content type, and says
    this is not a HallQ hub; it said "JSONDecodeError: Extra data" about /api/v1/auth/me."""
    kiosk = KioskProcess("--hub", hub_process.url + "/hallq", "--token", hub_process.kiosk_token, "--demo")
    try:
        line = kiosk.wait_for("cannot load the catalogue")
    finally:
        assert kiosk.stop() == 0, kiosk.output[-3000:]
    assert f"GET {hub_process.url}/hallq/api/v1/auth/me: HTTP 404 (text/html): not a HallQ hub at this address?" in line
    assert "JSONDecodeError" not in kiosk.output


def test_a_kiosk_refuses_a_ticket_design_for_the_lines_check_config_prints(
    hub_process: RunningHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tried: a copy of the sample folder whose ticket.toml has a misspelt key and a paper width
    no printer has, checked with `hallq check-config`, then given to `hallq kiosk --layout`.
    Kept: the kiosk refuses to start (exit 2) naming exactly the problems check-config names: one
    set of rules, so what passes at the desk starts in the hall."""
    folder = tmp_path / "config"
    shutil.copytree(default_config_dir(), folder)
    (folder / "ticket.toml").write_text('footer = "请妥善保管此票"\nshow_qrcode = true\npaper_width_mm = 76\n', encoding="utf-8")
    assert check_config_main(folder) == 1
    *problems, summary = capsys.readouterr().out.splitlines()
    assert summary == f"2 problem(s) in {folder}"
    kiosk = KioskProcess("--hub", hub_process.url, "--token", hub_process.kiosk_token, "--demo",
                         "--layout", str(folder / "ticket.toml"))
    assert kiosk.exit_code() == 2
    logged = kiosk.output.split("ticket layout: ", 1)[1].splitlines()
    assert logged[:len(problems)] == problems, kiosk.output[-3000:]
