"""Each queue's running figures (migration 0005): line length, finished tickets, service time.

Tried, on SQLite and PostgreSQL: issuing ordinary and green-channel tickets, calling, serving and
finishing, a no-show and its late re-queue, a transfer to another queue and one to a window, a
cancellation, the end-of-day close of yesterday's leftovers, a technician's raw UPDATE and DELETE,
and a database that already had history when it was upgraded to 0005.
Kept: after each, the row of every queue and day equals what counting the tickets gives, and the
wait a new ticket is quoted uses today's mean service time.
"""
from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy import case, delete, func, insert, select, update

from server.engine.engine import blended_service_min
from server.engine.views import IssueRequest
from server.storage.db import open_database, upgrade
from server.storage.schema import queue_day_counts, ticket_events, ticket_intervals, tickets
from tests.conftest import THURSDAY, at


def counted(conn) -> dict:  # type: ignore[no-untyped-def]
    """What the tickets say, by SQL: the same definitions as the triggers'."""
    finished = (tickets.c.status == "finished") & tickets.c.served_at.is_not(None) & tickets.c.finished_at.is_not(None)
    in_line = (tickets.c.status == "waiting") & tickets.c.target_window.is_(None)
    rows = conn.execute(
        select(
            tickets.c.hall_day, tickets.c.queue,
            func.sum(case((in_line, 1), else_=0)), func.sum(case((finished, 1), else_=0)),
        ).group_by(tickets.c.hall_day, tickets.c.queue)
    ).all()
    return {(r[0], r[1]): (int(r[2]), int(r[3])) for r in rows if r[2] or r[3]}


def kept(conn) -> dict:  # type: ignore[no-untyped-def]
    rows = conn.execute(select(queue_day_counts)).all()
    return {(r.hall_day, r.queue): (r.in_line, r.finished) for r in rows if r.in_line or r.finished}


async def assert_counts_agree(database) -> dict:  # type: ignore[no-untyped-def]
    expected, got = await database.read(lambda conn: (counted(conn), kept(conn)))
    assert got == expected
    return got


async def test_every_change_to_a_ticket_keeps_its_queue_row(engine, clock, database) -> None:
    yesterday = THURSDAY - timedelta(days=1)
    clock.set(at("15:00", yesterday))
    await engine.issue(IssueRequest(queue="A1"))  # left waiting: closed by the next day's start
    clock.set(at("09:00"))
    for i in range(4):
        await engine.issue(IssueRequest(queue="A1", priority_class="elderly" if i == 2 else None))
    await engine.issue(IssueRequest(queue="A2"))
    assert (await assert_counts_agree(database))[(THURSDAY, "A1")] == (4, 0)

    async def ten_minutes_of_service(*, pressing_start: bool) -> None:
        await engine.call_next("W1")
        if pressing_start:
            clock.advance(30)
            await engine.start("W1")
        clock.advance(600)
        await engine.finish("W1")

    await engine.login("W1", "s1")
    # The green-channel ticket first, then one finished without "start": served from its call, so
    # the mean service stays a service time (counted as zero, it had fallen to 5 min and the next
    # quote to half the truth).
    for pressing_start, finished in ((True, 1), (False, 2)):
        await ten_minutes_of_service(pressing_start=pressing_start)
        assert (await assert_counts_agree(database))[(THURSDAY, "A1")] == (3, finished)
        quoted = await engine.issue(IssueRequest(queue="A1"))
        assert quoted.people_ahead == 3
        # 3 ahead x today's 10-minute services blended with the day's prior (engine.blended_service_min)
        # / 1 open window: 25 then 26; a call-to-finish counted as zero service would give 22 at the second.
        assert quoted.estimated_wait_min == math.ceil(3 * blended_service_min(600.0 * finished, finished)) == 24 + finished

    await engine.call_next("W1")
    await engine.no_show("W1")
    await assert_counts_agree(database)
    no_show = (await engine.tickets_today(status="no_show"))[0]
    await engine.requeue_late(no_show.number)
    await engine.call_next("W1")
    await engine.transfer("W1", "queue", "A2")
    await engine.call_next("W1")
    await engine.login("W2", "s2")  # a case is sent only to a window someone is at
    await engine.pause("W2", "meeting")  # (paused: not counted as open)
    await engine.transfer("W1", "window", "W2")  # waiting for one window: not in A1's line
    await assert_counts_agree(database)
    waiting = await engine.tickets_today(status="waiting", queue="A1")
    await engine.cancel(waiting[0].id, "left the hall")
    await assert_counts_agree(database)

    assert await engine.close_day(yesterday) == 1
    counts = await assert_counts_agree(database)
    assert (yesterday, "A1") not in counts

    def technician(conn) -> None:  # type: ignore[no-untyped-def]
        conn.execute(update(tickets).where(tickets.c.queue == "A2").values(queue="B1"))
        gone = select(tickets.c.id).where(tickets.c.status == "cancelled").scalar_subquery()
        conn.execute(delete(ticket_events).where(ticket_events.c.ticket_id.in_(gone)))
        conn.execute(delete(ticket_intervals).where(ticket_intervals.c.ticket_id.in_(gone)))
        conn.execute(delete(tickets).where(tickets.c.status == "cancelled"))

    await database.write_long(technician)
    counts = await assert_counts_agree(database)
    assert (THURSDAY, "A2") not in counts and counts[(THURSDAY, "B1")][0] >= 2


