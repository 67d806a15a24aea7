"""Every HALL.md time metric on hand-built histories with known answers, through the real engine."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from server.engine.views import TicketView
from server.stats.facts import WATERMARK
from server.storage.schema import stat_ticket_facts, stat_watermarks, ticket_intervals, tickets
from tests.stats.conftest import ON_BOTH_BACKENDS

M = 60.0


async def test_plain_visit_wait_walk_service_dwell(scenario):
    t = await scenario.issue("09:00")
    await scenario.do("09:10", "login", "W1", "staff01")
    await scenario.serve("W1", called="09:12", started="09:13", finished="09:23")
    fact = await scenario.ticket_fact(t.id)
    assert fact["wait_s"] == 12 * M
    assert fact["walk_s"] == 1 * M
    assert fact["service_s"] == 10 * M
    assert fact["dwell_s"] == 23 * M
    assert (fact["final_status"], fact["outcome"], fact["legs"], fact["transfers"]) == ("finished", "completed", 1, 0)
    assert (fact["first_window"], fact["last_staff"], fact["over_kpi"], fact["auto_closed"]) == ("W1", "staff01", False, False)
    assert (fact["issue_hour"], fact["weekday"], fact["zone"], fact["unit"]) == (9, 4, "A", "U1")


async def test_recalls_move_the_last_call(scenario):
    """Recalls repeat the call: the wait ends at the last one, the walk starts there."""
    t = await scenario.issue("09:00")
    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.do("09:10", "call_next", "W1")
    await scenario.do("09:11", "recall", "W1")
    await scenario.do("09:12", "recall", "W1")
    await scenario.do("09:12:30", "start", "W1")
    await scenario.do("09:20", "finish", "W1")
    fact = await scenario.ticket_fact(t.id)
    assert fact["calls"] == 3
    assert fact["wait_s"] == 12 * M
    assert fact["walk_s"] == 30
    assert fact["service_s"] == 7.5 * M


async def test_no_show_then_late_requeue_counts_the_last_call(scenario):
    t = await scenario.issue("09:00")
    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.do("09:10", "call_next", "W1")
    for minute in ("09:11", "09:12", "09:13"):
        await scenario.do(minute, "recall", "W1")
    await scenario.do("09:14", "no_show", "W1")
    no_show = await scenario.ticket_fact(t.id)
    assert (no_show["final_status"], no_show["was_called"], no_show["wait_s"], no_show["dwell_s"]) == (
        "no_show", True, 13 * M, None,
    )
    await scenario.do("09:30", "requeue_late", t.number)
    assert await scenario.ticket_fact(t.id) is None, "a re-queued ticket is open again: no fact until it ends"
    await scenario.serve("W1", called="09:40", started="09:41", finished="09:50")
    fact = await scenario.ticket_fact(t.id)
    assert fact["final_status"] == "finished"
    assert fact["wait_s"] == 40 * M  # 09:40 (last call) - 09:00 (entered the queue)
    assert fact["walk_s"] == 1 * M
    assert fact["calls"] == 5
    assert fact["over_kpi"] is True  # 40 min > the hall's 20 min service level


@ON_BOTH_BACKENDS
async def _accepted_then_handled_in_the_back_office(scenario) -> TicketView:
    """受、转、办、结: staff01 at W3 accepts a B1 case and passes it to the back office, where
    staff02 handles and concludes it."""
    t = await scenario.issue("09:00", queue="B1")
    await scenario.do("09:00", "login", "W3", "staff01")
    await scenario.do("09:00", "login", "BO", "staff02")
    await scenario.do("09:05", "call_next", "W3")
    await scenario.do("09:06", "start", "W3")
    await scenario.do("09:16", "transfer", "W3", "back_office", "BO")
    await scenario.serve("BO", called="09:20", started="09:21", finished="09:31")
    return t


async def test_transfer_to_back_office_sums_legs(scenario):
    t = await _accepted_then_handled_in_the_back_office(scenario)
    fact = await scenario.ticket_fact(t.id)
    legs = await scenario.legs(t.id)
    assert [(leg["queue"], leg["window_id"], leg["target_window"], leg["outcome"]) for leg in legs] == [
        ("B1", "W3", None, "transferred_back_office"),
        ("B1", "BO", "BO", "served"),
    ]
    assert [leg["wait_s"] for leg in legs] == [5 * M, 4 * M]
    assert [leg["service_s"] for leg in legs] == [10 * M, 10 * M]
    assert (fact["wait_s"], fact["service_s"], fact["dwell_s"], fact["transfers"]) == (9 * M, 20 * M, 31 * M, 1)
    assert (fact["first_window"], fact["last_window"], fact["first_staff"], fact["last_staff"]) == (
        "W3", "BO", "staff01", "staff02",
    )


async def test_transfers_by_window_or_person_are_the_ones_they_made(scenario):
    """Reports by window or person group tickets by who concluded them; their 转办次数 counted the
    transfers made before the case reached them: the back office read one transfer for the case
    it only finished, the window that passed it on read none. Now each counts what it passed on;
    the hall's total is unchanged."""
    await _accepted_then_handled_in_the_back_office(scenario)
    by_staff = {f.key: f.transfers for f in await scenario.figures("staff")}
    assert by_staff == {"staff01": 1, "staff02": 0}
    by_window = {f.key: f.transfers for f in await scenario.figures("window") if f.tickets or f.transfers}
    assert by_window == {"W3": 1, "BO": 0}
    assert [f.transfers for f in await scenario.figures("all", staff="staff01")] == [1]
    assert [f.transfers for f in await scenario.figures("day", staff="staff02")] == [0]
    assert [(f.key, f.transfers) for f in await scenario.figures("hour", staff="staff02")] == [("9", 0)]
    assert [f.transfers for f in await scenario.figures("all")] == [1]


