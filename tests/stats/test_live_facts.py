"""The facts kept up to date while the hall works (FactBuilder attached to the event bus).

Tried: 120 tickets served at two windows with nobody reading statistics (360 events waiting for
the builder), then the builder attached and woken by one more event; the hub then writes (as a
call would) while it catches up. Kept: every finished ticket gets its fact with the service time
the ledger says, tickets still waiting get none, the watermark reaches the last event, and the
write queued during the catch-up ran when only part of the facts had been built: the catch-up
goes in small batches among the hall's own writes, not in one long hold of the writer (with the
old 500-event batches on the writer thread this fails).
"""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from server.engine.views import IssueRequest
from server.stats.facts import WATERMARK, FactBuilder, catch_up_sync
from server.stats.watermarks import read_watermark
from server.storage.schema import stat_ticket_facts, ticket_events
from tests.conftest import at
from tests.stats.conftest import ON_BOTH_BACKENDS


@ON_BOTH_BACKENDS
async def test_live_catch_up_builds_facts_in_small_batches_among_the_halls_writes(engine, clock, bus) -> None:
    clock.set(at("08:40"))
    await engine.login("W1", "s1")
    await engine.login("W2", "s2")
    for i in range(120):
        await engine.issue(IssueRequest(queue="A1"))
        window = "W1" if i % 2 else "W2"
        await engine.call_next(window)
        clock.advance(5)
        await engine.start(window)
        clock.advance(5 + i)
        await engine.finish(window)

    builder = FactBuilder(engine.database, engine.config, clock, settle_s=0)
    builder.attach(bus)
    waiting = await engine.issue(IssueRequest(queue="A1"))  # wakes the builder

    def progress(conn):  # type: ignore[no-untyped-def]
        # Run as a write, so it takes its turn among the builder's batches, as a call would.
        return read_watermark(conn, WATERMARK), conn.execute(select(func.count()).select_from(stat_ticket_facts)).scalar()

    for _ in range(10_000):
        mark, built = await engine.database.write(progress)
        if mark:
            break
    assert 0 < built < 120, f"a write queued during the catch-up ran after {built} of 120 facts, not after all"
    during = await engine.issue(IssueRequest(queue="A1"))
    await asyncio.wait_for(builder._task, 60)
    await builder.close()

    def read(conn):  # type: ignore[no-untyped-def]
        facts = {r.ticket_id: r for r in conn.execute(select(stat_ticket_facts))}
        return facts, read_watermark(conn, WATERMARK), conn.execute(select(func.max(ticket_events.c.seq))).scalar()

    facts, mark, last = await engine.database.read(read)
    assert len(facts) == 120 and waiting.ticket.id not in facts and during.ticket.id not in facts
    services = sorted(round(f.service_s) for f in facts.values())
    assert services == [5 + i for i in range(120)]
    assert mark == last


@ON_BOTH_BACKENDS
async def test_a_catch_up_round_ends_at_the_newest_event_it_met_instead_of_chasing_new_ones(engine, clock) -> None:
    """Tried: a round of the live catch-up in batches of two events while the hall writes a new
    event between every two of its batches, as a window calling without pause does. Kept: the
    round ends once a batch finds fewer events than it may take, having processed every event
    there was when it started; the events written meanwhile are left for the next round, which
    then takes them all. Before, the round chased the hall batch by batch and ended only when the
    hall stopped (here: never, the wait below times out)."""
    clock.set(at("08:40"))
    for _ in range(5):
        await engine.issue(IssueRequest(queue="A1"))
    builder = FactBuilder(engine.database, engine.config, clock, settle_s=0)  # not attached: rounds run when asked
    hall_stops = asyncio.Event()
    issued_meanwhile = 0

    async def hall_keeps_writing() -> None:
        nonlocal issued_meanwhile
        while not hall_stops.is_set():
            await engine.issue(IssueRequest(queue="B1"))  # no daily cap
            issued_meanwhile += 1

    hall = asyncio.create_task(hall_keeps_writing())
    try:
        processed = await asyncio.wait_for(builder.catch_up_tickets(batch=2), 60)
    finally:
        hall_stops.set()
        await hall  # its errors (a cap, a closed hall) would fail the test here

    def marks(conn):  # type: ignore[no-untyped-def]
        return read_watermark(conn, WATERMARK), conn.execute(select(func.max(ticket_events.c.seq))).scalar()

    mark, last = await engine.database.read(marks)
    assert issued_meanwhile > 0
    assert processed >= 5 and mark == processed, "every event there was at the start was processed, in order"
    assert mark < last, "events written during the round wait for the next one"
    assert await builder.catch_up_tickets(batch=2) == last - mark
    assert (await engine.database.read(marks))[0] == last


