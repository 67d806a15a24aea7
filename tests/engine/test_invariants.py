"""Property-based tests: random sequences of hall actions never break the queue's invariants.

Tried: hypothesis draws sequences of issues (ordinary and green channel), logins, calls, recalls,
starts, finishes, no-shows, late re-queues, transfers, parks and clock advances across three
queues and three windows of the mini hall, on a real SQLite database. Refused actions are allowed
(that is the engine doing its job) but must change nothing. Kept, after every step:
- no two tickets share a number on a day, and every acknowledged ticket is stored with its
  `ticket.issued` event;
- a ticket is at one window at most, and a window holds at most the one ticket that points back;
- call-next takes the head of its queue: nobody with a higher priority, or the same priority and
  an earlier place, is skipped;
- every ticket has at most one open interval in the ledger, and finished ones have none;
- the running figures the triggers keep per queue and day (line length, finished tickets and
  their service time) equal those recomputed from the tickets, and a new ticket is told its
  place in the call order of its line.
"""
from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import at, migrated_sqlite_copy, mini_hall_dict
from server.config.models import HallConfig
from server.engine.clock import ManualClock
from server.engine.engine import QueueEngine
from server.engine.views import IssueRequest, TicketStatus
from server.errors import HallQError
from server.events import EventBus
from server.storage.db import open_database, upgrade
from server.stats.intervals import derive_intervals
from server.storage.schema import queue_day_counts, ticket_events, ticket_intervals, tickets, window_states

QUEUES = ["A1", "A2", "B1"]
WINDOWS = ["W1", "W2", "W3"]

actions = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(QUEUES), st.booleans()),
    st.tuples(st.just("login"), st.sampled_from(WINDOWS), st.integers(1, 3)),
    st.tuples(st.just("call_next"), st.sampled_from(WINDOWS)),
    st.tuples(st.just("recall"), st.sampled_from(WINDOWS)),
    st.tuples(st.just("start"), st.sampled_from(WINDOWS)),
    st.tuples(st.just("finish"), st.sampled_from(WINDOWS)),
    st.tuples(st.just("no_show"), st.sampled_from(WINDOWS)),
    st.tuples(st.just("park"), st.sampled_from(WINDOWS)),
    st.tuples(st.just("transfer"), st.sampled_from(WINDOWS), st.sampled_from(QUEUES)),
    st.tuples(st.just("requeue"), st.integers(0, 20)),
    st.tuples(st.just("advance"), st.integers(1, 900)),
)


