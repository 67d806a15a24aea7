"""Reports by window and by person describe what that window or person did, from the legs they
handled, and agree with the monthly assessment read beside them."""
from __future__ import annotations

from alembic import command
from sqlalchemy import select, update

from server.stats.assessment import assess_month
from server.stats.assessment_rules import AssessmentRules
from server.stats.metrics import Figures, chart_series, wait_histogram
from server.storage.db import _alembic_config, upgrade
from server.storage.schema import stat_leg_facts, stat_ticket_facts
from tests.stats.conftest import ON_BOTH_BACKENDS, Scenario

M = 60.0


async def _hall_morning(scenario: Scenario) -> None:
    """staff01 at W1 and staff02 at W2 serve A1, staff03 works in the back office BO.

    A (09:00): W1 calls 09:05, starts 09:06, passes it to BO at 09:16; BO calls 09:20, starts
       09:21, concludes 09:45. Rated 2 (the rating goes to W1, the front window the citizen met).
    B (09:01): W2 calls 09:10, recalls, marks no-show 09:14; re-queued late 09:20, W1 calls it
       09:25, starts 09:26, finishes 09:30.
    C (09:02): W2 calls 09:15, starts 09:16, finishes 09:24. Rated 5.
    D (09:03): W2 calls 09:26, no-show 09:28."""
    a = await scenario.issue("09:00")
    b = await scenario.issue("09:01")
    c = await scenario.issue("09:02")
    d = await scenario.issue("09:03")
    for window, person in (("W1", "staff01"), ("W2", "staff02"), ("BO", "staff03")):
        await scenario.do("09:04", "login", window, person)
    await scenario.do("09:05", "call_next", "W1")
    await scenario.do("09:06", "start", "W1")
    await scenario.do("09:10", "call_next", "W2")
    await scenario.do("09:12", "recall", "W2")
    await scenario.do("09:14", "no_show", "W2")
    await scenario.do("09:15", "call_next", "W2")
    await scenario.do("09:16", "transfer", "W1", "back_office", "BO")
    await scenario.do("09:16", "start", "W2")
    await scenario.do("09:20", "requeue_late", b.number)
    await scenario.do("09:20", "call_next", "BO")
    await scenario.do("09:21", "start", "BO")
    await scenario.do("09:24", "finish", "W2")
    await scenario.do("09:24", "rate", c.id, 5)
    await scenario.do("09:25", "call_ticket", "W1", b.number)
    await scenario.do("09:26", "start", "W1")
    called = await scenario.do("09:26", "call_next", "W2")
    assert called.id == d.id
    await scenario.do("09:28", "no_show", "W2")
    await scenario.do("09:30", "finish", "W1")
    await scenario.do("09:45", "finish", "BO")
    await scenario.do("09:45", "rate", a.id, 2)


def _figures(f: Figures) -> dict[str, object]:
    return {name: getattr(f, name) for name in (
        "tickets", "called", "served", "no_shows", "abandoned", "transfers", "wait_mean_s", "wait_p50_s", "wait_p90_s",
        "wait_max_s", "walk_mean_s", "service_mean_s", "dwell_mean_s", "over_kpi_share", "no_show_rate", "rated",
        "rating_mean", "bad_after_appeal")}


# By hand from the events above (the hall's service level is 20 minutes):
STAFF01 = {  # A's first leg (wait 09:00-09:05, walk 1 min, service 10 min, passed on at 09:16)
    # and B, whose wait the call at 09:25 ended (09:01-09:25), walk 1 min, service 4 min
    "tickets": 2, "called": 2, "served": 2, "no_shows": 0, "abandoned": 0, "transfers": 1,
    "wait_mean_s": (5 + 24) / 2 * M, "wait_p50_s": 5 * M, "wait_p90_s": 24 * M, "wait_max_s": 24 * M,
    "walk_mean_s": 1 * M, "service_mean_s": (10 + 4) / 2 * M, "dwell_mean_s": (16 + 29) / 2 * M,
    "over_kpi_share": 0.5, "no_show_rate": 0.0, "rated": 1, "rating_mean": 2.0, "bad_after_appeal": 1,
}
STAFF02 = {  # C (wait 13 min, walk 1, service 8, 09:02-09:24) and D (wait 09:03-09:26, a no-show)
    "tickets": 2, "called": 2, "served": 1, "no_shows": 1, "abandoned": 0, "transfers": 0,
    "wait_mean_s": (13 + 23) / 2 * M, "wait_p50_s": 13 * M, "wait_p90_s": 23 * M, "wait_max_s": 23 * M,
    "walk_mean_s": 1 * M, "service_mean_s": 8 * M, "dwell_mean_s": 22 * M,
    "over_kpi_share": 0.5, "no_show_rate": 0.5, "rated": 1, "rating_mean": 5.0, "bad_after_appeal": 0,
}
STAFF03 = {  # A's back-office leg: entered 09:16, called 09:20, started 09:21, concluded 09:45
    "tickets": 1, "called": 1, "served": 1, "no_shows": 0, "abandoned": 0, "transfers": 0,
    "wait_mean_s": 4 * M, "wait_p50_s": 4 * M, "wait_p90_s": 4 * M, "wait_max_s": 4 * M,
    "walk_mean_s": 1 * M, "service_mean_s": 24 * M, "dwell_mean_s": 29 * M,
    "over_kpi_share": 0.0, "no_show_rate": 0.0, "rated": 0, "rating_mean": None, "bad_after_appeal": 0,
}


