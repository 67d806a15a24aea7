"""The ledger of states (ticket_intervals) is derived from the events by the statistics' catch-up.

Tried: a visit through every transition (call, park, resume, start, transfer to a window, call
there, no-show, late re-queue, call, finish) and a cancelled and an auto-closed ticket, on SQLite
and PostgreSQL; deriving twice, after losing the watermark, and in batches that split a visit; a
database upgraded from revision 0005 with intervals the old engine wrote, and downgraded again.
Kept: the same intervals the engine used to write (states, legs, windows, staff, reasons, and
no gap between one interval and the next), never a duplicate, and nothing outstanding after a
downgrade.
"""
from __future__ import annotations

from alembic import command
from sqlalchemy import delete, insert, select

from server.engine.engine import QueueEngine
from server.engine.views import IssueRequest
from server.events import EventBus
from server.stats.intervals import INTERVALS_MARK, derive_intervals, ledger_of
from server.stats.watermarks import read_watermark
from server.storage.db import _alembic_config, upgrade
from server.storage.schema import stat_watermarks, ticket_events, ticket_intervals, tickets
from tests.conftest import THURSDAY, at
from tests.stats.conftest import ON_BOTH_BACKENDS


def intervals_of(conn, ticket_id: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    rows = conn.execute(
        select(ticket_intervals).where(ticket_intervals.c.ticket_id == ticket_id).order_by(ticket_intervals.c.id)
    ).all()
    return [(r.leg, r.state, r.queue, r.window_id, r.staff_id, r.start_at, r.end_at, r.outcome) for r in rows]


async def a_long_visit(engine, clock) -> int:  # type: ignore[no-untyped-def]
    clock.set(at("09:00"))
    ticket = (await engine.issue(IssueRequest(queue="A1"))).ticket
    await engine.login("W1", "s1")
    await engine.login("W2", "s2")
    for minute, action in [
        ("09:05", lambda: engine.call_next("W1")),
        ("09:06", lambda: engine.park("W1", "fetching a document")),
        ("09:10", lambda: engine.call_ticket("W1", ticket.number)),
        ("09:11", lambda: engine.start("W1")),
        ("09:20", lambda: engine.transfer("W1", "window", "W2")),
        ("09:25", lambda: engine.call_next("W2")),
        ("09:28", lambda: engine.no_show("W2")),
        ("09:30", lambda: engine.requeue_late(ticket.number)),
        ("09:31", lambda: engine.call_next("W1")),
        ("09:40", lambda: engine.finish("W1")),
    ]:
        clock.set(at(minute))
        await action()
    return ticket.id


EXPECTED_VISIT = [
    (1, "waiting", "A1", None, None, at("09:00"), at("09:05"), "called"),
    (1, "called", "A1", "W1", "s1", at("09:05"), at("09:06"), "parked"),
    (1, "on_hold", "A1", "W1", "s1", at("09:06"), at("09:10"), "resumed"),
    (1, "called", "A1", "W1", "s1", at("09:10"), at("09:11"), "arrived"),
    (1, "serving", "A1", "W1", "s1", at("09:11"), at("09:20"), "transferred_window"),
    (2, "waiting", "A1", None, None, at("09:20"), at("09:25"), "called"),
    (2, "called", "A1", "W2", "s2", at("09:25"), at("09:28"), "no_show"),
    (2, "waiting", "A1", None, None, at("09:30"), at("09:31"), "called"),
    (2, "called", "A1", "W1", "s1", at("09:31"), at("09:40"), "served"),
]


@ON_BOTH_BACKENDS
async def test_a_visit_through_every_transition_gets_the_engines_ledger(engine, clock, database) -> None:
    ticket_id = await a_long_visit(engine, clock)
    assert await database.read(lambda conn: intervals_of(conn, ticket_id)) == [], "nothing before the catch-up"
    await database.write(derive_intervals)
    assert await database.read(lambda conn: intervals_of(conn, ticket_id)) == EXPECTED_VISIT


async def test_cancelled_and_closed_tickets_end_their_interval(engine, clock, database) -> None:
    clock.set(at("09:00"))
    cancelled = (await engine.issue(IssueRequest(queue="A1"))).ticket
    left = (await engine.issue(IssueRequest(queue="A2"))).ticket
    await engine.cancel(cancelled.id, "citizen left")
    clock.set(at("18:00"))
    assert await engine.close_day(THURSDAY) == 1
    await database.write(derive_intervals)
    ledgers = await database.read(lambda conn: (intervals_of(conn, cancelled.id), intervals_of(conn, left.id)))
    assert [(i[1], i[7]) for i in ledgers[0]] == [("waiting", "cancelled")]
    assert [(i[1], i[6], i[7]) for i in ledgers[1]] == [("waiting", at("18:00"), "closed_eod")]


@ON_BOTH_BACKENDS
async def test_deriving_again_or_after_a_lost_watermark_writes_the_same_rows(engine, clock, database) -> None:
    ticket_id = await a_long_visit(engine, clock)
    last_seq = await database.read(lambda conn: conn.execute(select(ticket_events.c.seq).order_by(ticket_events.c.seq.desc())).scalar())
    # In two batches that split the visit, as live catch-ups of a few events do.
    assert await database.write(lambda conn: derive_intervals(conn, upto=last_seq - 4)) == last_seq - 4
    assert await database.write(derive_intervals) == last_seq
    assert await database.write(derive_intervals) == last_seq, "nothing new: the watermark stays"
    await database.write(lambda conn: conn.execute(delete(stat_watermarks).where(stat_watermarks.c.name == INTERVALS_MARK)))
    await database.write(derive_intervals)
    assert await database.read(lambda conn: intervals_of(conn, ticket_id)) == EXPECTED_VISIT


def test_events_without_a_transition_leave_the_ledger_alone() -> None:
    events = [
        {"seq": 1, "at": 10.0, "hall_day": THURSDAY, "kind": "ticket.issued", "ticket_id": 7, "queue": "A1",
         "window_id": None, "staff_id": None, "payload": {}},
        {"seq": 2, "at": 11.0, "hall_day": THURSDAY, "kind": "ticket.printed", "ticket_id": 7, "queue": "A1",
         "window_id": None, "staff_id": None, "payload": {}},
        {"seq": 3, "at": 12.0, "hall_day": THURSDAY, "kind": "ticket.recalled", "ticket_id": 7, "queue": "A1",
         "window_id": "W1", "staff_id": "s1", "payload": {}},
    ]
    assert [(i["state"], i["end_at"]) for i in ledger_of(events)] == [("waiting", None)]


async def test_an_upgraded_hall_keeps_the_intervals_its_engine_wrote(tmp_path, hall_config, clock) -> None:
    """Revision 0006 starts the watermark after the stored events: their intervals, written by the
    engine before the upgrade, are neither derived twice nor lost; a downgrade derives what is
    outstanding first, as the older engine expects every event's intervals to be there."""
    from server.storage.db import open_database

    database = open_database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(database, "0005")

        def as_the_old_engine_wrote(conn) -> int:  # type: ignore[no-untyped-def]
            tid = conn.execute(insert(tickets).values(
                hall_day=THURSDAY, prefix="A1", seq=1, number="A1001", queue="A1", zone="A", status="waiting", priority=0,
                issued_at=at("08:40"), queued_at=at("08:40"), sort_key=at("08:40"), leg=1, call_count=0,
                auto_closed=False, status_token="old-token",
            )).inserted_primary_key[0]
            conn.execute(insert(ticket_events).values(at=at("08:40"), hall_day=THURSDAY, kind="ticket.issued", ticket_id=tid,
                                                      number="A1001", zone="A", queue="A1", payload={}))
            conn.execute(insert(ticket_intervals).values(ticket_id=tid, hall_day=THURSDAY, leg=1, state="waiting", queue="A1",
                                                         start_at=at("08:40")))
            return int(tid)

        tid = await database.write(as_the_old_engine_wrote)
        await upgrade(database)
        assert await database.read(lambda conn: read_watermark(conn, INTERVALS_MARK)) == 1
        engine = QueueEngine(database, hall_config, clock, EventBus(), secret=b"upgraded")  # today's engine
        await engine.login("W1", "s1")
        clock.set(at("09:00"))
        await engine.call_next("W1")
        await database.write(derive_intervals)
        assert [(i[1], i[6], i[7]) for i in await database.read(lambda conn: intervals_of(conn, tid))] == [
            ("waiting", at("09:00"), "called"), ("called", None, None)
        ]
        clock.set(at("09:07"))
        await engine.finish("W1")  # not derived yet when the hall goes back to 0005

        async with database.engine.begin() as conn:
            await conn.run_sync(lambda sync: command.downgrade(_alembic_config(sync), "0005"))
        ledger = await database.read(lambda conn: intervals_of(conn, tid))
        assert [(i[1], i[7]) for i in ledger] == [("waiting", "called"), ("called", "served")]
        assert ledger[-1][6] == at("09:07")
    finally:
        await database.close()


def test_transitions_name_every_kind_the_engine_moves_a_ticket_with() -> None:
    """A new kind of event that moves a ticket must be given its transition here, or its ledger
    would stop short; the engine's kinds are read off its source."""
    import re
    from pathlib import Path

    from server.stats.intervals import TRANSITIONS

    source = (Path(__file__).resolve().parents[2] / "server" / "engine" / "engine.py").read_text(encoding="utf-8")
    kinds = set(re.findall(r'"(ticket\.[a-z_]+)"', source))
    without_transition = {"ticket.recalled", "ticket.rated", "ticket.rating_invited", "ticket.printed", "ticket.print_failed"}
    assert kinds - without_transition == set(TRANSITIONS), kinds
