"""Each validation rule, on a broken copy of the sample hall: exact file, key path and reason.

Every test breaks a private copy (tmp_path) and checks that the loader refuses it with a problem
naming the file and the key a technician must fix; the shipped config is never touched.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import Any

import pytest

from server.config.loader import load_hall_config
from server.config.models import HallConfig
from server.config.problems import ConfigProblem
from server.config.cli import check_config_main

from .hallfiles import edit_toml, problems_of, read_items, write_items

UNKNOWN_KEY = "unknown key (not part of the configuration format; check its spelling)（未知的键，请检查拼写）"


def test_unknown_key_is_reported_with_its_path(hall_dir: Path) -> None:
    edit_toml(hall_dir, "hall.toml", lambda d: d["hall"].update(nmae="x"))
    assert problems_of(hall_dir) == [ConfigProblem("hall.toml", "hall.nmae", UNKNOWN_KEY)]


def test_unknown_top_level_key_and_unknown_window_key(hall_dir: Path) -> None:
    edit_toml(hall_dir, "windows.toml", lambda d: d.update(window=[]))
    edit_toml(hall_dir, "windows.toml", lambda d: d["windows"][4].update(colour="red"))
    problems = problems_of(hall_dir)
    assert ConfigProblem("windows.toml", "window", "unknown key (expected only: windows)") in problems
    assert ConfigProblem("windows.toml", "windows[4].colour", UNKNOWN_KEY) in problems
    assert len(problems) == 2


def test_wrong_type_names_the_key_and_the_value(hall_dir: Path) -> None:
    edit_toml(hall_dir, "hall.toml", lambda d: d["rules"].update(max_recalls="three"))
    (problem,) = problems_of(hall_dir)
    assert (problem.file, problem.key_path) == ("hall.toml", "rules.max_recalls")
    assert problem.reason.startswith("Input should be a valid integer")
    assert "'three'" in problem.reason


def test_window_serving_a_queue_that_does_not_exist(hall_dir: Path) -> None:
    edit_toml(hall_dir, "windows.toml", lambda d: d["windows"][12]["queues"].update(Z9=1))
    assert problems_of(hall_dir) == [
        ConfigProblem("windows.toml", "windows[12].queues.Z9", "unknown queue Z9 (not declared in zones.toml)")
    ]


def test_window_weight_below_one(hall_dir: Path) -> None:
    edit_toml(hall_dir, "windows.toml", lambda d: d["windows"][0]["queues"].update(A1=0))
    (problem,) = problems_of(hall_dir)
    assert (problem.file, problem.key_path) == ("windows.toml", "windows[0].queues.A1")
    assert "greater than or equal to 1" in problem.reason


def test_window_and_back_office_kind_rules(hall_dir: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        del d["windows"][0]["number"]
        d["windows"][1]["queues"] = {}
        d["windows"][-1]["number"] = 99  # the last entry is a back office

    edit_toml(hall_dir, "windows.toml", change)
    assert problems_of(hall_dir) == [
        ConfigProblem("windows.toml", "windows[0]", "a window needs a hall-wide number (it is spoken as “N号窗口”)"),
        ConfigProblem("windows.toml", "windows[1]", "a window must serve at least one queue (only back offices may not)"),
        ConfigProblem("windows.toml", "windows[62]", "a back office has no number: it calls silently, with no board"),
    ]


def test_duplicate_window_ids_and_numbers(hall_dir: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["windows"][1]["id"] = "W01"
        d["windows"][2]["number"] = 1

    edit_toml(hall_dir, "windows.toml", change)
    assert problems_of(hall_dir) == [
        ConfigProblem("windows.toml", "windows[1].id", "duplicate window id W01 (already used by windows[0])"),
        ConfigProblem("windows.toml", "windows[2].number", "duplicate window number 1 at W03 (already used by W01, windows[0])"),
    ]


def test_duplicate_queue_prefix(hall_dir: Path) -> None:
    extra = {"prefix": "A1", "name": "重复", "zone": "A", "unit": "U01"}
    edit_toml(hall_dir, "zones.toml", lambda d: d["queues"].append(extra))
    assert problems_of(hall_dir) == [
        ConfigProblem("zones.toml", "queues[33].prefix", "duplicate queue prefix A1 (already used by queues[0])")
    ]


def test_prefix_that_begins_another_prefix_is_ambiguous(hall_dir: Path) -> None:
    """With queues A and A1, ticket A1001 could be A1+001 or A+1001: refused."""
    extra = {"prefix": "A", "name": "综合", "zone": "A"}
    edit_toml(hall_dir, "zones.toml", lambda d: d["queues"].append(extra))
    edit_toml(hall_dir, "windows.toml", lambda d: d["windows"][0]["queues"].update(A=1))
    problems = problems_of(hall_dir)
    assert ConfigProblem(
        "zones.toml", "queues[0].prefix",
        "prefix A1 begins with prefix A of queues[33]; ticket numbers would be ambiguous",
    ) in problems
    assert {p.key_path for p in problems} == {f"queues[{i}].prefix" for i in range(7)}


def test_bad_prefix_shape(hall_dir: Path) -> None:
    edit_toml(hall_dir, "zones.toml", lambda d: d["queues"][0].update(prefix="1a"))
    problems = problems_of(hall_dir)
    assert problems[0].file == "zones.toml"
    assert problems[0].key_path == "queues[0].prefix"
    assert "should match pattern" in problems[0].reason


def test_queue_in_unknown_zone_and_unit(hall_dir: Path) -> None:
    extra = {"prefix": "X1", "name": "新业务", "zone": "Z", "unit": "U99"}
    edit_toml(hall_dir, "zones.toml", lambda d: d["queues"].append(extra))
    assert problems_of(hall_dir) == [
        ConfigProblem("zones.toml", "queues[33].zone", "unknown zone Z (not declared in zones.toml)"),
        ConfigProblem("zones.toml", "queues[33].unit", "unknown unit U99 (not declared in zones.toml)"),
        ConfigProblem("zones.toml", "queues[33].prefix", "no window serves queue X1"),
    ]


def test_queue_cap_above_what_the_ticket_digits_can_number(hall_dir: Path) -> None:
    edit_toml(hall_dir, "zones.toml", lambda d: d["queues"][0].update(daily_cap=1000))
    assert problems_of(hall_dir) == [
        ConfigProblem(
            "zones.toml", "queues[0].daily_cap",
            "daily_cap 1000 exceeds the 3-digit ticket numbers (at most 999 a day)",
        )
    ]


def test_queues_whose_numbers_can_outgrow_the_width_are_warned_about(hall_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tried: the sample hall (31 of 33 queues uncapped, 3-digit numbers): check-config said OK,
    and the 1000th ticket of A1 would be A11000 on pads and screens set for A1999. Kept: one
    warning naming the uncapped queues and the number that outgrows the width; none once every
    queue is capped within it; the width follows rules.number_digits."""
    def cap_all_but(keep: set[str]) -> Callable[[dict], None]:
        def change(data: dict) -> None:
            for queue in data["queues"]:
                if queue["prefix"] in keep:
                    queue.pop("daily_cap", None)
                else:
                    queue["daily_cap"] = 999
        return change

    edit_toml(hall_dir, "zones.toml", cap_all_but({"B1", "E1"}))
    assert check_config_main(hall_dir) == 0
    warnings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning: zones.toml")]
    assert warnings == [
        "warning: zones.toml: queues: 2 of 33 queues have no daily_cap (B1, E1): past 999 tickets in a day their "
        "numbers get a digit more than the pads, screens and voice are set for (B1999 is followed by B11000); give "
        "each queue daily_cap = 999 or less, or raise rules.number_digits in hall.toml"
    ]
    edit_toml(hall_dir, "hall.toml", lambda d: d["rules"].update(number_digits=4))
    assert check_config_main(hall_dir) == 0
    assert "(B19999 is followed by B110000); give each queue daily_cap = 9999 or less" in capsys.readouterr().out
    edit_toml(hall_dir, "zones.toml", cap_all_but(set()))
    assert check_config_main(hall_dir) == 0
    assert "daily_cap" not in capsys.readouterr().out