@pytest.mark.parametrize("second_start, service_min", [(True, 8), (False, 9)])
async def test_parked_case_hold_time_is_not_service(scenario, second_start, service_min):
    """Taken up again, with or without "start" pressed a second time: 09:06-09:10 and from the
    second start (09:26) or the resume (09:25) to 09:30. Without it, the stretch after the
    resume was dropped (4 min where the citizen was served 9)."""
    t = await scenario.issue("09:00")
    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.do("09:05", "call_next", "W1")
    await scenario.do("09:06", "start", "W1")
    await scenario.do("09:10", "park", "W1")
    await scenario.do("09:25", "call_ticket", "W1", t.number)
    if second_start:
        await scenario.do("09:26", "start", "W1")
    await scenario.do("09:30", "finish", "W1")
    fact = await scenario.ticket_fact(t.id)
    assert fact["wait_s"] == 5 * M, "taking a parked case up again is not a new call"
    assert (fact["walk_s"], fact["hold_s"]) == (1 * M, 15 * M)
    assert fact["service_s"] == service_min * M
    assert fact["dwell_s"] == 30 * M


async def test_case_parked_before_start_does_not_count_its_hold_as_service_or_walk(scenario):
    """Parked straight after the call (the citizen sent home for a document) and taken up two
    hours later: the hold was counted as service (no second start) or as walk (with one)."""
    finished_at_once = await scenario.issue("09:00")
    started_again = await scenario.issue("09:00")
    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.do("09:05", "call_next", "W1")
    await scenario.do("09:07", "park", "W1")
    await scenario.do("09:08", "call_next", "W1")
    await scenario.do("09:09", "park", "W1")
    await scenario.do("11:25", "call_ticket", "W1", finished_at_once.number)
    await scenario.do("11:30", "finish", "W1")
    await scenario.do("11:31", "call_ticket", "W1", started_again.number)
    await scenario.do("11:32", "start", "W1")
    await scenario.do("11:40", "finish", "W1")
    first = await scenario.ticket_fact(finished_at_once.id)
    assert (first["wait_s"], first["hold_s"], first["walk_s"]) == (5 * M, (11 * 60 + 25 - 9 * 60 - 7) * M, None)
    assert first["service_s"] == 7 * M  # 09:05-09:07 and 11:25-11:30
    second = await scenario.ticket_fact(started_again.id)
    assert (second["wait_s"], second["walk_s"]) == (8 * M, None)
    assert second["service_s"] == 9 * M  # 09:08-09:09 and 11:32-11:40


