"""check-config checks the folder's ticket.toml (the kiosk's ticket design) by the kiosk's rules.

Before, the file was only read when a kiosk started: a technician who mistyped a key or saved it
from Notepad as GBK learned of it at the kiosk, in the hall, the next morning. Each test breaks a
private copy of the sample folder (tmp_path), reads the exact lines `hallq check-config` prints
for it, and has the kiosk's loader refuse the same file for the same reasons.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.layout import LayoutFileError, load_layout
from server.config.cli import check_config_main
from server.config.paths import default_config_dir

SAVE_AS_UTF8 = ("open it in an editor that can (Notepad++: Encoding > UTF-8; Notepad: Save as, Encoding UTF-8) "
                "and save it again")


def _folder(tmp_path: Path, ticket: bytes) -> Path:
    """The whole sample folder, with `ticket` as its ticket.toml."""
    folder = tmp_path / "config"
    shutil.copytree(default_config_dir(), folder)
    (folder / "ticket.toml").write_bytes(ticket)
    return folder


def _refused(folder: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """check-config's problem lines for `folder` (it must fail), after checking that the kiosk
    refuses the same ticket.toml with exactly these lines, on either paper width."""
    assert check_config_main(folder) == 1
    *lines, summary = capsys.readouterr().out.splitlines()
    assert summary == f"{len(lines)} problem(s) in {folder}"
    for width in (58, 80):
        with pytest.raises(LayoutFileError) as refused:
            load_layout(folder / "ticket.toml", width)
        assert str(refused.value).splitlines() == lines
    return lines


def test_every_mistake_in_the_ticket_design_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tried: a misspelt key, a paper width no printer has, a header that is not text and a logo
    that is not there, all in one file: check-config said OK, and the kiosk named only the first
    kind of mistake, at the kiosk. Kept: every one, with its key, in one run."""
    folder = _folder(tmp_path, (
        'header = 2026\n'
        'foter = "请妥善保管此票"\n'
        'paper_width_mm = 76\n'
        'logo_path = "hall-logo.png"\n'
    ).encode())
    assert _refused(folder, capsys) == [
        "ticket.toml: header: Input should be a valid string (got 2026)（应为加引号的文字）",
        "ticket.toml: paper_width_mm: Input should be 58 or 80 (got 76)（取值不在允许范围内）",
        "ticket.toml: foter: unknown key (not part of the configuration format; check its spelling)（未知的键，请检查拼写）",
        "ticket.toml: logo_path: no such file 'hall-logo.png' (next to ticket.toml, or an absolute path)",
    ]


@pytest.mark.parametrize(
    ("encoding", "looks"),
    [
        ("utf-16", 'it looks like UTF-16 (Notepad\'s "Unicode")'),
        ("gbk", 'line 2: the file must be saved as UTF-8; it looks like GBK/GB18030 (gb18030, a Chinese Windows '
         'editor\'s "ANSI")'),
    ],
)
def test_a_ticket_design_saved_in_another_encoding_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, looks: str
) -> None:
    """Tried: the sample's ticket.toml saved by Notepad as "Unicode" and as "ANSI" (GBK): the
    kiosk said 'cannot read the ticket layout: 'utf-8' codec can't decode byte 0xff in position 0'
    and check-config said nothing. Kept: both read it the way the hub's TOML files are read, and
    say what it was saved as and how to save it right."""
    sample = (default_config_dir() / "ticket.toml").read_text(encoding="utf-8")
    folder = _folder(tmp_path, ('show_qr = true\n# 票面设计\n' + sample).encode(encoding))  # line 2: the first not UTF-8
    expected = (f"ticket.toml: {looks}: {SAVE_AS_UTF8}" if encoding == "gbk"
                else f"ticket.toml: the file must be saved as UTF-8; {looks}: {SAVE_AS_UTF8}")
    assert _refused(folder, capsys) == [expected]


def test_the_logo_is_found_next_to_the_ticket_design_wherever_the_command_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kiosk also took a logo path relative to the directory it was started from, which
    check-config, run elsewhere, cannot see: the two would disagree on the same file. Kept: the
    path is relative to ticket.toml (as the sample's comment says), from any directory."""
    folder = _folder(tmp_path, 'header = "欢迎光临"\nlogo_path = "logo.png"\n'.encode())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "logo.png").write_bytes(b"")  # beside the working directory only: not the one meant
    monkeypatch.chdir(elsewhere)
    assert _refused(folder, capsys) == [
        "ticket.toml: logo_path: no such file 'logo.png' (next to ticket.toml, or an absolute path)"]

    (folder / "logo.png").write_bytes(b"")
    assert check_config_main(folder) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"OK {folder}: ")
    assert load_layout(folder / "ticket.toml", 58).logo_path == str(folder / "logo.png")
