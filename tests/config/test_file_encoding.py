"""A hall file saved in another encoding than UTF-8, or typed with a Chinese input method's
full-width punctuation: `hallq check-config` says what it is, on a copy of the sample hall."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_full_width_punctuation_is_named_with_its_line(tmp_path: Path) -> None:
    """Tried: the key of hall.toml's line with name written `name ＝ "…"` (full-width equals), and
    in windows.toml a window's name quoted with “ ”. Reported: the TOML error as before, plus the
    line, the character with its code point and the ASCII meant. A full-width comma inside a
    quoted Chinese name (sample hall's text) is left alone."""
    folder = _hall(tmp_path)
    hall = (folder / "hall.toml").read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(hall) if line.startswith("name = "))
    hall[index] = hall[index].replace("name = ", "name ＝ ", 1)
    (folder / "hall.toml").write_text("\n".join(hall) + "\n", encoding="utf-8")
    windows = (folder / "windows.toml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(windows) if line.startswith("name = "))
    windows[at] = windows[at].replace('"', "“", 1).replace('"', "”", 1)
    (folder / "windows.toml").write_text("\n".join(windows) + "\n", encoding="utf-8")
    status, out = _check_config(folder)
    assert status == 1
    equals = [line for line in out if line.startswith(f"hall.toml: line {index + 1}: TOML syntax error: ")]
    assert len(equals) == 1 and equals[0].endswith(
        f"; line {index + 1} has the full-width '＝' (U+FF1D), typed with a Chinese input method: TOML's punctuation "
        "is the ASCII '=' (inside quotes they are text: fine in a name, not in a time such as \"15:00\") "
        f"(第 {index + 1} 行有中文输入法打出的全角标点，请改为半角)"), out
    quotes = [line for line in out if line.startswith(f"windows.toml: line {at + 1}: TOML syntax error: ")]
    assert len(quotes) == 1 and f"line {at + 1} has the full-width '“' (U+201C)" in quotes[0], out
    assert "the ASCII '\"'" in quotes[0]


def test_full_width_inside_a_string_gets_no_hint(tmp_path: Path) -> None:
    """Tried: a line `name = "民政，社保" x` (an error after the string, whose comma is text).
    Reported: the TOML error alone, without a hint about the comma."""
    folder = _hall(tmp_path)
    (folder / "voice.toml").write_text('[defaults]\ntemplate = "请，{number}" x\n', encoding="utf-8")
    status, out = _check_config(folder)
    assert status == 1
    (line,) = [line for line in out if line.startswith("voice.toml: line 2: TOML syntax error")]
    assert "full-width" not in line


def test_optional_files_in_another_encoding_are_named_too(tmp_path: Path) -> None:
    """Tried: the sample's roster.example.toml saved as roster.toml in GBK, and assessment.toml in
    UTF-16. It was: check-config stopped with a UnicodeDecodeError traceback. Reported now: both,
    as the hall's own files are, and the hall itself still checked (exit 1, no traceback)."""
    folder = _hall(tmp_path)
    roster = (folder / "roster.example.toml").read_text(encoding="utf-8")
    (folder / "roster.toml").write_bytes(roster.encode("gbk"))
    first_chinese = next(i for i, line in enumerate(roster.splitlines(), 1) if not line.isascii())
    (folder / "assessment.toml").write_bytes((folder / "assessment.toml").read_text(encoding="utf-8").encode("utf-16"))
    status, lines = _check_config(folder)
    assert status == 1
    assert any(line.startswith(f"roster.toml: line {first_chinese}: {REASON}; it looks like GBK/GB18030") for line in lines), lines
    assert any(line.startswith(f"assessment.toml: {REASON}; it looks like UTF-16") for line in lines), lines
    assert lines[-1] == f"2 problem(s) in {folder}"


@pytest.mark.parametrize("day", ["2026-12-32", "2026/12/31", "2026-1-5"])
def test_a_holiday_toml_cannot_read_is_named_as_a_date(tmp_path: Path, day: str) -> None:
    """Tried: a holiday typed 2026-12-32, 2026/12/31 or 2026-1-5 in hall.toml's list. It was:
    `TOML syntax error: Unclosed array`, and a technician looked for a missing bracket. Kept: the
    error names the date and how one is written, in English and Chinese."""
    folder = tmp_path / "hall"
    shutil.copytree(default_config_dir(), folder)
    hall = (folder / "hall.toml").read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(hall) if line.startswith("holidays = ["))
    hall.insert(index + 1, f"  {day},")
    (folder / "hall.toml").write_text("\n".join(hall) + "\n", encoding="utf-8")
    status, out = _check_config(folder)
    [line] = [line for line in out if line.startswith("hall.toml: line ")]
    assert status == 1 and line.startswith(f"hall.toml: line {index + 2}: TOML syntax error: "), out
    assert line.endswith(f"; line {index + 2} has {day}: a date is written YYYY-MM-DD without quotes (2026-01-05), and must "
                         "be a day of the calendar (日期应写作 YYYY-MM-DD，如 2026-01-05，且须为真实日期)"), line