@ON_BOTH_BACKENDS
async def test_each_person_and_window_reads_the_legs_they_handled(scenario: Scenario) -> None:
    """Tried: a morning with a case passed from W1 to the back office, a no-show re-called by
    another window and two people at two windows. Seen: the back office read A's whole service
    (34 min) and wait (9 min); staff01 read B alone, with none of the case he passed on; staff02
    read the ratings of nobody. Kept: each row is that person's (window's) own legs."""
    await _hall_morning(scenario)
    by_staff = {f.key: _figures(f) for f in await scenario.figures("staff")}
    assert by_staff == {"staff01": STAFF01, "staff02": STAFF02, "staff03": STAFF03}
    by_window = {f.key: _figures(f) for f in await scenario.figures("window") if f.tickets or f.rated}
    assert by_window == {"W1": STAFF01, "W2": STAFF02, "BO": STAFF03}
    [mine] = await scenario.figures("staff", staff="staff03")
    assert _figures(mine) == STAFF03
    [total] = await scenario.figures("all")
    assert (total.tickets, total.served, total.no_shows, total.transfers) == (4, 3, 1, 1), "per ticket, as before"


@ON_BOTH_BACKENDS
async def test_a_report_narrowed_to_one_person_reads_their_legs_in_every_grouping(scenario: Scenario) -> None:
    """Tried: the same morning's report narrowed to each person (and to each window) by day, by
    month, by hour of issue, by queue and in one total. Seen: narrowed to staff03 by day it read
    A's whole wait and service (the back-office clerk credited with the front window's work) and
    staff02's day read one ticket, where the row by person, a click away, read two. Kept: every
    grouping of a person's (window's) report is that person's own legs, as the row by person."""
    await _hall_morning(scenario)
    people = {"staff01": STAFF01, "staff02": STAFF02, "staff03": STAFF03}
    for person, expected in people.items():
        for by in ("all", "day", "month"):
            [row] = await scenario.figures(by, staff=person)
            assert _figures(row) == expected, (person, by)
        [queue] = await scenario.figures("queue", staff=person)
        assert (queue.key, queue.tickets, queue.served) == ("A1", expected["tickets"], expected["served"])
        by_hour = await scenario.figures("hour", staff=person)
        assert sum(f.tickets for f in by_hour) == expected["tickets"] and {f.key for f in by_hour} == {"9"}
    for window, expected in (("W1", STAFF01), ("W2", STAFF02), ("BO", STAFF03)):
        [row] = await scenario.figures("day", window=window)
        assert _figures(row) == expected, window


@ON_BOTH_BACKENDS
async def test_a_persons_hours_read_in_the_days_order(scenario: Scenario) -> None:
    """Tried: staff01's report by hour, for tickets issued at 08:50, 09:30, 10:10 and 16:00. Seen:
    16:00, 08:00, 09:00 in that order (and 10:00 before 08:00): the hours were sorted as text. Kept:
    08, 09, 10, 16, as the hall's own report by hour reads."""
    await scenario.do("08:45", "login", "W1", "staff01")
    for at_time, called, done in (("08:50", "08:51", "08:55"), ("09:30", "09:31", "09:35"),
                                  ("10:10", "10:11", "10:15"), ("16:00", "16:01", "16:05")):
        await scenario.issue(at_time)
        await scenario.do(called, "call_next", "W1")
        await scenario.do(called, "start", "W1")
        await scenario.do(done, "finish", "W1")
    by_hour = await scenario.figures("hour", staff="staff01")
    assert [f.key for f in by_hour] == ["8", "9", "10", "16"]
    assert [f.key for f in await scenario.figures("hour", window="W1")] == ["8", "9", "10", "16"]
    await scenario.issue("16:30")
    await scenario.do("16:40", "close_day", scenario.day)  # closed uncalled: the legs no window called
    assert [f.key for f in await scenario.figures("window")][-1] == "None", "（未叫号） last, after the idle windows"
    assert [f.key for f in await scenario.figures("staff")] == ["staff01", "None"]


