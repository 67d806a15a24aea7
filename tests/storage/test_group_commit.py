"""Group commit: writes waiting at the same time share one transaction, each in its own savepoint.

Tried: twenty writes started together, some failing after they had written a row, some refused
by the database itself (duplicate keys); a batch whose commit fails (a deferred foreign key); an
`after` callback that raises; engine actions in a batch.
Kept: every write that returned is in the database and announced in commit order; a write that
failed left nothing behind and only its own caller saw the error; when the commit fails nobody is
told their write succeeded and nothing is announced.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import event, exc, insert, select, text
from sqlalchemy.engine import Connection

from server.engine.views import IssueRequest
from server.errors import HallQError
from server.storage.db import Database
from server.storage.schema import day_counters

DAY = date(2026, 11, 26)


def add_counter(prefix: str, fail: bool = False):
    def work(conn: Connection) -> str:
        conn.execute(insert(day_counters).values(hall_day=DAY, prefix=prefix, last_seq=1))
        if fail:
            raise HallQError("refused", "拒绝", f"{prefix} refused after writing", 409)
        return prefix

    return work


async def prefixes(database: Database) -> list[str]:
    rows = await database.read(lambda conn: conn.execute(select(day_counters.c.prefix)).all())
    return sorted(r.prefix for r in rows)


async def test_a_failing_write_is_rolled_back_alone_and_the_rest_commit_in_order(database: Database) -> None:
    announced: list[str] = []
    wanted = [f"P{i:02d}" for i in range(20)]
    failing = {"P03", "P11", "P19"}
    results = await asyncio.gather(
        *(database.write(add_counter(p, p in failing), after=announced.append) for p in wanted),
        return_exceptions=True,
    )
    for prefix, result in zip(wanted, results):
        if prefix in failing:
            assert isinstance(result, HallQError) and prefix in result.message_en
        else:
            assert result == prefix
    kept = [p for p in wanted if p not in failing]
    assert await prefixes(database) == kept, "the refused writes left no row; the others all committed"
    assert announced == kept, "after-commit callbacks run for committed writes only, in order"


async def test_a_database_error_in_a_batch_is_rolled_back_alone(database: Database) -> None:
    """A write the database itself refuses (a duplicate key: on PostgreSQL this aborts the
    transaction until its savepoint is rolled back) fails alone; the batch around it commits."""
    await database.write(add_counter("DUP"))
    wanted = ["B1", "DUP", "B2", "DUP", "B3"]
    results = await asyncio.gather(*(database.write(add_counter(p)) for p in wanted), return_exceptions=True)
    assert [type(r) for r in results] == [str, exc.IntegrityError, str, exc.IntegrityError, str], results
    assert await prefixes(database) == ["B1", "B2", "B3", "DUP"]


async def test_writes_waiting_together_share_one_transaction_on_sqlite(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("group commit is SQLite's; PostgreSQL serialises the hub's writes (tried: no gain there)")
    assert database.sync_engine is not None
    begins: list[int] = []
    event.listen(database.sync_engine, "begin", lambda conn: begins.append(1))
    await database.write(add_counter("WARM"))
    begins.clear()
    await asyncio.gather(*(database.write(add_counter(f"G{i}")) for i in range(12)))
    assert len(begins) == 1, f"12 writes started together took {len(begins)} transactions"
    assert len(await prefixes(database)) == 13


async def test_a_write_alone_in_its_turn_commits_at_once_in_its_callers_task(database: Database) -> None:
    """Nothing else ready to run: the write does not wait a turn of the loop for company it cannot
    get; it runs and commits in the task that asked for it, and is there for the next reader."""
    if not database.is_sqlite:
        pytest.skip("group commit is SQLite's")
    await database.write(add_counter("WARM"))
    await asyncio.sleep(0)  # the checkpoint task the first write started takes its first step
    ran_in: list[asyncio.Task[object] | None] = []

    def lone(conn: Connection) -> str:
        ran_in.append(asyncio.current_task())
        return add_counter("LONE")(conn)

    assert await database.write(lone) == "LONE"
    assert ran_in == [asyncio.current_task()]
    assert await prefixes(database) == ["LONE", "WARM"]


async def test_writes_that_come_together_sync_off_the_loop_while_it_goes_on(database: Database) -> None:
    """Tried: three writes arriving together (one batch) while a ticker counts the event loop's
    turns. Kept: the loop turned between each write's statements and the announcement of its
    commit: the COMMIT, with its sync of the WAL to disk, ran on the writer thread, so the hub
    could read the next requests meanwhile. All three committed, in one transaction's order."""
    if not database.is_sqlite:
        pytest.skip("group commit is SQLite's")
    turns = 0

    async def ticker() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    stamps: dict[str, int] = {}

    def stamped(prefix: str) -> Callable[[Connection], str]:
        def work(conn: Connection) -> str:
            stamps[f"{prefix} ran"] = turns
            return add_counter(prefix)(conn)
        return work

    def announced(prefix: str) -> None:
        stamps[f"{prefix} committed"] = turns

    counting = asyncio.create_task(ticker())
    try:
        await asyncio.sleep(0)
        results = await asyncio.gather(*(database.write(stamped(p), after=announced) for p in ("S1", "S2", "S3")))
    finally:
        counting.cancel()
    assert results == ["S1", "S2", "S3"]
    assert all(stamps[f"{p} committed"] > stamps[f"{p} ran"] for p in results), stamps
    assert await prefixes(database) == ["S1", "S2", "S3"]


