"""Whole-day absence in the monthly assessment: the duty roster (config/roster.toml) says who was
expected on which days; a working day of theirs without any window session costs its whole
scheduled time. The history is made by the real engine on a hand-moved clock (the mini hall:
08:30-12:00 and 14:30-17:30, 6.5 hours a day; 2026-10-01 a holiday, 2026-10-10 a make-up
Saturday)."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from server.accounts import Accounts, Role
from server.config.cli import check_config_main
from server.config.paths import default_config_dir
from server.config.loader import load_hall_config
from server.config.problems import ConfigError
from server.engine.clock import ManualClock
from server.engine.engine import QueueEngine
from server.engine.views import IssueRequest
from server.stats.assessment import assess_month
from server.stats.assessment_rules import AssessmentRules
from server.stats.facts import FactBuilder
from server.stats.roster import ROSTER_FILE, load_roster, parse_roster
from tests.config import hallfiles
from tests.conftest import at
from tests.stats.conftest import ON_BOTH_BACKENDS

hall_dir = hallfiles.hall_dir  # the fixture, for the test that writes a hall folder

ROSTER = """
[[staff]]
id = "zhang"

[[staff]]
id = "li"
weekdays = ["mon", "周三"]

[[leave]]
staff = "zhang"
from = 2026-10-05
to = 2026-10-05
kind = "年休假"
"""


def _day(n: int) -> date:
    return date(2026, 10, n)


async def _session(engine: QueueEngine, clock: ManualClock, window: str, staff: str, day: int, start: str, end: str) -> None:
    clock.set(at(start, _day(day)))
    await engine.login(window, staff)
    clock.set(at(end, _day(day)))
    await engine.logout(window)


@ON_BOTH_BACKENDS
async def test_rostered_days_without_a_session_count_whole(engine: QueueEngine, clock: ManualClock):
    accounts = Accounts(engine.database)
    await accounts.add_user("li", "pass-1234", Role.STAFF, "李四", "U2", now=at("07:00", _day(1)))
    await accounts.add_user("wang", "pass-1234", Role.STAFF, "王五", "U1", now=at("07:00", _day(1)))
    # zhang: away 1 Oct (holiday), 2 Oct (counted), 5 Oct (annual leave), 8 Oct (counted);
    # 6 Oct in from 10:00 (1.5 hours late); 7 and 9 Oct the whole day; 12 Oct is after the hall's
    # last finished day. li (Mondays and Wednesdays) never logs in; neither does wang, who is
    # not on the roster. zhao is not on the roster and works 2, 5, 6 and 8 Oct (so that the hall
    # ran on the days the others missed: a day nobody worked is nobody's absence).
    await _session(engine, clock, "W1", "zhang", 6, "10:00", "17:30")
    for day in (2, 5, 6, 8):
        await _session(engine, clock, "W2", "zhao", day, "08:30", "17:30")
    await _session(engine, clock, "W1", "zhang", 7, "08:30", "17:30")
    await _session(engine, clock, "W1", "zhang", 9, "08:30", "17:30")
    clock.set(at("08:00", _day(10)))
    await FactBuilder(engine.database, engine.config, clock).catch_up_all()

    roster = parse_roster(ROSTER)
    rules = AssessmentRules()
    people, units = await engine.database.read(
        lambda c: assess_month(c, engine.config, rules, "2026-10", roster, last_day=_day(9)))

    by_id = {p.staff_id: p for p in people}
    assert [p.staff_id for p in people] == ["zhao", "li", "zhang"]
    assert [p.rank for p in people] == [1, 2, 3]
    absent = {staff: next(line for line in p.lines if line.rule == "absent") for staff, p in by_id.items()}

    # zhang: 1.5 h late on 6 Oct, less 3 days x 15 min allowance = 0.75 h; plus 2 x 6.5 h.
    assert absent["zhang"].measured == 13.75
    assert absent["zhang"].points == -27.5
    assert by_id["zhang"].score == 72.5
    # The allowance is pooled over the days worked, and the text says so (it read "每天允许15分钟"
    # and a manager took a 98-minute pause on one day for a deduction that never came).
    assert absent["zhang"].threshold == "按出勤天数合计：每天允许15分钟（本月3天共45分钟），超出每小时 -2.0；缺勤2天（10月2日、10月8日）共13.0小时，全额计入"
    assert by_id["zhang"].unit is None  # no case served, no user account

    # li: Monday 5 Oct and Wednesday 7 Oct, never logged in; the unit comes from the account.
    assert (absent["li"].measured, absent["li"].points, by_id["li"].score) == (13.0, -26.0, 74.0)
    assert "缺勤2天（10月5日、10月7日）" in absent["li"].threshold
    assert by_id["li"].unit == "U2"
    assert [(u.unit, u.score, u.people) for u in units] == [("U2", 74.0, 1)]

    # zhao worked the whole of the days he was there and is not on the roster: nothing missed.
    assert (absent["zhao"].measured, absent["zhao"].points, by_id["zhao"].score) == (0.0, 0.0, 100.0)
    assert absent["zhao"].threshold == "按出勤天数合计：每天允许15分钟（本月4天共60分钟），超出每小时 -2.0"
    assert "wang" not in by_id

    # Without a roster, only the late morning counts, as before.
    people, _units = await engine.database.read(lambda c: assess_month(c, engine.config, rules, "2026-10"))
    assert [p.staff_id for p in people] == ["zhao", "zhang"]
    assert next(line for line in people[1].lines if line.rule == "absent").measured == 0.75


# The same shape as ROSTER, written with inline tables (a form technicians also use).
HALF_DAYS = """
staff = [{ id = "zhang", weekdays = ["tue", "wed"] }, { id = "li", weekdays = ["mon", "周三"] }]
leave = [
  { staff = "zhang", from = 2026-10-06, to = 2026-10-06, part = "上午" },
  { staff = "li", from = 2026-10-05, to = 2026-10-05, part = "afternoon", kind = "事假" },
]
"""


@ON_BOTH_BACKENDS
async def test_half_a_day_of_leave_excuses_that_half_only(engine: QueueEngine, clock: ManualClock):
    """zhang (Tuesdays and Wednesdays), on leave on the morning of 6 Oct, works its afternoon:
    nothing missed that day (the morning's 3.5 h are excused), while 7 Oct he comes in an hour late. li, on leave on the
    afternoon of Monday 5 Oct, never comes: that day costs only its morning (3.5 h), Wednesday
    7 Oct all 6.5 h."""
    await _session(engine, clock, "W2", "zhao", 5, "08:30", "17:30")  # the hall ran that Monday
    await _session(engine, clock, "W1", "zhang", 6, "14:30", "17:30")
    await _session(engine, clock, "W1", "zhang", 7, "09:30", "17:30")
    clock.set(at("08:00", _day(8)))
    await FactBuilder(engine.database, engine.config, clock).catch_up_all()

    roster = parse_roster(HALF_DAYS)
    assert roster.leave[0].part == "morning" and roster.leave[1].kind == "事假"
    assert roster.excused_s(engine.config, "zhang", _day(6)) == 3.5 * 3600
    people, _units = await engine.database.read(
        lambda c: assess_month(c, engine.config, AssessmentRules(), "2026-10", roster, last_day=_day(7)))
    absent = {p.staff_id: next(line for line in p.lines if line.rule == "absent") for p in people}

    # zhang: 6 Oct nothing (the morning excused), 7 Oct 1 h late; less 2 days x 15 min allowance.
    assert absent["zhang"].measured == 0.5
    # li: 3.5 h (5 Oct, the afternoon excused) + 6.5 h (7 Oct), both whole-day absences.
    assert absent["li"].measured == 10.0
    assert "缺勤2天（10月5日、10月7日）共10.0小时" in absent["li"].threshold

    whole_day = parse_roster(HALF_DAYS.replace('part = "上午"', 'part = "全天"'))
    assert _day(6) not in whole_day.expected_days(engine.config, _day(6), _day(6))["zhang"]
    assert roster.expected_days(engine.config, _day(5), _day(7)) == {"zhang": [_day(6), _day(7)], "li": [_day(5), _day(7)]}



@ON_BOTH_BACKENDS
async def test_days_before_the_hall_used_hallq_are_nobodys_absence(engine: QueueEngine, clock: ManualClock):
    """The hall starts using HallQ on Tuesday 6 Oct. Tried: October's and September's assessment
    with zhang and li on the roster. Kept: only days the hall ran count (zhang's 8 Oct, li's 7 Oct);
    the weeks before go-live charged each of them in full (zhang 2 and 5 Oct and every September
    working day, scored 0), and a month with nothing recorded ranked the whole roster."""
    await _session(engine, clock, "W1", "zhang", 6, "08:30", "17:30")
    await _session(engine, clock, "W2", "zhao", 7, "08:30", "17:30")
    await _session(engine, clock, "W1", "zhang", 7, "08:30", "17:30")
    await _session(engine, clock, "W2", "zhao", 8, "08:30", "17:30")
    clock.set(at("08:00", _day(9)))
    await FactBuilder(engine.database, engine.config, clock).catch_up_all()
    roster = parse_roster(ROSTER)

    people, _units = await engine.database.read(
        lambda c: assess_month(c, engine.config, AssessmentRules(), "2026-10", roster, last_day=_day(8)))
    absent = {p.staff_id: next(line for line in p.lines if line.rule == "absent") for p in people}
    assert "缺勤1天（10月8日）共6.5小时" in absent["zhang"].threshold
    assert absent["zhang"].measured == 6.5
    # li (Mondays and Wednesdays): Monday 5 Oct was before go-live, Wednesday 7 Oct counts.
    assert "缺勤1天（10月7日）共6.5小时" in absent["li"].threshold
    assert absent["li"].measured == 6.5

    september, sept_units = await engine.database.read(
        lambda c: assess_month(c, engine.config, AssessmentRules(), "2026-09", roster, last_day=_day(8)))
    assert (september, sept_units) == ([], [])


def test_a_leave_part_must_be_a_known_half() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_roster('[[staff]]\nid = "zhang"\n[[leave]]\nstaff = "zhang"\nfrom = 2026-10-06\nto = 2026-10-06\npart = "evening"\n')
    (problem,) = caught.value.problems
    assert (problem.key_path, problem.reason) == ("leave[0].part", "a leave part is day, morning or afternoon (or 全天, 上午, 下午) (got 'evening')")


def test_expected_days_follow_the_hall_calendar_weekdays_and_leave(hall_config):
    roster = parse_roster(ROSTER + '\n[[staff]]\nid = "sat"\nweekdays = ["sat"]\n')
    days = roster.expected_days(hall_config, _day(1), _day(11))
    # 1 Oct is a holiday, 3-4 and 11 Oct a weekend, 10 Oct a make-up Saturday (调休).
    assert days["zhang"] == [_day(2), _day(6), _day(7), _day(8), _day(9), _day(10)]
    assert days["li"] == [_day(5), _day(7)]
    assert days["sat"] == [_day(10)]


def test_bad_roster_names_file_key_and_reason():
    with pytest.raises(ConfigError) as caught:
        parse_roster("""
shift = "day"
[[staff]]
id = "zhang"
weekdays = ["mon", "mond"]
[[staff]]
id = "zhang"
[[staff]]
id = "li"
wekdays = ["mon"]
[[leave]]
staff = "zhang"
from = 2026-11-04
to = 2026-11-02
[[leave]]
staff = "nobody"
from = 2026-11-02
""")
    found = {(p.file, p.key_path): p.reason for p in caught.value.problems}
    assert set(found) == {
        ("roster.toml", "shift"),
        ("roster.toml", "staff[0].weekdays[1]"),
        ("roster.toml", "staff[1].id"),
        ("roster.toml", "staff[2].wekdays"),
        ("roster.toml", "leave[0].to"),
        ("roster.toml", "leave[1].to"),
        ("roster.toml", "leave[1].staff"),
    }
    assert "unknown weekday" in found[("roster.toml", "staff[0].weekdays[1]")]
    assert "duplicate staff id zhang" in found[("roster.toml", "staff[1].id")]
    assert found[("roster.toml", "leave[0].to")] == "2026-11-02 is before `from` (2026-11-04)"
    assert found[("roster.toml", "leave[1].to")] == "required key is missing（缺少必填项）"
    assert "not on the roster" in found[("roster.toml", "leave[1].staff")]
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_roster("[[staff]\n")


def test_sample_roster_loads_and_check_config_reads_the_roster(hall_dir: Path):
    example = default_config_dir() / "roster.example.toml"
    sample = parse_roster(example.read_text(encoding="utf-8"), example.name)
    config = load_hall_config(default_config_dir())
    assert sample.ids and all(days for days in sample.expected_days(config, date(2026, 11, 1), date(2026, 11, 30)).values())

    out = io.StringIO()
    assert check_config_main(hall_dir, out) == 0
    assert "0 staff on the roster" in out.getvalue()  # no roster.toml: nobody is expected
    assert load_roster(hall_dir).staff == ()

    (hall_dir / ROSTER_FILE).write_text('[[staff]]\nid = "zhang"\nweekdays = ["moon"]\n', encoding="utf-8")
    out = io.StringIO()
    assert check_config_main(hall_dir, out) == 1
    assert out.getvalue().splitlines()[0].startswith("roster.toml: staff[0].weekdays[0]: unknown weekday")


async def test_a_session_left_open_ends_with_its_day(engine: QueueEngine, clock: ManualClock):
    """zhang works Tuesday 6 Oct and goes home without logging out; he never comes on Wednesday.
    Seen: Wednesday counted him at W1 from opening to closing (present, fully available, absence
    0, the roster's missed day invisible), because the session ran on overnight. Kept: the end of
    the day (close_day) logs out every window still held from that day, so Wednesday is a missed
    day, and the morning after he logs in again like everyone else."""
    clock.set(at("08:30", _day(6)))
    await engine.login("W1", "zhang")
    clock.set(at("23:00", _day(6)))
    await engine.close_day(_day(6))
    assert (await engine.window("W1")).staff_id is None
    [logout] = [e for e in await engine.events_since(0) if e.kind == "window.logout"]
    assert (logout.staff_id, logout.payload["reason"]) == ("zhang", "day_closed")
    await _session(engine, clock, "W2", "li", 7, "08:30", "17:30")  # the hall ran on Wednesday
    clock.set(at("23:00", _day(7)))
    await engine.close_day(_day(7))
    await FactBuilder(engine.database, engine.config, clock).catch_up_all()

    roster = parse_roster('[[staff]]\nid = "zhang"\nweekdays = ["tue", "wed"]\n')
    people, _units = await engine.database.read(
        lambda c: assess_month(c, engine.config, AssessmentRules(), "2026-10", roster, last_day=_day(7)))
    [zhang] = [p for p in people if p.staff_id == "zhang"]
    absent = next(line for line in zhang.lines if line.rule == "absent")
    assert "本月1天" in absent.threshold and "缺勤1天（10月7日）共6.5小时" in absent.threshold


async def test_closing_yesterday_leaves_a_window_at_work_today(engine: QueueEngine, clock: ManualClock):
    """A hub restarted at 10:00 closes yesterday: whoever is serving now, or logged in today,
    keeps their window."""
    clock.set(at("08:30", _day(6)))
    await engine.login("W1", "zhang")
    clock.set(at("09:50", _day(7)))
    await engine.login("W2", "li")
    await engine.issue(IssueRequest(queue="A1"))
    await engine.call_next("W1")
    clock.set(at("10:00", _day(7)))
    await engine.close_day(_day(6))
    assert [(await engine.window(w)).staff_id for w in ("W1", "W2")] == ["zhang", "li"]
