"""check-config warns of configured names a kiosk's printer would print as '?'.

Each test writes rare characters into a private copy of the sample hall (tmp_path) and reads the
exact warning lines `hallq check-config` prints for them: file, key path, the character with its
code point, the printer profiles that cannot print it, and what to do.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from printer_drivers.profiles import get_profile
from server.config.cli import check_config_main
from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.config.problems import ConfigProblem

from .hallfiles import edit_toml, read_items, rename, write_items

EVERY_PROFILE = "TM-T88, XP-80C, POS-5890, ZJ-5870, default-80"
FOUR_BYTE = ("none has four_byte_gb18030, the font for four-byte GB18030 characters such as CJK Extensions A and B "
             "and emoji")
REWORD = "change the wording (a common character, or words in its place)"


def _question_mark_warnings(folder: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines of a check-config run that warn of a '?' on tickets; the run must pass (exit 0)."""
    assert check_config_main(folder) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("OK ")
    return [line for line in lines if " as ? on " in line]


def test_four_byte_characters_in_ticket_names_are_warned_about(hall_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tried: a hall named with 𠮷 (U+20BB7, CJK Extension B), a zone with 𠀾, the 帮代办 queue
    and an item with an emoji: check-config said OK, and every kiosk printer profile prints such a
    character as '?' on each of their tickets. Kept: a warning per text (exit 0, the hall still
    runs), every one of its unprintable characters named once."""
    edit_toml(hall_dir, "hall.toml", lambda d: d["hall"].update(name="𠮷溪县政务服务中心"))
    rename(hall_dir, "zones", "F", "𠀾税务服务区", "zone_name")
    edit_toml(hall_dir, "zones.toml", lambda d: next(q for q in d["queues"] if q["prefix"] == "K2").update(name="帮办代办😀与咨询😀㐀"))
    rows = read_items(hall_dir)
    rows[2]["item_name"] = "政务服务好差评投诉受理🙂"
    write_items(hall_dir, rows)
    assert _question_mark_warnings(hall_dir, capsys) == [
        f"warning: hall.toml: hall.name: '𠮷' (U+20BB7) prints as ? on every ticket: no printer profile prints it "
        f"({EVERY_PROFILE}; {FOUR_BYTE}); {REWORD}",
        f"warning: zones.toml: zones[5].name: '𠀾' (U+2003E) prints as ? on every ticket: no printer profile prints it "
        f"({EVERY_PROFILE}; {FOUR_BYTE}); {REWORD}",
        f"warning: zones.toml: queues[32].name: '😀' (U+1F600), '㐀' (U+3400) print as ? on every ticket: no printer "
        f"profile prints them ({EVERY_PROFILE}; {FOUR_BYTE}); {REWORD}",
        f"warning: items.csv: row 4.item_name: '🙂' (U+1F642) prints as ? on every ticket: no printer profile prints it "
        f"({EVERY_PROFILE}; {FOUR_BYTE}); {REWORD}",
    ]


def test_characters_no_printer_has_are_told_apart(hall_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A private-use character (a hall's own 造字 for a rare name) or a control character pasted
    with a name prints as '?' on any printer: a four-byte font would not help, and the warning
    does not say it would. Both are named by their code point alone: a terminal shows nothing
    useful for them."""
    rows = read_items(hall_dir)
    rows[0]["item_name"] = "政务服务\ue000咨询\x07𠮷"
    write_items(hall_dir, rows)
    assert _question_mark_warnings(hall_dir, capsys) == [
        f"warning: items.csv: row 2.item_name: U+E000, U+0007 print as ? on every ticket: no printer profile "
        f"prints them ({EVERY_PROFILE}; a control, private-use or unassigned character, or one GB18030 lacks); {REWORD}",
        f"warning: items.csv: row 2.item_name: '𠮷' (U+20BB7) prints as ? on every ticket: no printer profile prints it "
        f"({EVERY_PROFILE}; {FOUR_BYTE}); {REWORD}",
    ]


def test_a_profile_that_prints_four_byte_characters_is_named_as_the_remedy(hall_dir: Path) -> None:
    """With a profile whose printer has the full GB18030 font among the profiles, the warning
    names the profiles that print '?' and the one that prints the character, instead of asking
    for another wording; a character no printer has still asks for the wording."""
    from server.config.ticket_text import unprintable_on_tickets  # here: the other tests run the CLI alone

    edit_toml(hall_dir, "hall.toml", lambda d: d["hall"].update(name="𠮷溪县政务服务中心\ue000"))
    full = replace(get_profile("XP-80C"), name="XP-80C-GB18030", four_byte_gb18030=True)
    profiles = [get_profile("TM-T88"), get_profile("XP-80C"), full]
    assert unprintable_on_tickets(load_hall_config(hall_dir), hall_dir, profiles) == [
        ConfigProblem("hall.toml", "hall.name",
                      "'𠮷' (U+20BB7) prints as ? on the tickets of kiosks with printer profile TM-T88, XP-80C; profile "
                      "XP-80C-GB18030 prints it: give those kiosks that profile (hallq kiosk --profile), or change the wording"),
        ConfigProblem("hall.toml", "hall.name",
                      "U+E000 prints as ? on every ticket: no printer profile prints it (TM-T88, XP-80C, "
                      f"XP-80C-GB18030; a control, private-use or unassigned character, or one GB18030 lacks); {REWORD}"),
    ]


def test_the_ticket_layouts_header_and_footer_are_checked(hall_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ticket.toml's header and footer are printed on every ticket too (the kiosk's --layout):
    a footer line with 𠮷 is warned about at its key, the line break between its lines is not a
    '?'. A ticket.toml the kiosk would refuse is an error of its own (test_ticket_layout), and its
    text is not warned about on top of it."""
    shutil.copy2(default_config_dir() / "ticket.toml", hall_dir / "ticket.toml")
    layout = (hall_dir / "ticket.toml").read_text(encoding="utf-8")
    (hall_dir / "ticket.toml").write_text(layout.replace('扫描二维码查看进度', '𠮷溪县欢迎您\\n扫描二维码查看进度'), encoding="utf-8")
    assert _question_mark_warnings(hall_dir, capsys) == [
        f"warning: ticket.toml: footer: '𠮷' (U+20BB7) prints as ? on every ticket: no printer profile prints it "
        f"({EVERY_PROFILE}; {FOUR_BYTE}); {REWORD}",
    ]
    (hall_dir / "ticket.toml").write_text('footer = "𠮷\n', encoding="utf-8")
    assert check_config_main(hall_dir) == 1
    assert capsys.readouterr().out.splitlines() == [
        "ticket.toml: line 1: TOML syntax error: Illegal character '\\n' (at line 1, column 12)",
        f"1 problem(s) in {hall_dir}",
    ]