@ON_BOTH_BACKENDS
async def test_the_report_pages_charts_narrowed_to_a_person_read_their_legs(scenario: Scenario) -> None:
    """Tried: the report page's charts (tickets by hour and day, mean wait by zone, the wait
    histogram) narrowed to the back-office clerk and to staff01. Seen: staff03's histogram held
    A's whole 9-minute wait in 5-10, beside a table reading his own 4 minutes. Kept: the charts
    count the legs the person handled, as the table does."""
    await _hall_morning(scenario)
    await scenario.facts.catch_up_all()
    day = scenario.day

    def charts(staff: str) -> tuple[object, list[tuple[str, int]]]:
        filters = {"staff": staff}
        return scenario.engine.database.read(lambda c: (chart_series(c, day, day, filters), wait_histogram(c, day, day, filters=filters)))

    series, bands = await charts("staff03")
    assert series.tickets_by_day == [(str(day), STAFF03["tickets"])] and series.tickets_by_hour == [(9, 1)]
    assert series.wait_mean_by_zone == [("A", STAFF03["wait_mean_s"])]
    assert [b for b in bands if b[1]] == [("0-5", 1)]
    series, bands = await charts("staff01")
    assert series.tickets_by_day == [(str(day), STAFF01["tickets"])]
    assert [b for b in bands if b[1]] == [("5-10", 1), ("20-25", 1)]


@ON_BOTH_BACKENDS
async def test_people_rows_add_up_to_the_assessments_counts(scenario: Scenario) -> None:
    """The report by person and the month's assessment count the same legs and ratings: 办件量,
    calls, no-shows and ratings agree person by person (and so in total)."""
    await _hall_morning(scenario)
    rows = {f.key: f for f in await scenario.figures("staff")}
    people, _units = await scenario.engine.database.read(
        lambda c: assess_month(c, scenario.engine.config, AssessmentRules(), f"{scenario.day:%Y-%m}"))
    assert sorted(p.staff_id for p in people) == sorted(rows)
    for person in people:
        row = rows[person.staff_id]
        measured = {line.rule: line.measured for line in person.lines}
        assert measured["volume"] == row.served
        assert measured["no_shows"] == row.no_show_rate
        assert measured["bad_ratings"] == row.bad_after_appeal
        assert measured["satisfaction"] == row.rating_good_share
    assert sum(f.served for f in rows.values()) == sum(p.lines[0].measured or 0 for p in people) == 4


@ON_BOTH_BACKENDS
async def test_facts_written_before_the_rating_window_get_it_from_their_events(scenario: Scenario) -> None:
    """A hall upgraded with a month of facts: migration 0008 fills in the window each rating was
    given for from its `ticket.rated` event, so last month's report by window credits the
    back-office case's rating to the front window W1 without rebuilding a fact."""
    await _hall_morning(scenario)
    await scenario.facts.catch_up_all()
    database = scenario.engine.database
    async with database.engine.begin() as conn:  # back to the schema before 0008, facts kept
        await conn.run_sync(lambda sync: command.downgrade(_alembic_config(sync), "0007"))
    await upgrade(database)
    rows = await database.read(lambda c: c.execute(
        select(stat_ticket_facts.c.rating, stat_ticket_facts.c.rating_window)
        .where(stat_ticket_facts.c.rating.is_not(None)).order_by(stat_ticket_facts.c.rating)).all())
    assert [tuple(r) for r in rows] == [(2, "W1"), (5, "W2")]
    by_window = {f.key: (f.rated, f.rating_mean) for f in await scenario.figures("window") if f.rated}
    assert by_window == {"W1": (1, 2.0), "W2": (1, 5.0)}