async def test_finish_without_start_counts_service_from_the_last_call(scenario):
    """Nobody pressed "start": the service runs from the last call (a recall moves it), the walk
    is unknown rather than the whole visit at the window, and the ticket's own record agrees."""
    t = await scenario.issue("09:00")
    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.do("09:05", "call_next", "W1")
    await scenario.do("09:06", "recall", "W1")
    finished = await scenario.do("09:16", "finish", "W1", "consulted")
    fact = await scenario.ticket_fact(t.id)
    assert (fact["wait_s"], fact["walk_s"], fact["service_s"], fact["outcome"]) == (6 * M, None, 10 * M, "consulted")
    assert fact["dwell_s"] == 16 * M
    assert finished.finished_at - finished.served_at == 10 * M
    (leg,) = await scenario.legs(t.id)
    assert (leg["started_at"], leg["walk_s"], leg["service_s"]) == (leg["last_call_at"], None, 10 * M)


async def test_a_start_less_finish_recorded_before_the_rule_keeps_its_zero_service(scenario):
    """History is not rewritten: a ticket whose called interval was closed as 'arrived' at the
    finish (how start-less finishes were recorded before) is still read as walk, zero service."""
    t = await scenario.issue("09:00")
    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.do("09:05", "call_next", "W1")
    await scenario.do("09:07", "finish", "W1", "consulted")
    await scenario.ticket_fact(t.id)  # its intervals derived, as the hub had them then

    def as_recorded_before(conn) -> None:  # type: ignore[no-untyped-def]
        conn.execute(update(ticket_intervals).where(ticket_intervals.c.ticket_id == t.id, ticket_intervals.c.state == "called")
                     .values(outcome="arrived"))
        conn.execute(update(tickets).where(tickets.c.id == t.id).values(served_at=tickets.c.finished_at))
        conn.execute(delete(stat_ticket_facts).where(stat_ticket_facts.c.ticket_id == t.id))
        conn.execute(update(stat_watermarks).where(stat_watermarks.c.name == "facts").values(last_seq=0))

    await scenario.engine.database.write_long(as_recorded_before)
    fact = await scenario.ticket_fact(t.id)
    assert (fact["wait_s"], fact["walk_s"], fact["service_s"]) == (5 * M, 2 * M, 0.0)


async def test_ticket_crossing_the_lunch_break(scenario):
    t = await scenario.issue("11:20")
    await scenario.do("11:20", "login", "W1", "staff01")
    await scenario.do("11:21", "pause", "W1", "meeting")
    await scenario.do("14:30", "resume", "W1")
    await scenario.serve("W1", called="14:35", started="14:36", finished="14:50")
    fact = await scenario.ticket_fact(t.id)
    assert fact["wait_s"] == (3 * 60 + 15) * M  # clock time, lunch included: the citizen waited it
    assert fact["over_kpi"] is True
    assert fact["dwell_s"] == (3 * 60 + 30) * M


@ON_BOTH_BACKENDS
async def test_auto_closed_tickets_are_flagged_and_left_out_of_averages(scenario):
    await scenario.do("09:00", "login", "W1", "staff01")
    await scenario.do("09:00", "login", "W3", "staff02")
    served = await scenario.issue("09:00")
    waiting = await scenario.issue("09:01")
    in_service = await scenario.issue("09:02", queue="B1")
    await scenario.serve("W1", called="09:10", started="09:11", finished="09:20")
    await scenario.do("17:00", "call_next", "W3")  # waited 7h58m, never finished
    await scenario.do("17:01", "start", "W3")
    scenario.to("23:00")
    assert await scenario.engine.close_day(scenario.day) == 2
    closed_waiting = await scenario.ticket_fact(waiting.id)
    closed_serving = await scenario.ticket_fact(in_service.id)
    assert (closed_waiting["auto_closed"], closed_waiting["final_status"], closed_waiting["was_called"]) == (True, "closed", False)
    assert (closed_serving["auto_closed"], closed_serving["wait_s"]) == (True, (7 * 60 + 58) * M)
    [total] = await scenario.figures()
    assert (total.tickets, total.served, total.auto_closed, total.abandoned) == (3, 1, 2, 1)
    assert total.wait_mean_s == 10 * M and total.wait_max_s == 10 * M, "only the served ticket's wait counts"
    assert total.over_kpi_share == 0.0
    assert total.abandonment_rate == round(1 / 3, 4)
    assert served.id != waiting.id