async def test_upgrading_counts_the_history_already_there(database_url) -> None:
    """A hall that upgrades from 0004 with tickets in the database gets their figures at once."""
    database = open_database(database_url)
    try:
        await upgrade(database, "0004")
        base = {"prefix": "A1", "queue": "A1", "zone": "A", "priority": 0, "issued_at": 1.0, "queued_at": 1.0,
                "sort_key": 1.0, "leg": 1, "call_count": 0, "auto_closed": False, "target_window": None,
                "served_at": None, "finished_at": None}
        rows = [
            base | {"hall_day": THURSDAY, "seq": 1, "status": "waiting"},
            base | {"hall_day": THURSDAY, "seq": 2, "status": "waiting", "target_window": "W2"},
            base | {"hall_day": THURSDAY, "seq": 3, "status": "finished", "served_at": 100.0, "finished_at": 400.0},
            base | {"hall_day": THURSDAY, "seq": 4, "status": "finished", "served_at": None, "finished_at": 400.0},
            base | {"hall_day": THURSDAY - timedelta(days=1), "seq": 1, "status": "finished", "served_at": 0.0, "finished_at": 60.0},
        ]
        for i, row in enumerate(rows):
            row.update(number=f"A1{row['seq']:03d}", status_token=f"t{i}")

        await database.write_long(lambda conn: conn.execute(insert(tickets), rows))
        await upgrade(database)
        got = await database.read(lambda conn: {(r.hall_day, r.queue): tuple(r[2:]) for r in conn.execute(select(queue_day_counts))})
        assert got == {(THURSDAY, "A1"): (1, 1, 300.0), (THURSDAY - timedelta(days=1), "A1"): (0, 1, 60.0)}
    finally:
        await database.close()


@pytest.mark.parametrize("revision", ["0004"])
async def test_downgrading_removes_the_triggers_and_the_table(database_url, revision: str) -> None:
    database = open_database(database_url)
    try:
        await upgrade(database)
        async with database.engine.begin() as conn:
            from alembic import command

            from server.storage.db import _alembic_config

            await conn.run_sync(lambda sync: command.downgrade(_alembic_config(sync), revision))
        row = {"hall_day": THURSDAY, "prefix": "A1", "seq": 1, "number": "A1001", "queue": "A1", "zone": "A",
               "status": "waiting", "priority": 0, "issued_at": 1.0, "queued_at": 1.0, "sort_key": 1.0, "leg": 1,
               "call_count": 0, "auto_closed": False, "status_token": "t"}
        await database.write_long(lambda conn: conn.execute(insert(tickets).values(row)))  # no trigger left to fail
        await upgrade(database)
        got = await database.read(lambda conn: conn.execute(select(queue_day_counts.c.in_line)).scalars().all())
        assert got == [1], "upgrading again counts the ticket written in between"
    finally:
        await database.close()
