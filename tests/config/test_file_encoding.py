"""A hall file saved in another encoding than UTF-8: `hallq check-config` says what it is, on a
copy of the sample hall."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from server.config.paths import default_config_dir

REASON = "the file must be saved as UTF-8"


def _hall(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(default_config_dir(), folder)
    return folder


def _check_config(folder: Path) -> tuple[int, list[str]]:
    """The real command, as a technician runs it."""
    done = subprocess.run([sys.executable, "-m", "server.cli", "check-config", str(folder)],
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout.splitlines()


def test_gbk_and_utf16_files_are_named_as_such(tmp_path: Path) -> None:
    """Tried: hall.toml saved as GBK (a Chinese Windows editor's ANSI), windows.toml as UTF-16
    with a BOM (Notepad's "Unicode") and voice.toml as UTF-16 without one. Reported: each file
    must be UTF-8, what it looks like, and for GBK the line of the first such byte (the first
    Chinese character), where there was only 'can't decode byte 0xb2 in position 44'."""
    folder = _hall(tmp_path)
    hall = (folder / "hall.toml").read_text(encoding="utf-8")
    (folder / "hall.toml").write_bytes(hall.encode("gbk"))
    first_chinese = next(i for i, line in enumerate(hall.splitlines(), 1) if not line.isascii())
    (folder / "windows.toml").write_bytes((folder / "windows.toml").read_text(encoding="utf-8").encode("utf-16"))
    (folder / "voice.toml").write_bytes((folder / "voice.toml").read_text(encoding="utf-8").encode("utf-16-le"))
    status, lines = _check_config(folder)
    assert status == 1
    assert f"hall.toml: line {first_chinese}: {REASON}; it looks like GBK/GB18030 (gb18030, a Chinese Windows " \
        "editor's \"ANSI\"): open it in an editor that can (Notepad++: Encoding > UTF-8; Notepad: Save as, " \
        "Encoding UTF-8) and save it again" in lines, lines
    utf16 = f"{REASON}; it looks like UTF-16 (Notepad's \"Unicode\"): open it in an editor"
    assert any(line.startswith(f"windows.toml: {utf16}") for line in lines), lines
    assert any(line.startswith(f"voice.toml: {utf16}") for line in lines), lines
    assert not any("position" in line for line in lines), lines


def test_bytes_neither_utf8_nor_gbk(tmp_path: Path) -> None:
    """Tried: zones.toml with a stray 0xff byte on its third line. Reported: that line, the byte,
    and that the file must be UTF-8 (not a guess at an encoding)."""
    folder = _hall(tmp_path)
    lines = (folder / "zones.toml").read_bytes().split(b"\n")
    lines[2] += b"\xff"
    (folder / "zones.toml").write_bytes(b"\n".join(lines))
    status, out = _check_config(folder)
    assert status == 1
    assert any(line.startswith(f"zones.toml: line 3: {REASON}; byte 0xff is not UTF-8 (nor GBK): ") for line in out), out

