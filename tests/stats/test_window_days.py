"""Window availability and idle-while-people-wait, from login/pause events and the ledger."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from server.stats.metrics import figures
from server.stats.spans import intersect, normalise, subtract, total
from tests.conftest import at

M = 60.0
SCHEDULED = (3.5 + 3.0) * 3600  # 08:30-12:00 and 14:30-17:30


async def test_availability_is_logged_in_unpaused_over_scheduled(scenario):
    await scenario.do("08:00", "login", "W1", "staff01")  # before opening: not counted
    await scenario.do("10:00", "pause", "W1", "meeting")
    await scenario.do("10:30", "resume", "W1")
    await scenario.do("11:00", "logout", "W1")
    await scenario.do("15:00", "login", "W1", "staff02")
    scenario.to("23:00")
    rows = {r["staff_id"]: r for r in await scenario.window_days("W1")}
    assert rows["staff01"]["scheduled_s"] == SCHEDULED
    assert rows["staff01"]["logged_in_s"] == 2.5 * 3600  # 08:30-11:00
    assert rows["staff01"]["paused_s"] == 30 * M
    assert rows["staff01"]["available_s"] == 2 * 3600
    assert rows["staff02"]["available_s"] == 2.5 * 3600  # 15:00-17:30, still logged in at closing
    [w1_only] = await scenario.figures("window", window="W1")
    assert (w1_only.key, w1_only.tickets, w1_only.availability) == ("W1", 0, round(4.5 / 6.5, 4))
    assert await scenario.figures("window", queue="A1") == [], "a queue has no window time of its own"
    # Without a filter, W1's day is a row of its own (no tickets, its time): the total's
    # availability counted it while the rows left it out, so no row read like the total.
    by_window = {f.key: f for f in await scenario.figures("window")}
    by_day = await scenario.figures("day")
    [total] = await scenario.figures("all")
    w1 = by_window["W1"]
    assert (w1.tickets, w1.availability) == (0, round(4.5 / 6.5, 4))
    assert [(d.key, d.tickets) for d in by_day] == [(str(scenario.day), 0)]
    assert by_day[0].availability == total.availability
    assert "None" not in by_window and all(f.wait_mean_s is None for f in by_window.values())


async def test_a_person_who_moved_windows_is_scheduled_once_a_day(scenario):
    """Tried: staff01 at W1 all morning and at W2 all afternoon, nobody else anywhere. Seen: the
    report by person said 50 % available (the day's 6.5 scheduled hours counted once per window
    they sat at); kept: their day is scheduled once, so they read 100 %, alone or narrowed to
    them, while each window still reads its own half-day."""
    await scenario.do("08:30", "login", "W1", "staff01")
    await scenario.do("12:00", "logout", "W1")
    await scenario.do("14:30", "login", "W2", "staff01")
    scenario.to("23:00")
    await scenario.window_days("W1")
    by_staff = {f.key: f for f in await scenario.figures("staff")}
    assert by_staff["staff01"].availability == 1.0
    [mine] = await scenario.figures("all", staff="staff01")
    assert mine.availability == 1.0
    by_window = {f.key: f.availability for f in await scenario.figures("window")}
    assert by_window["W1"] == round(3.5 / 6.5, 4) and by_window["W2"] == round(3 / 6.5, 4)


async def test_a_report_by_person_has_no_row_for_windows_nobody_staffed(scenario):
    """Seen on a month of history: the report by person began with a row without a name, 0 tickets
    and 0.0 % available: the windows nobody logged into (their window-days carry staff ""), read as
    a person who never turned up. Those windows stay in the hall's and each window's figures."""
    await scenario.do("08:30", "login", "W1", "staff01")
    scenario.to("23:00")
    await scenario.window_days("W1")
    assert [f.key for f in await scenario.figures("staff")] == ["staff01"]
    by_window = {f.key: f.availability for f in await scenario.figures("window")}
    assert by_window["W1"] == 1.0 and by_window["W3"] == 0.0


async def test_today_counts_only_the_opening_hours_that_have_passed(scenario):
    """Tried: a window staffed from before opening, read at 12:02 (lunch) and again at 15:30. Kept:
    scheduled time is the morning at noon, and the morning plus an hour of the afternoon later,
    so someone logged in all along is fully available and not absent for hours not yet come."""
    await scenario.do("08:00", "login", "W1", "staff01")
    scenario.to("12:02")
    [row] = await scenario.window_days("W1")
    assert row["scheduled_s"] == row["logged_in_s"] == row["available_s"] == 3.5 * 3600
    scenario.to("15:30")
    [row] = await scenario.window_days("W1")
    assert row["scheduled_s"] == row["logged_in_s"] == 4.5 * 3600  # 08:30-12:00 and 14:30-15:30


async def test_idle_while_people_wait(scenario):
    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.issue("09:00")
    await scenario.issue("09:01")
    await scenario.serve("W1", called="09:10", started="09:11", finished="09:20")  # idle 09:00-09:10
    await scenario.do("09:20", "pause", "W1", "break")  # paused while one waits: not "idle"
    await scenario.do("09:40", "resume", "W1")
    await scenario.serve("W1", called="09:45", started="09:46", finished="09:50")  # idle 09:40-09:45
    await scenario.do("10:00", "logout", "W1")
    [row] = await scenario.window_days("W1")
    assert row["idle_waiting_s"] == 15 * M
    assert row["busy_s"] == 15 * M  # called + serving: 09:10-09:20 and 09:45-09:50
    assert row["available_s"] == 40 * M
    # W2 serves the same queues and nobody logged in there: no idle time, zero availability.
    [w2] = await scenario.window_days("W2")
    assert (w2["staff_id"], w2["available_s"], w2["idle_waiting_s"]) == ("", 0.0, 0.0)
    [total_row] = await scenario.figures()
    assert total_row.idle_waiting_s == 15 * M


async def test_waiting_for_a_back_office_counts_only_there(scenario):
    await scenario.do("09:00", "login", "W3", "staff01")
    await scenario.do("09:00", "login", "BO", "staff02")
    await scenario.issue("09:00", queue="B1")
    await scenario.do("09:01", "call_next", "W3")
    await scenario.do("09:02", "start", "W3")
    await scenario.do("09:05", "transfer", "W3", "back_office", "BO")
    await scenario.do("09:15", "call_next", "BO")
    [bo] = await scenario.window_days("BO")
    [w3] = await scenario.window_days("W3")
    assert bo["idle_waiting_s"] == 10 * M
    assert w3["idle_waiting_s"] == 1 * M  # only 09:00-09:01, before it called the ticket


spans = st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)).map(lambda t: (float(min(t)), float(max(t)))), max_size=8)


def covered(s: list[tuple[float, float]]) -> set[int]:
    return {x for a, b in s for x in range(int(a), int(b))}


@given(spans, spans)
def test_span_algebra_matches_unit_sets(a, b):
    na, nb = normalise(a), normalise(b)
    assert covered(intersect(na, nb)) == covered(na) & covered(nb)
    assert covered(subtract(na, nb)) == covered(na) - covered(nb)
    assert total(na) == len(covered(a))
    assert all(x[1] < y[0] for x, y in zip(na, na[1:])), "normalised spans are disjoint and sorted"


async def test_window_day_figures_read_events_through_their_partial_index(scenario):
    """A window's day reads its logins, pauses and the day's transfers by day and kind: through the
    partial index that holds only those kinds (migration 0007), never by scanning the event log,
    which grows by every call and finish of every day."""
    import sqlite3

    from server.stats.window_day import WINDOW_KINDS
    from server.storage.schema import WINDOW_DAY_KINDS, WINDOW_DAY_KINDS_WHERE

    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.issue("09:00")
    await scenario.serve("W1", called="09:10", started="09:11", finished="09:20")
    await scenario.do("09:30", "pause", "W1", "break")
    database = scenario.engine.database
    statements: list[str] = []
    database._writer_connection().connection.dbapi_connection.set_trace_callback(statements.append)
    try:
        assert await scenario.window_days("W1")
    finally:
        if database._writer_conn is not None:
            database._writer_conn.connection.dbapi_connection.set_trace_callback(None)
    by_kind = [s for s in statements if s.lstrip().startswith("SELECT") and "FROM ticket_events" in s
               and "ticket_events.kind" in s.partition("WHERE")[2]]
    assert len(by_kind) >= 2, statements  # the window's events, the day's transfers
    with sqlite3.connect(database.sync_engine.url.database) as conn:
        # The index's kinds are spelled in three places that must agree: the window-day reader's
        # kinds (plus transfers) are among them, and the migrated index has the declared condition.
        assert {*WINDOW_KINDS, "ticket.transferred"} <= set(WINDOW_DAY_KINDS)
        (index_sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'ix_ticket_events_day_window_kinds'").fetchone()
        assert index_sql.endswith("WHERE " + WINDOW_DAY_KINDS_WHERE.text), index_sql
        for statement in by_kind:
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement)]
            assert any("INDEX ix_ticket_events_day_window_kinds" in step for step in plan), (statement, plan)
            assert not any(step.startswith("SCAN ticket_events") for step in plan), (statement, plan)


async def test_a_report_of_today_sees_a_window_idle_without_events(scenario):
    """Tried: W1 opened at 09:00 with someone waiting and nothing happening after, a report read
    at 09:05 and again at 10:05 and 10:05:30. Kept: the later read counts the hour of idling
    (today's row was rebuilt only at the window's own events, so it stayed at its 09:05 figures
    all morning) and W2, where nobody logged in, has today's row; within a minute of hall time the
    figures are reused rather than rebuilt on the single writer again."""
    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.issue("09:00")

    async def today(by: str = "window") -> dict[str, Any]:
        await scenario.facts.ready_for(scenario.day, scenario.day)
        rows = await scenario.engine.database.read(lambda c: figures(c, scenario.day, scenario.day, by))
        return {f.key: f for f in rows}

    scenario.to("09:05")
    assert (await today())["W1"].idle_waiting_s == 5 * M
    scenario.to("10:05")
    rows = await today()
    assert rows["W1"].idle_waiting_s == 65 * M
    assert rows["W1"].availability == round(65 / 95, 4)  # logged in 09:00-10:05 of 08:30-10:05 so far
    assert rows["W2"].availability == 0.0 and rows["W2"].tickets == 0
    scenario.to("10:05:30")
    assert (await today())["W1"].idle_waiting_s == 65 * M  # within TODAY_REFRESH_S: the same rows
    scenario.to("10:06:05")
    assert (await today())["W1"].idle_waiting_s == 66 * M + 5


async def test_a_day_the_hall_is_closed_is_no_row_of_a_report(scenario):
    """Seen on a Saturday: the month's report by day ended with a row for that Saturday, no
    tickets and a blank availability, and the report by window listed every window so: reading
    today's figures wrote window-days for a day without opening hours. Kept: a day or window with
    no scheduled time and no tickets is no row (a working day nobody came to still is, at 0 %)."""
    saturday = scenario.day + timedelta(days=2)
    scenario.day = saturday
    scenario.clock.set(at("10:00", saturday))
    await scenario.facts.ready_for(saturday, saturday)
    for by in ("day", "window", "all"):
        assert await scenario.engine.database.read(lambda c: figures(c, saturday, saturday, by)) == []


async def test_the_day_before_the_hall_first_ran_is_no_row(scenario):
    """Tried: a hall's first morning (staff01 at W1 from 09:00), its figures read at 10:00 for the
    day before and today. Seen: the first catch-up rebuilt the day before the hub's first start,
    every window scheduled and nobody logged in, and the first month's 窗口在岗率 read half of
    what it was. Kept: whole-day rebuilds start at the hall's first ticket or window event (a
    device's state, written from the day a hub with buses was first set up, is none)."""
    before = scenario.day - timedelta(days=1)
    scenario.clock.set(at("15:00", before))  # the technician sets the buses up the day before
    await scenario.engine.record_device_state("pads-A", "online", "", None)
    await scenario.do("09:00", "login", "W1", "staff01")
    scenario.to("10:00")
    await scenario.facts.ready_for(before, scenario.day)
    rows = await scenario.engine.database.read(lambda c: figures(c, before, scenario.day, "day"))
    assert [f.key for f in rows] == [scenario.day.isoformat()]
    [month] = await scenario.engine.database.read(lambda c: figures(c, before, scenario.day, "all"))
    windows = len(scenario.engine.config.windows)
    assert month.availability == rows[0].availability == round(60 / (90 * windows), 4)  # W1's hour of the windows' 08:30-10:00