@ON_BOTH_BACKENDS
async def test_a_visit_rated_in_service_and_closed_by_the_day_is_rated_not_served(scenario):
    """Tried: a B1 ticket called and started at W3, rated 2 by the citizen while being served, then
    closed by the end of the day. Kept (docs/statistics.md, auto-closed): the report by ticket and
    the report by staff read 办结 0 and one rated visit with its score, and the ticket among the
    auto-closed: HALL.md leaves auto-closed tickets out of time averages only, so the citizen's
    rating counts while nobody concluded the case."""
    await scenario.do("16:50", "login", "W3", "staff02")
    ticket = await scenario.issue("16:50", queue="B1")
    await scenario.do("16:55", "call_next", "W3")
    await scenario.do("16:56", "start", "W3")
    await scenario.do("17:05", "rate", ticket.id, 2)
    scenario.to("23:00")
    assert await scenario.engine.close_day(scenario.day) == 1
    [total] = await scenario.figures()
    assert (total.tickets, total.served, total.auto_closed, total.service_mean_s) == (1, 0, 1, None)
    assert (total.rated, total.rating_mean, total.bad_after_appeal) == (1, 2.0, 1)
    [person] = await scenario.figures("staff")
    assert (person.key, person.served, person.auto_closed, person.rated, person.rating_mean) == ("staff02", 0, 1, 1, 2.0)


@ON_BOTH_BACKENDS
async def test_catch_up_is_idempotent_and_restart_safe(scenario):
    await scenario.do("09:00", "login", "W1", "staff01")
    for minute in ("09:00", "09:01", "09:02"):
        await scenario.issue(minute)
    await scenario.serve("W1", called="09:10", started="09:11", finished="09:20")
    await scenario.serve("W1", called="09:21", started="09:22", finished="09:30")
    await scenario.facts.catch_up_all()
    db = scenario.engine.database
    read = lambda c: [tuple(r) for r in c.execute(select(stat_ticket_facts).order_by(stat_ticket_facts.c.ticket_id))]  # noqa: E731
    first = await db.read(read)
    assert len(first) == 2
    # A crash that lost the watermark (or a rebuild on purpose): everything is reprocessed, same rows.
    await db.write(lambda c: c.execute(delete(stat_watermarks).where(stat_watermarks.c.name == WATERMARK)))
    assert await scenario.facts.catch_up_all() > 0
    assert await db.read(read) == first


@pytest.mark.parametrize("calls", [1, 4])
async def test_no_show_rate_is_over_tickets_called(scenario, calls):
    await scenario.do("09:00", "login", "W1", "staff01")
    tickets = [await scenario.issue(f"09:0{i}") for i in range(4)]
    await scenario.serve("W1", called="09:10", started="09:11", finished="09:15")
    await scenario.do("09:16", "call_next", "W1")
    for i in range(calls - 1):
        await scenario.do(f"09:1{7 + i}", "recall", "W1")
    await scenario.do("09:25", "no_show", "W1")
    await scenario.do("09:26", "cancel", tickets[3].id, "left")
    [total] = await scenario.figures()
    assert (total.tickets, total.called, total.no_shows) == (3, 2, 1)
    assert total.no_show_rate == 0.5
    assert total.abandonment_rate == round(1 / 3, 4)  # the cancelled ticket was never called