async def run_scenario(steps: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = open_database(f"sqlite+aiosqlite:///{migrated_sqlite_copy(Path(folder) / 'hall.db')}")
        await upgrade(database)  # the copy is at the head: nothing to do, as at a hub's start
        clock = ManualClock(at("08:31"))
        config = HallConfig.model_validate(mini_hall_dict() | {"rules": {"per_person_daily_cap": 50, "max_recalls": 2}})
        engine = QueueEngine(database, config, clock, EventBus(), b"secret")
        acknowledged: list[int] = []
        try:
            for step in steps:
                before = await snapshot(database)
                try:
                    result = await apply(engine, clock, step, acknowledged)
                except HallQError:
                    assert await snapshot(database) == before, f"a refused {step[0]} changed the hall"
                    continue
                if step[0] == "call_next" and result is not None:
                    assert_head_was_called(before, result)
                await check_invariants(database, acknowledged)
                if step[0] == "issue":
                    assert_place_quoted(result, (await snapshot(database))[0])
        finally:
            await database.close()


async def apply(engine: QueueEngine, clock: ManualClock, step: tuple, acknowledged: list[int]):  # type: ignore[no-untyped-def]
    kind = step[0]
    if kind == "issue":
        result = await engine.issue(IssueRequest(queue=step[1], priority_class="elderly" if step[2] else None))
        acknowledged.append(result.ticket.id)
        return result
    if kind == "login":
        return await engine.login(step[1], f"staff{step[2]}")
    if kind == "transfer":
        return await engine.transfer(step[1], "queue", step[2])
    if kind == "requeue":
        no_shows = await engine.tickets_today(status=TicketStatus.NO_SHOW)
        if not no_shows:
            return None
        return await engine.requeue_late(no_shows[step[1] % len(no_shows)].number)
    if kind == "advance":
        clock.advance(step[1])
        return None
    return await getattr(engine, kind)(step[1])


async def snapshot(database) -> tuple:  # type: ignore[no-untyped-def]
    def read(conn):  # type: ignore[no-untyped-def]
        return (
            conn.execute(select(tickets).order_by(tickets.c.id)).all(),
            conn.execute(select(window_states).order_by(window_states.c.window_id)).all(),
            conn.execute(select(func.count()).select_from(ticket_events)).scalar(),
        )

    return await database.read(read)


def assert_head_was_called(before: tuple, called) -> None:  # type: ignore[no-untyped-def]
    waiting = [t for t in before[0] if t.status == TicketStatus.WAITING and t.queue == called.queue and t.target_window is None]
    chosen = next(t for t in waiting if t.id == called.id)
    for other in waiting:
        assert not (other.priority > chosen.priority), f"{other.number} (priority) was skipped for {chosen.number}"
        if other.priority == chosen.priority:
            assert (other.sort_key, other.id) >= (chosen.sort_key, chosen.id), f"{other.number} was ahead of {chosen.number}"


def assert_place_quoted(issued, rows) -> None:  # type: ignore[no-untyped-def]
    """The people-ahead count on a new ticket is its place in the call order of its line."""
    mine = next(t for t in rows if t.id == issued.ticket.id)
    line = sorted(
        (t for t in rows if t.status == TicketStatus.WAITING and t.target_window is None and t.queue == mine.queue
         and t.hall_day == mine.hall_day),
        key=lambda t: (-t.priority, t.sort_key, t.id),
    )
    assert issued.people_ahead == line.index(mine), f"{mine.number} told {issued.people_ahead} ahead"


def expected_counts(rows) -> dict:  # type: ignore[no-untyped-def]
    """queue_day_counts recomputed from the tickets: what the triggers must keep."""
    counts: dict = {}
    for t in rows:
        line = t.status == TicketStatus.WAITING and t.target_window is None
        done = t.status == TicketStatus.FINISHED and t.served_at is not None and t.finished_at is not None
        if line or done:
            c = counts.setdefault((t.hall_day, t.queue), [0, 0, 0.0])
            c[0] += line
            c[1] += done
            c[2] += (t.finished_at - t.served_at) if done else 0.0
    return counts


async def check_invariants(database, acknowledged: list[int]) -> None:  # type: ignore[no-untyped-def]
    rows, windows, _ = await snapshot(database)
    kept = await database.read(lambda conn: conn.execute(select(queue_day_counts)).all())
    expected = expected_counts(rows)
    kept_nonzero = {(r.hall_day, r.queue): r for r in kept if r.in_line or r.finished}
    assert set(kept_nonzero) == set(expected), "queue_day_counts rows differ from the tickets"
    for key, (in_line, finished, seconds) in expected.items():
        row = kept_nonzero[key]
        assert (row.in_line, row.finished) == (in_line, finished), (key, row, expected[key])
        assert abs(row.service_seconds - seconds) < 1e-6, (key, row.service_seconds, seconds)
    numbers = [(t.hall_day, t.number) for t in rows]
    assert len(numbers) == len(set(numbers)), "a number was handed out twice"
    by_id = {t.id: t for t in rows}
    assert set(acknowledged) <= set(by_id), "an acknowledged ticket is missing"
    current = [w.current_ticket_id for w in windows if w.current_ticket_id is not None]
    assert len(current) == len(set(current)), "a ticket is at two windows"
    for w in windows:
        if w.current_ticket_id is not None:
            ticket = by_id[w.current_ticket_id]
            assert ticket.window_id == w.window_id and ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING)
    for t in rows:
        if t.status in (TicketStatus.CALLED, TicketStatus.SERVING):
            assert t.id in current, f"{t.number} is {t.status} but at no window"

    def ledger(conn):  # type: ignore[no-untyped-def]
        intervals = conn.execute(select(ticket_intervals).order_by(ticket_intervals.c.ticket_id, ticket_intervals.c.id)).all()
        issued = {r[0] for r in conn.execute(select(ticket_events.c.ticket_id).where(ticket_events.c.kind == "ticket.issued"))}
        return intervals, issued

    await database.write(derive_intervals)  # the ledger follows the events (the statistics' catch-up)
    intervals, issued = await database.read(ledger)
    assert set(acknowledged) <= issued, "an acknowledged ticket has no ticket.issued event"
    by_ticket: dict[int, list] = {}
    for interval in intervals:
        by_ticket.setdefault(interval.ticket_id, []).append(interval)
    assert set(by_ticket) == set(by_id), "a ticket without a ledger, or a ledger without a ticket"
    for ticket_id, ledger_rows in by_ticket.items():
        ticket = by_id[ticket_id]
        assert all(a.end_at is not None for a in ledger_rows[:-1]), f"{ticket.number}: an interval left open before the last"
        last = ledger_rows[-1]
        if ticket.status in (TicketStatus.FINISHED, TicketStatus.CANCELLED, TicketStatus.CLOSED, TicketStatus.NO_SHOW):
            assert last.end_at is not None, f"{ticket.number} is {ticket.status} with an open interval"
        else:  # open: exactly its current state, at its current leg, at its window if it is at one
            assert (last.end_at, last.state, last.leg) == (None, str(ticket.status), ticket.leg), (ticket, last)
            assert last.window_id == (ticket.window_id if ticket.status != TicketStatus.WAITING else None), (ticket, last)
        assert ledger_rows[0].start_at == ticket.issued_at and ledger_rows[0].state == "waiting"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, min_size=5, max_size=40))
@example(
    [("issue", "A1", False), ("advance", 5), ("issue", "A1", True), ("issue", "A2", False), ("login", "W1", 1),
     ("call_next", "W1"), ("no_show", "W1"), ("requeue", 0), ("call_next", "W1"), ("transfer", "W1", "B1"),
     ("login", "W3", 2), ("call_next", "W3"), ("start", "W3"), ("finish", "W3")]
)
def test_random_hall_days_keep_the_invariants(steps: list[tuple]) -> None:
    asyncio.run(run_scenario(steps))
