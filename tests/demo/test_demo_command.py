"""The README's first command, `hallq demo`, run as a newcomer runs it.

Tried: `hallq demo` as a real process in an empty folder (its own port and data folder, the
machine's own sound situation: on these machines no sound card), until a simulated citizen has
been called to a window, then Ctrl+C. Kept: the hub answers, the simulated hall works (a window
has a ticket called), the board address and kiosk command it prints work as printed, the console shows the demo's own lines and the hall's log and none of the
noise it used to carry (pygame's greeting, one "Audio saved to" line per voice clip, pages of
libasound errors per zone), no traceback or error is logged, and Ctrl+C ends it cleanly.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.hub_process import HALLQ, free_port


def _get(url: str) -> object | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode("utf-8"))


def _me(base: str, token: str) -> dict[str, str]:
    request = urllib.request.Request(f"{base}/auth/me", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        me = json.loads(response.read())
    return {"name": me["name"], "role": me["role"]}


def _wait_for(what: str, check, process: subprocess.Popen[bytes], limit_s: float = 120.0) -> object:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit_s  # a liveness bound, not a speed claim
    while time.monotonic() < deadline:
        assert process.poll() is None, f"hallq demo exited ({process.returncode}) before {what}"
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"no {what} within {limit_s:.0f} s")


def test_hallq_demo_runs_the_hall_quietly_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_AUDIODRIVER", "PYGAME_HIDE_SUPPORT_PROMPT")}
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen([HALLQ, "demo", "--port", str(port), "--speed", "60"],
                                   cwd=tmp_path, env=env, stdout=out, stderr=err)
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            _wait_for("health check", lambda: _get(f"{base}/health"), process)

            def a_called_ticket() -> list[str]:
                windows = _get(f"{base}/windows") or []
                return [w["current_ticket"]["number"] for w in windows if w["current_ticket"]]  # type: ignore[index, union-attr]

            called = _wait_for("citizen called to a window", a_called_ticket, process)
            assert called
            # The pages it prints open as printed: the board's and the kiosk's tokens are the
            # demo devices' own (a board opened without one says it is not authorised).
            printed = out_path.read_text(encoding="utf-8")
            board_url = re.search(r"^demo board: (\S+)", printed, re.M)
            # The commands it prints run as printed from any shell: the venv's own hallq (a bare
            # `hallq` was not found in a shell without the venv activated).
            kiosk_token = re.search(rf"^demo kiosk: {re.escape(HALLQ)} kiosk --hub (\S+) --token (\S+) --windowed --demo$", printed, re.M)
            assert board_url and kiosk_token, printed[:2000]
            board = urllib.parse.urlsplit(board_url.group(1))
            query = urllib.parse.parse_qs(board.query)
            assert (board.netloc, board.path, query["zone"]) == (f"127.0.0.1:{port}", "/board", ["A"])
            assert "叫号屏" in _page(board_url.group(1))
            # The address it prints last opens a page naming the others (it was 404 Not Found).
            home = _page(f"http://127.0.0.1:{port}/")
            links = re.findall(r'href="(/\w+)"', home)
            assert "窗口呼叫器" in home and links == ["/pad", "/dashboard", "/reports"], links
            assert all(_page(f"http://127.0.0.1:{port}{link}").startswith("<!doctype html>") for link in links)
            assert kiosk_token.group(1) == f"http://127.0.0.1:{port}"
            assert _me(base, query["token"][0]) == {"name": "demo-board", "role": "display"}
            assert _me(base, kiosk_token.group(2)) == {"name": "demo-kiosk", "role": "kiosk"}
            # The tickets' QR codes point at this demo's own port; two windows are left free.
            assert _get(f"{base}/hall")["status_base_url"] == f"http://127.0.0.1:{port}/t/"  # type: ignore[index]
            windows = {w["id"]: w["state"] for w in _get(f"{base}/windows")}  # type: ignore[union-attr]
            assert (windows["W01"], windows["W19"]) == ("closed", "closed") and "windows W01 and W19 are left free" in printed
            # Where its data is and how to report on it (hallq report reads ./data, not the demo's folder).
            data = re.search(rf"^demo data: (\S+) \(reports: {re.escape(HALLQ)} report --data (\S+) --from", printed, re.M)
            assert data and Path(data.group(1)) == Path(data.group(2)) / "hallq.db" and (tmp_path / data.group(1)).is_file()
            assert re.search(r"^demo data: .* --out report\.html --config /\S+\)$", printed, re.M), "the hall the demo runs"
        finally:
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    stdout = out_path.read_text(encoding="utf-8")
    stderr = err_path.read_text(encoding="utf-8")
    assert code == 0, stderr[-3000:]
    assert stdout.startswith("demo: hall clock starts"), stdout[:500]
    assert "demo accounts: admin/demo-key-7310" in stdout
    assert f"Running on http://127.0.0.1:{port}" in stdout
    for noise in ("pygame", "Audio saved", "ALSA lib"):
        assert noise not in stdout + stderr, f"{noise!r} on the console"
    assert "Traceback" not in stderr and " ERROR " not in stderr, stderr[-3000:]
    # Every log line says which clock its time is on (a PC left on UTC read as the hall's time).
    logged = [line for line in stderr.splitlines() if " INFO " in line or " WARNING " in line]
    assert logged and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} ", line) for line in logged), logged[:3]
    assert (tmp_path / "data" / "demo").is_dir(), "the demo keeps its data in ./data"


async def test_a_second_demo_run_prints_working_tokens_and_stops_the_first_runs(hub) -> None:
    """The demo keeps its data between runs, and a token is shown only once: a second run gives
    its board and kiosk new tokens (the first run's no longer open anything)."""
    from server.accounts import Role
    from server.api.keys import ACCOUNTS
    from server.demo import demo_device_tokens

    accounts = hub.app[ACCOUNTS]
    first = await demo_device_tokens(accounts, now=hub.engine.clock.now())
    second = await demo_device_tokens(accounts, now=hub.engine.clock.now())
    now = hub.engine.clock.now()
    assert [await accounts.authenticate(token, now=now) for token in first] == [None, None]
    roles = [(await accounts.authenticate(token, now=now)).role for token in second]  # type: ignore[union-attr]
    assert roles == [Role.DISPLAY, Role.KIOSK]


def test_the_demo_refuses_a_database_that_holds_a_halls_own_accounts(tmp_path: Path) -> None:
    """Tried: `hallq demo --db` pointed at a hall's database (one real admin in it), as a
    technician with HALLQ_DB set for the real hub might. Kept: the demo stops with a bilingual
    line and exit 2 before it seeds anything: the hall's accounts are exactly what they were, no
    the demo's admin among them."""
    data = tmp_path / "hall"
    data.mkdir()
    env = {**os.environ, "HALLQ_DB": ""}
    added = subprocess.run([HALLQ, "user", "add", "realadmin", "--role", "admin", "--data", str(data), "--password-stdin"],
                           input=b"real-pass-123\n", capture_output=True, env=env, timeout=60)
    assert added.returncode == 0, added.stderr
    demo = subprocess.run([HALLQ, "demo", "--db", f"sqlite:///{data / 'hallq.db'}", "--port", str(free_port())],
                          capture_output=True, env=env, timeout=120, cwd=tmp_path)
    err = demo.stderr.decode()
    assert demo.returncode == 2, err[-2000:]
    assert "holds a hall's own accounts (realadmin)" in err and "演示只能使用自己的数据库" in err
    assert "Traceback" not in err
    listed = subprocess.run([HALLQ, "user", "list", "--data", str(data)], capture_output=True, env=env, timeout=60)
    assert [line.split()[0] for line in listed.stdout.decode().splitlines() if line.strip()] == ["realadmin"]


def test_a_demo_on_a_taken_port_says_so_in_one_line_and_touches_nothing(tmp_path: Path) -> None:
    """Tried: `hallq demo` a second time on a port that is already taken (the first demo, another
    program). Kept: one bilingual line and exit 1 before the demo opens a database or starts its
    simulated devices (it used to print a traceback after both): no data folder is made."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        demo = subprocess.run([HALLQ, "demo", "--port", str(port)], capture_output=True, timeout=120, cwd=tmp_path,
                              env={**os.environ, "HALLQ_DB": ""})
    err = demo.stderr.decode()
    assert demo.returncode == 1, err[-2000:]
    assert f"cannot listen on 127.0.0.1:{port}: the port is already in use" in err and "端口已被占用" in err
    assert "Traceback" not in err
    assert not (tmp_path / "data").exists()


def test_port_zero_is_replaced_by_the_port_the_hub_listens_on(tmp_path: Path) -> None:
    """Tried: `--port 0` (a free port from the system). Kept: the settings the demo prints its
    pages and the tickets' QR codes from carry the port really bound; they said 127.0.0.1:0."""
    from server.cli import _on_bound_port
    from server.listen import bind_listeners
    from server.settings import HubSettings

    sockets = bind_listeners("127.0.0.1", 0)
    try:
        settings = _on_bound_port(HubSettings(config_dir=tmp_path, data_dir=tmp_path, port=0), sockets)
        assert settings.port == sockets[0].getsockname()[1] != 0
        assert _on_bound_port(HubSettings(config_dir=tmp_path, data_dir=tmp_path, port=8080), sockets).port == 8080
    finally:
        for sock in sockets:
            sock.close()