def test_duplicate_zone_and_unit(hall_dir: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["zones"].append({"code": "A", "name": "又一个"})
        d["units"].append({"code": "U34", "name": "县民政局"})

    edit_toml(hall_dir, "zones.toml", change)
    assert problems_of(hall_dir) == [
        ConfigProblem("zones.toml", "zones[10].code", "duplicate zone code A (already used by zones[0])"),
        ConfigProblem("zones.toml", "units[33].name", "duplicate unit name 县民政局 at U34 (already used by U01, units[0])"),
    ]


def test_inverted_session(hall_dir: Path) -> None:
    edit_toml(hall_dir, "hall.toml", lambda d: d["hours"]["seasons"][0]["sessions"][1].update(start="17:30", end="14:00"))
    assert problems_of(hall_dir) == [
        ConfigProblem(
            "hall.toml", "hours.seasons[0].sessions[1]",
            "session starts at 17:30 but ends at 14:00; start must be before end",
        )
    ]


def test_overlapping_sessions(hall_dir: Path) -> None:
    edit_toml(hall_dir, "hall.toml", lambda d: d["hours"]["seasons"][1]["sessions"][1].update(start="11:30"))
    assert problems_of(hall_dir) == [
        ConfigProblem("hall.toml", "hours.seasons[1].sessions[1]", "session 11:30–17:30 overlaps session 08:30–12:00")
    ]


def test_seasons_must_cover_every_day_exactly_once(hall_dir: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["hours"]["seasons"][0]["end"] = "08-31"  # summer now ends early: September is a gap
        d["hours"]["seasons"][1]["end"] = "05-03"  # winter runs into summer

    edit_toml(hall_dir, "hall.toml", change)
    assert problems_of(hall_dir) == [
        ConfigProblem("hall.toml", "hours.seasons", "days not covered by any season: 09-01..09-30"),
        ConfigProblem("hall.toml", "hours.seasons", "days covered by more than one season: 05-01..05-03"),
    ]


def test_bad_month_day(hall_dir: Path) -> None:
    edit_toml(hall_dir, "hall.toml", lambda d: d["hours"]["seasons"][0].update(start="02-30"))
    problems = problems_of(hall_dir)
    # The value once: the reason already names it (it read '02-30' … (got '02-30')).
    assert problems == [ConfigProblem("hall.toml", "hours.seasons[0].start", "'02-30' is not a real day of the year")]


def test_a_time_typed_with_a_full_width_colon_is_named(hall_dir: Path) -> None:
    """Tried: a session's start typed "15：00" with a Chinese input method (the colon looks the
    same on screen). It was: pydantic's 'invalid time separator, expected `:`' alone, and the
    syntax hint had said full-width characters are fine inside quotes. Kept: the reason names the
    full-width character and the ASCII one meant, in both languages."""
    edit_toml(hall_dir, "hall.toml", lambda d: d["hours"]["seasons"][0]["sessions"][1].update(start="15：00"))
    [problem] = problems_of(hall_dir)
    assert problem.key_path == "hours.seasons[0].sessions[1].start", problem
    assert problem.reason.endswith("; it has the full-width '：' (U+FF1A), typed with a Chinese input method: write the "
                                   "ASCII ':' (值中含全角字符，请改为半角)（时间应写作 HH:MM，如 08:30）"), problem


def test_auto_close_must_follow_the_last_session(hall_dir: Path) -> None:
    edit_toml(hall_dir, "hall.toml", lambda d: d["hours"].update(auto_close_at="17:00"))
    problems = problems_of(hall_dir)
    assert ConfigProblem(
        "hall.toml", "hours.auto_close_at", "auto_close_at 17:00 is not after the end of season '夏季' (17:30)"
    ) in problems


def test_day_both_holiday_and_workday(hall_dir: Path) -> None:
    edit_toml(hall_dir, "hall.toml", lambda d: d["calendar"]["workdays"].append(d["calendar"]["holidays"][0]))
    assert problems_of(hall_dir) == [
        ConfigProblem("hall.toml", "calendar.workdays[6]", "2026-01-01 is listed both as a holiday and as a make-up workday")
    ]


def test_unknown_timezone(hall_dir: Path) -> None:
    edit_toml(hall_dir, "hall.toml", lambda d: d["hall"].update(timezone="Asia/Beijing"))
    (problem,) = problems_of(hall_dir)
    assert (problem.file, problem.key_path) == ("hall.toml", "hall.timezone")
    assert problem.reason.startswith("unknown time zone 'Asia/Beijing'")


def test_missing_section_and_missing_file(hall_dir: Path) -> None:
    edit_toml(hall_dir, "hall.toml", lambda d: d.pop("hours"))
    (hall_dir / "windows.toml").unlink()
    problems = problems_of(hall_dir)
    assert ConfigProblem("hall.toml", "hours", "required section [hours] is missing") in problems
    missing = [p for p in problems if p.file == "windows.toml"]
    assert len(missing) == 1 and missing[0].key_path == ""
    assert missing[0].reason.startswith("file is missing (expected at ")
    assert len(problems) == 2  # no echo of "unknown window" or "no window serves" problems


def test_toml_syntax_error_names_the_line(hall_dir: Path) -> None:
    text = (hall_dir / "zones.toml").read_text(encoding="utf-8").splitlines()
    text[5] = 'name = "综合受理区'  # unterminated string on line 6
    (hall_dir / "zones.toml").write_text("\n".join(text), encoding="utf-8")
    problems = problems_of(hall_dir)
    syntax = [p for p in problems if p.file == "zones.toml"]
    assert len(syntax) == 1
    assert syntax[0].key_path == "line 6"
    assert syntax[0].reason.startswith("TOML syntax error")


def test_item_in_unknown_queue_zone_and_unit(hall_dir: Path) -> None:
    rows = read_items(hall_dir)
    rows[0]["queue"] = "Z9"
    rows[1]["zone"] = "Q"
    rows[2]["unit"] = "U99"
    write_items(hall_dir, rows)
    assert problems_of(hall_dir) == [
        ConfigProblem("items.csv", "row 2.queue", "unknown queue Z9 (not declared in zones.toml)"),
        ConfigProblem("items.csv", "row 3.zone", "unknown zone Q (not declared in zones.toml)"),
        ConfigProblem("items.csv", "row 3.queue", "queue K2 is in zone K, not in the item's zone Q"),
        ConfigProblem("items.csv", "row 4.unit", "unknown unit U99 (not declared in zones.toml)"),
    ]


def test_item_rows_with_bad_values_and_duplicate_codes(hall_dir: Path) -> None:
    rows = read_items(hall_dir)
    rows[0]["instant"] = "也许"
    rows[1]["item_name"] = ""
    rows[3]["item_code"] = rows[2]["item_code"]
    rows[4]["department"] = "县公安局"
    write_items(hall_dir, rows)
    problems = problems_of(hall_dir)
    assert [(p.key_path, p.reason) for p in problems] == [
        ("row 2.instant", "Input should be a valid boolean, unable to interpret input (got '也许')"),
        ("row 3.item_name", "empty"),
        ("row 6.department", "'县公安局' does not match '县数据局' declared in zones.toml"),
        ("row 5.item_code", f"duplicate item code {rows[2]['item_code']} (already used by row 4)"),
    ]


def test_item_rows_whose_cells_do_not_line_up_with_the_header(hall_dir: Path) -> None:
    """Tried, as a hand edit outside Excel does it: a comma typed into an item's name without
    quotes (every cell after it moves one column right), a note added past the last column, a
    cell deleted with its comma, and a row without the trailing comma of its empty daily_cap.
    It was: `row 2.instant: … (got 'K')`-style problems of the neighbouring cells for the first,
    nothing at all for the note (dropped unseen). Kept: the row ending early loads as it did."""
    lines = (hall_dir / "items.csv").read_text(encoding="utf-8-sig").splitlines()
    cells = [line.split(",") for line in lines[1:5]]
    cells[0][1] = cells[0][1] + ",变更"  # 11 cells become 12, shifted from the name on
    cells[1].append("请核对")
    del cells[2][6]  # 即办件 gone: promised_days moves into instant's column
    assert cells[3][-1] == ""
    cells[3].pop()
    rows = [",".join(row) for row in cells]
    (hall_dir / "items.csv").write_text("\n".join([lines[0], *rows, *lines[5:]]) + "\n", encoding="utf-8-sig")
    shifted = ("cells where the header has 11 columns, so its values are not under their headers: a comma inside a value "
               "that is not in quotes, or one deleted, shifts every cell after it (save from Excel as \"CSV UTF-8\", which quotes it)")
    assert [(p.key_path, p.reason) for p in problems_of(hall_dir)] == [
        ("row 2", f"12 {shifted}"), ("row 3", f"12 {shifted}"), ("row 4", f"10 {shifted}"),
    ]


def test_an_item_row_cut_short_names_the_empty_unit_and_queue(hall_dir: Path) -> None:
    """Tried: row 6 cut after its promised_days (unit, queue and daily_cap gone with their commas).
    Seen: `unknown unit  (not declared in zones.toml)`, the empty name between two spaces. Kept:
    each says it is empty and that a row ending early leaves it out."""
    lines = (hall_dir / "items.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[5] = ",".join(lines[5].split(",")[:8])
    (hall_dir / "items.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    empty = ("empty: every entry names its {}, declared in zones.toml; a CSV row that ends early (cells or commas "
             "missing) leaves it out")
    assert [(p.key_path, p.reason) for p in problems_of(hall_dir)] == [
        ("row 6.unit", empty.format("unit")), ("row 6.queue", empty.format("queue")),
    ]


def test_items_header_problems(hall_dir: Path) -> None:
    rows = read_items(hall_dir)
    columns = [c for c in rows[0] if c != "queue"] + ["remark"]
    write_items(hall_dir, rows, columns)
    assert problems_of(hall_dir) == [
        ConfigProblem("items.csv", "header.remark", "unknown column"),
        ConfigProblem("items.csv", "header", "missing column(s): queue"),
    ]


def test_all_problems_across_files_are_reported_together(hall_dir: Path, capsys) -> None:
    """Four mistakes in four files: one run reports all four, one line each."""
    edit_toml(hall_dir, "hall.toml", lambda d: d["rules"].update(number_digits=2))
    edit_toml(hall_dir, "zones.toml", lambda d: d["zones"][0].update(voice_repeat=0))
    edit_toml(hall_dir, "windows.toml", lambda d: d["windows"][12]["queues"].update(Z9=1))
    rows = read_items(hall_dir)
    rows[7]["promised_days"] = "-1"
    write_items(hall_dir, rows)

    problems = problems_of(hall_dir)
    assert [(p.file, p.key_path) for p in problems] == [
        ("hall.toml", "rules.number_digits"),
        ("zones.toml", "zones[0].voice_repeat"),
        ("windows.toml", "windows[12].queues.Z9"),
        ("items.csv", "row 9.promised_days"),
    ]
    assert check_config_main(hall_dir) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [str(p) for p in problems]
    assert lines[2] == "windows.toml: windows[12].queues.Z9: unknown queue Z9 (not declared in zones.toml)"
    assert lines[4] == f"4 problems(s) in {hall_dir}".replace("problems(s)", "problem(s)")


def test_missing_folder(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nowhere")
    assert problems == [ConfigProblem(str(tmp_path / "nowhere"), "", "configuration folder does not exist")]


def test_a_file_given_for_the_folder_says_so(hall_dir: Path) -> None:
    """Tried: `check-config config/hall.toml`. Kept: the problem says it is a file and names the
    folder to give, where it said the folder did not exist."""
    problems = problems_of(hall_dir / "hall.toml")
    assert problems == [ConfigProblem(str(hall_dir / "hall.toml"), "", f"this is a file: give the configuration folder ({hall_dir})")]


def test_hall_config_built_in_code_is_held_to_the_same_rules(hall_dir: Path) -> None:
    config = load_hall_config(hall_dir)
    data = config.model_dump()
    data["windows"][0]["queues"]["Z9"] = 1
    with pytest.raises(ValueError, match=r"windows\[0\]\.queues\.Z9: unknown queue Z9"):
        HallConfig.model_validate(data)


def test_check_config_reports_the_hubs_other_files_together(hall_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A mistake in each of the files the hub reads besides the hall (duty roster, assessment
    rules, voice placement): one run names all three, and the hall itself still loads."""
    (hall_dir / "roster.toml").write_text('[[staff]]\nid = "zhang"\nweekdays = ["moon"]\n', encoding="utf-8")
    (hall_dir / "assessment.toml").write_text("[waits]\nmax_shar = 0.2\n", encoding="utf-8")
    (hall_dir / "voice.toml").write_text('[zones.Q]\nwhere = "hub"\n', encoding="utf-8")

    assert check_config_main(hall_dir) == 1

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[:2] for line in lines[:-1]] == [
        ["roster.toml", " staff[0].weekdays[0]"],
        ["assessment.toml", " waits.max_shar"],
        ["voice.toml", " zones.Q"],
    ]
    assert lines[-1] == f"3 problem(s) in {hall_dir}"
    assert load_hall_config(hall_dir).zones, "the hall's own files were fine"


def test_a_broken_hall_does_not_hide_the_other_files_problems(hall_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tried: hall.toml broken (2-digit numbers) with a mistake in each other file. It was: only
    the hall.toml line, the others found one run later. Kept: each file's own problems in the
    same run, and the checks against the hall that could not run named as skipped."""
    edit_toml(hall_dir, "hall.toml", lambda d: d["rules"].update(number_digits=2))
    (hall_dir / "devices.toml").write_text(
        '[[pad_buses]]\nname = "pads-A"\nurl = "/dev/ttyUSB0"\ndialect = "hallq"\nbaud = 19201\n'
        'pads = { 1 = "W99" }\n', encoding="utf-8")  # W99 is unknown, but only the hall can say so
    (hall_dir / "voice.toml").write_text("[defaults]\nrate = 20\n", encoding="utf-8")
    (hall_dir / "roster.toml").write_text('[[staff]]\nid = "zhang"\nweekdays = ["moon"]\n', encoding="utf-8")

    assert check_config_main(hall_dir) == 1

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[:2] for line in lines[:4]] == [
        ["hall.toml", "rules.number_digits"],
        ["devices.toml", "pad_buses[0].baud"],
        ["roster.toml", "staff[0].weekdays[0]"],
        ["voice.toml", "defaults.rate"],
    ]
    assert lines[4].startswith("skipped: devices.toml: not checked against the hall (window ids, zones,")
    assert lines[5].startswith("skipped: voice.toml: not checked against the hall (zone codes")
    assert all(line.endswith("the hall's own files have problems, above") for line in lines[4:6])
    assert lines[6:] == [f"4 problem(s) in {hall_dir}"]


def test_one_mistyped_zone_code_is_not_buried_under_its_knock_on_problems(hall_dir: Path, capsys) -> None:
    """Tried: zone B's code typed as 'b' in zones.toml, which every B queue, window and item names.
    Kept: the root problem first, three of each file's knock-on problems and a count of the rest
    per file, and the whole count at the end: 14 lines where there were 146."""
    zones = hall_dir / "zones.toml"
    zones.write_text(zones.read_text(encoding="utf-8").replace('code = "B"', 'code = "b"', 1), encoding="utf-8")
    problems = problems_of(hall_dir)
    assert check_config_main(hall_dir) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "zones.toml: zones[1].code: String should match pattern '^[A-Z]$' (got 'b')（格式不符）"
    unknown = "unknown zone B (not declared in zones.toml)"
    per_file = {f: sum(1 for p in problems if p.file == f and p.reason == unknown) for f in ("zones.toml", "windows.toml", "items.csv")}
    assert all(count > 3 for count in per_file.values())
    for file, count in per_file.items():
        assert sum(1 for line in lines if line.startswith(f"{file}: ") and line.endswith(unknown) and "more with" not in line) == 3
        assert f"{file}: … and {count - 3} more with the same problem: {unknown}" in lines
    assert lines[-1] == f"{len(problems)} problem(s) in {hall_dir}" and len(lines) == 1 + 3 * 3 + 3 + 1


def test_check_config_piped_into_head_ends_quietly(hall_dir: Path) -> None:
    """Tried: `hallq check-config DIR | head -n 1` on a folder with many problems (the reader goes
    away after one line). Kept: no BrokenPipeError traceback on the technician's screen."""
    import subprocess

    from tests.hub_process import HALLQ

    items = hall_dir / "items.csv"
    rows = [f"99{n:011d},事项{n},县数据局,行政许可,K,帮代办与综合咨询区,是,0,U33,Q{n},\n" for n in range(3000)]
    items.write_text(items.read_text(encoding="utf-8-sig") + "".join(rows), encoding="utf-8")  # 3,000 distinct problems
    run = subprocess.run(f"'{HALLQ}' check-config '{hall_dir}' | head -n 1", shell=True, capture_output=True, text=True, timeout=120)
    assert run.stdout.startswith("items.csv: row ") and "Traceback" not in run.stderr, run.stderr[-2000:]


def test_an_items_days_must_fit_its_kind(hall_dir: Path) -> None:
    """Tried: an instant item (即办件) given 20 promised days, and a promised one (承诺件) given 0.
    Kept: both reported on their rows, saying why (the ticket promised the wrong thing)."""
    rows = read_items(hall_dir)
    instant = next(i for i, r in enumerate(rows) if r["instant"] == "是")
    promised = next(i for i, r in enumerate(rows) if r["instant"] == "否")
    rows[instant]["promised_days"] = "20"
    rows[promised]["promised_days"] = "0"
    write_items(hall_dir, rows)
    problems = {p.key_path: p.reason for p in problems_of(hall_dir)}
    assert set(problems) == {f"row {instant + 2}", f"row {promised + 2}"}, problems
    assert "instant item (即办件) is concluded on the spot: promised_days must be 0, not 20" in problems[f"row {instant + 2}"]
    assert "承诺件" in problems[f"row {promised + 2}"]


def test_a_copy_with_other_windows_finds_them_and_is_checked_again() -> None:
    """Tried: HallConfig.model_copy(update={"windows": …}) after a lookup had been made (the
    demo copies the hall this way, tests copy it to add a queue to a window). It was: the copy's
    window("W1") returned the original window (pydantic copied the cached lookups), and a copy
    naming a queue that does not exist went unchecked. Kept: the copy finds its own windows, and
    an inconsistent copy is refused like a loaded one."""
    from pydantic import ValidationError

    from tests.conftest import mini_hall_dict

    hall = HallConfig.model_validate(mini_hall_dict())
    assert hall.window("W1") is not None and hall.window("W1").queues == {"A1": 3, "A2": 1}  # the lookup is cached now
    windows = [w.model_copy(update={"queues": {"A1": 1}}) if w.id == "W1" else w for w in hall.windows]
    copy = hall.model_copy(update={"windows": windows})
    assert copy.window("W1").queues == {"A1": 1} and hall.window("W1").queues == {"A1": 3, "A2": 1}
    wrong = [w.model_copy(update={"queues": {"Z9": 1}}) if w.id == "W1" else w for w in hall.windows]
    with pytest.raises(ValidationError, match="Z9"):
        hall.model_copy(update={"windows": wrong})
    assert hall.model_copy().window("W1") is hall.window("W1")


def test_id_required_on_a_queue_and_on_listed_items(hall_dir: Path) -> None:
    """Tried: the hall asks for the ID card for one queue and two items, one code mistyped, and a
    queue's id_required written as a word. Kept: the unknown item code and the wrong type, each by
    file and key; the right ones load and say which tickets need the card."""
    edit_toml(hall_dir, "zones.toml", lambda d: d["queues"][0].update(id_required="maybe"))
    edit_toml(hall_dir, "hall.toml", lambda d: d["rules"].update(id_required_items=["4302240100002", "4302249999999"]))
    found = problems_of(hall_dir)
    assert ConfigProblem("hall.toml", "rules.id_required_items[1]", "unknown item code '4302249999999' (not in items.csv)") in found
    assert [p.key_path for p in found if p.file == "zones.toml"] == ["queues[0].id_required"]
    edit_toml(hall_dir, "zones.toml", lambda d: d["queues"][0].update(id_required=True))
    edit_toml(hall_dir, "hall.toml", lambda d: d["rules"].update(id_required_items=["4302240100002"]))
    config = load_hall_config(hall_dir)
    first = config.queues[0]
    item = next(i for i in config.items if i.queue == first.prefix)
    assert config.id_required(None, item.code) and config.id_required(first.prefix, None)
    assert config.id_required(None, "4302240100002") and not config.id_required("C1", None)


def test_the_assisted_service_queue_must_be_a_queue_of_the_hall(hall_dir: Path) -> None:
    assert load_hall_config(hall_dir).hall.assisted_queue == "K2"  # the sample: 帮办代办与咨询
    edit_toml(hall_dir, "hall.toml", lambda d: d["hall"].update(assisted_queue="K9"))
    assert problems_of(hall_dir) == [
        ConfigProblem("hall.toml", "hall.assisted_queue", "unknown queue K9 (not declared in zones.toml)")]
    assert check_config_main(hall_dir) != 0


def test_the_assisted_service_queue_must_not_require_the_id_card(hall_dir: Path) -> None:
    """Tried: K2 (the assisted queue) marked id_required. Refused with where and why: the kiosk
    sends citizens without an ID card there, who could then not take its ticket."""
    edit_toml(hall_dir, "zones.toml", lambda d: next(q for q in d["queues"] if q["prefix"] == "K2").update(id_required=True))
    [problem] = problems_of(hall_dir)
    assert (problem.file, problem.key_path) == ("hall.toml", "hall.assisted_queue")
    assert "K2 requires the ID card" in problem.reason
    assert check_config_main(hall_dir) != 0


def test_a_name_of_only_spaces_is_refused(hall_dir: Path) -> None:
    """Tried: the hall, a zone and a window named with spaces only (ASCII, a tab, and the
    ideographic space a Chinese IME types). It was: valid ("at least 1 character"), and a blank
    where the board, the ticket and the reports show the name. Kept: each refused at its key.
    (items.csv trims its cells already: an item name of spaces is reported "empty".)"""
    edit_toml(hall_dir, "hall.toml", lambda d: d["hall"].update(name="   "))
    edit_toml(hall_dir, "zones.toml", lambda d: d["zones"][0].update(name="\u3000"))
    edit_toml(hall_dir, "windows.toml", lambda d: d["windows"][1].update(name=" \t "))
    blank = "a name may not be empty or only spaces: it is what the boards, tickets and reports show"
    found = {(p.file, p.key_path): p.reason for p in problems_of(hall_dir)}
    assert found[("hall.toml", "hall.name")].startswith(blank)
    assert found[("zones.toml", "zones[0].name")].startswith(blank)
    assert found[("windows.toml", "windows[1].name")].startswith(blank)
    assert len(found) == 3, found


def test_an_item_cell_whose_quote_is_never_closed_is_named_with_the_rows_it_swallowed(hall_dir: Path) -> None:
    """Tried: a quote typed before an item's name and not closed on its line (row 2), two more
    rows below it, then row 5's own quote. It was: `row 2: N cells … a comma inside a value …`, a
    reason that does not fit, or, when the closing quote left the cells lined up, nothing at all:
    rows 3-5 gone from the catalogue unseen. Kept: the row is named with the open quote and the
    lines its cell runs over."""
    lines = (hall_dir / "items.csv").read_text(encoding="utf-8-sig").splitlines()
    code, rest = lines[1].split(",", 1)
    quoted = lines[4].replace(",", ',"', 1)  # the next quote, row 5, closes it
    (hall_dir / "items.csv").write_text(
        "\n".join([lines[0], f'{code},"{rest}', lines[2], lines[3], quoted, *lines[5:]]) + "\n", encoding="utf-8-sig")
    problems = [(p.key_path, p.reason) for p in problems_of(hall_dir) if p.key_path == "row 2"]
    assert problems == [("row 2", "a cell runs over 4 lines: a quote (\") not closed on its line reads the rows below it "
                         "as part of the cell, and they are not read as rows (close the quote or delete it); no "
                         "item's field holds a line break")]