@ON_BOTH_BACKENDS
async def test_on_postgresql_a_catch_up_batch_does_not_hold_up_the_halls_writes(engine, clock) -> None:
    """Tried: a catch-up batch that takes a second in the database (pg_sleep after the real
    step, before its commit), and meanwhile a kiosk issuing a ticket and a window calling it. Kept: both answered
    while the batch was still running (on PostgreSQL the statistics write on their own
    connection: one batch there had held every call ~20 ms); once the batch finishes, the facts
    of the ticket finished before it are there and the watermark stands at an event the batch
    read, so the issue and the call written beside it are still ahead of it. SQLite has one
    writer: there the hall's writes take turns with the batches (the test above)."""
    if engine.database.is_sqlite:
        pytest.skip("SQLite has one writer: its catch-up batches take turns with the hall's writes")
    clock.set(at("08:40"))
    await engine.login("W1", "s1")
    await engine.issue(IssueRequest(queue="A1"))
    await engine.call_next("W1")
    await engine.finish("W1")
    builder = FactBuilder(engine.database, engine.config, clock, settle_s=0)
    started = asyncio.Event()

    def slow_step(conn, config, now, limit):  # type: ignore[no-untyped-def]
        result = catch_up_sync(conn, config, now, limit)
        conn.execute(text("SELECT pg_sleep(1)"))  # then a second before its commit
        return result

    async def catch_up():  # type: ignore[no-untyped-def]
        started.set()
        return await builder.catch_up(step=slow_step, live=True)

    batch = asyncio.create_task(catch_up())
    await started.wait()
    await asyncio.sleep(0.1)  # the batch's transaction is in pg_sleep
    issued = await engine.issue(IssueRequest(queue="A1"))
    called = await engine.call_next("W1")
    assert not batch.done(), "the hall's writes waited for the statistics batch"
    assert called is not None and called.id == issued.ticket.id
    result = await batch

    def read(conn):  # type: ignore[no-untyped-def]
        return conn.execute(select(func.count()).select_from(stat_ticket_facts)).scalar(), read_watermark(conn, WATERMARK)

    facts, mark = await engine.database.read(read)
    assert facts == 1 and mark == result.watermark
    newest = await engine.database.read(lambda conn: conn.execute(select(func.max(ticket_events.c.seq))).scalar())
    assert mark < newest, "the issue and call written beside the batch are left for the next round"


async def test_a_stopping_hub_catches_the_facts_up_at_once_not_after_the_settle(engine, clock, bus) -> None:
    """Tried: a ticket served, its events heard by a builder that settles for an hour before it
    catches up, then the hub stops. Kept: the stop catches the served ticket's fact up at once
    (it waited out the settle first: every stop of a hub, and every test's, took two seconds
    more), and the watermark reaches the last event."""
    clock.set(at("09:00"))
    await engine.login("W1", "s1")
    builder = FactBuilder(engine.database, engine.config, clock, settle_s=3600)
    builder.attach(bus)
    ticket = (await engine.issue(IssueRequest(queue="A1"))).ticket
    await engine.call_next("W1")
    clock.advance(60)
    await engine.finish("W1")
    # A liveness bound, not a speed one: the old close slept out the whole hour.
    await asyncio.wait_for(builder.close(), timeout=60)
    built = await engine.database.read(lambda c: c.execute(select(stat_ticket_facts.c.ticket_id)).scalars().all())
    assert built == [ticket.id]
    last = await engine.database.read(lambda c: c.execute(select(func.max(ticket_events.c.seq))).scalar())
    assert await engine.database.read(lambda c: read_watermark(c, WATERMARK)) == last