async def test_when_the_commit_fails_nobody_is_acknowledged_and_nothing_announced(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("the deferred foreign key below is SQLite's PRAGMA")
    announced: list[str] = []

    def orphan_at_commit(conn: Connection) -> str:
        # A foreign key checked only at COMMIT: the statement succeeds, the commit does not.
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        conn.execute(text("INSERT INTO ticket_intervals (ticket_id, hall_day, leg, state, queue, start_at) "
                          "VALUES (999999, '2026-11-26', 1, 'waiting', 'A1', 0)"))
        return "orphan"

    results = await asyncio.gather(
        database.write(add_counter("OK1"), after=announced.append),
        database.write(orphan_at_commit, after=announced.append),
        database.write(add_counter("OK2"), after=announced.append),
        return_exceptions=True,
    )
    assert all(isinstance(r, exc.IntegrityError) for r in results), results
    assert announced == []
    assert await prefixes(database) == []
    # The writer is usable again afterwards.
    assert await database.write(add_counter("AFTER")) == "AFTER"
    assert await prefixes(database) == ["AFTER"]


async def test_an_after_callback_that_raises_does_not_undo_or_hide_the_write(database: Database) -> None:
    def broken_announcer(_: str) -> None:
        raise RuntimeError("board link down")

    assert await database.write(add_counter("KEPT"), after=broken_announcer) == "KEPT"
    assert await prefixes(database) == ["KEPT"]


async def test_engine_actions_in_one_batch_keep_numbers_caps_and_event_order(engine, event_log) -> None:
    # Queue A2 has a daily cap of 5: eight kiosks at once get five numbers and three refusals.
    results = await asyncio.gather(
        *(engine.issue(IssueRequest(queue="A2", device=f"kiosk{i}")) for i in range(8)), return_exceptions=True
    )
    issued = [r.ticket.number for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, HallQError)]
    assert sorted(issued) == [f"A2{n:03d}" for n in range(1, 6)]
    assert len(refused) == 3 and {r.code for r in refused} == {"cap_reached"}
    seqs = [e.seq for e in event_log]
    assert seqs == sorted(seqs) and [e.number for e in event_log] == issued
    count = await engine.database.read(
        lambda conn: conn.execute(text("SELECT COUNT(*) FROM ticket_events WHERE kind = 'ticket.issued'")).scalar()
    )
    assert count == 5


async def test_a_write_blocked_by_another_process_waits_or_fails_cleanly(database: Database) -> None:
    """Tried: another program (a technician's sqlite3 shell, a second CLI) holding SQLite's write
    lock, first briefly, then past the busy timeout, while the hub keeps its event loop busy.
    Kept: the brief hold only delays the write, and the hub's loop runs on meanwhile (the write
    waits on the writer thread, not on the loop); the long one fails that write alone with
    SQLAlchemy's OperationalError ('database is locked'), nothing of it is kept, and the next
    write after the lock is released commits on a working connection."""
    if not database.is_sqlite:
        pytest.skip("SQLite's file lock")
    import sqlite3
    import threading

    assert database.sync_engine is not None
    other = sqlite3.connect(database.sync_engine.url.database, isolation_level=None, timeout=0.1, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, other.execute, ("COMMIT",))
    release.start()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        assert await database.write(add_counter("B1")) == "B1", "waited for the brief lock"
    finally:
        ticker.cancel()
    release.join()
    assert ticks >= 3, f"the event loop ran only {ticks} times while the write waited 0.3 s"

    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(exc.OperationalError, match="locked"):
            await database.write(add_counter("L1"))
    finally:
        other.execute("COMMIT")
        other.close()
    assert await database.write(add_counter("A1")) == "A1"
    assert await prefixes(database) == ["A1", "B1"], "the locked-out write left nothing behind"


async def test_writes_during_a_long_write_wait_for_it_and_commit_after_it(database: Database) -> None:
    """Tried: short writes (the engine's) arriving while a long one (a bulk import, on the writer
    thread) holds the write lock. Kept: none runs inside the long transaction or is lost; they
    commit after it, in arrival order, and each caller gets its own result."""
    if not database.is_sqlite:
        pytest.skip("on PostgreSQL a long write is an ordinary one, awaited statement by statement")
    import threading

    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def long_write(conn: Connection) -> str:
        started.set()
        release.wait(5)
        conn.execute(insert(day_counters).values(hall_day=DAY, prefix="LONG", last_seq=1))
        order.append("LONG")
        return "LONG"

    long_task = asyncio.create_task(database.write_long(long_write))
    while not started.is_set():
        await asyncio.sleep(0.01)
    short = [asyncio.create_task(database.write(add_counter(p), after=order.append)) for p in ("S1", "S2", "S3")]
    await asyncio.sleep(0.1)
    assert not any(t.done() for t in short), "short writes wait while the long one holds the lock"
    release.set()
    assert await long_task == "LONG"
    assert [await t for t in short] == ["S1", "S2", "S3"]
    assert order == ["LONG", "S1", "S2", "S3"]
    assert await prefixes(database) == ["LONG", "S1", "S2", "S3"]