@ON_BOTH_BACKENDS
async def test_the_no_show_rate_counts_a_call_the_day_closed_as_a_call_everywhere(scenario: Scenario) -> None:
    """Tried: staff01 at W1 serves A, calls B who never comes (no-show), and calls C at 17:20, who
    is still at the window when the day is closed (auto-closed). Seen: the report by person read
    过号率 1/3 (C's leg among the calls) and the month's assessment 1/2 (C's leg left out of the
    calls), so the two pages gave one person two rates. Kept: one definition, HALL.md's (no-shows
    / tickets called; auto-closing leaves a ticket out of time averages only): C was called and
    came, so it is a call and not a no-show on the report, the assessment and the hall's total."""
    a = await scenario.issue("09:00")
    b = await scenario.issue("09:01")
    c = await scenario.issue("09:02")
    await scenario.do("09:03", "login", "W1", "staff01")
    await scenario.serve("W1", "09:05", "09:06", "09:16")
    await scenario.do("09:20", "call_next", "W1")
    await scenario.do("09:30", "no_show", "W1")
    await scenario.do("17:20", "call_next", "W1")
    await scenario.do("17:21", "start", "W1")
    assert await scenario.do("18:30", "close_day", scenario.day) == 1
    legs = [leg for t in (a, b, c) for leg in await scenario.legs(t.id)]
    assert [(leg["staff_id"], leg["outcome"], leg["auto_closed"]) for leg in legs] == [
        ("staff01", "served", False), ("staff01", "no_show", False), ("staff01", "closed_eod", True)]

    [row] = await scenario.figures("staff")
    [total] = await scenario.figures("all")
    people, _units = await scenario.engine.database.read(
        lambda conn: assess_month(conn, scenario.engine.config, AssessmentRules(), f"{scenario.day:%Y-%m}"))
    [person] = people
    measured = {line.rule: line.measured for line in person.lines}
    called = sum(1 for leg in legs if leg["staff_id"] is not None)
    no_shows = sum(1 for leg in legs if leg["outcome"] == "no_show")
    assert (row.called, row.no_shows, total.called, total.no_shows) == (called, no_shows, called, no_shows)
    assert measured["no_shows"] == row.no_show_rate == total.no_show_rate == round(no_shows / called, 4)
    assert measured["volume"] == row.served == 1, "a case the day closed is no case served, on both pages"


@ON_BOTH_BACKENDS
async def test_a_case_accepted_and_passed_on_counts_for_the_window_though_the_day_closed_it(scenario: Scenario) -> None:
    """Tried: staff01 at W1 accepts A at 09:05-09:19 and transfers it to the back office BO at
    09:19 (受理, 转); BO never takes it up and the day closes it. It was: both legs flagged
    auto-closed, so W1's leg lost its 14-minute wait and service from the report by person and
    staff01 the case from the assessment's 办件量, for what the back office left undone. Kept: only
    BO's leg, the one open at closing, is auto-closed; W1's leg is a case served on the report and
    the assessment, with its wait and service; the ticket as a whole stays auto-closed (out of the
    hall's time averages). Then the flag is set on every leg again as an older HallQ stored it and
    migration 0013 clears it on the earlier leg only."""
    a = await scenario.issue("09:00")
    await scenario.do("09:04", "login", "W1", "staff01")
    await scenario.do("09:04", "login", "BO", "staff03")
    await scenario.do("09:05", "call_next", "W1")
    await scenario.do("09:06", "start", "W1")
    await scenario.do("09:19", "transfer", "W1", "back_office", "BO")
    assert await scenario.do("18:30", "close_day", scenario.day) == 1
    legs = await scenario.legs(a.id)
    assert [(leg["leg"], leg["staff_id"], leg["auto_closed"]) for leg in legs] == [(1, "staff01", False), (2, None, True)]
    assert (await scenario.ticket_fact(a.id) or {})["auto_closed"] is True

    rows = {f.key: (f.served, f.wait_mean_s) for f in await scenario.figures("staff")}
    assert rows["staff01"] == (1, 5 * 60.0), rows
    people, _units = await scenario.engine.database.read(
        lambda conn: assess_month(conn, scenario.engine.config, AssessmentRules(), f"{scenario.day:%Y-%m}"))
    volumes = {p.staff_id: {line.rule: line.measured for line in p.lines}["volume"] for p in people}
    assert (volumes["staff01"], volumes.get("staff03", 0)) == (1, 0)  # BO took nothing up

    database = scenario.engine.database
    await database.write(lambda conn: conn.execute(update(stat_leg_facts).values(auto_closed=True)))
    async with database.engine.begin() as conn:  # as stored before 0013, then upgraded
        await conn.run_sync(lambda sync: command.downgrade(_alembic_config(sync), "0012"))
    await upgrade(database)
    stored = await database.read(lambda c: c.execute(
        select(stat_leg_facts.c.leg, stat_leg_facts.c.auto_closed).order_by(stat_leg_facts.c.leg)).all())
    assert [tuple(r) for r in stored] == [(1, False), (2, True)]
