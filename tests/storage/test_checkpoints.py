"""WAL checkpoints run beside the writes, not inside a commit.

Tried: 4,000 small transactions in bursts, with the writer's automatic checkpoint off; once with
the Database's checkpoint loop at a short interval and once with it effectively never running;
and once through write_long alone (what a bulk import uses).
Kept: with the loop, the WAL file is recycled and stays small; without it, the WAL grows with every
write (so the first case shows the loop doing the work, not SQLite's own autocheckpoint). Every
row is in the database either way.
"""
from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from sqlalchemy import func, insert, select, text

from server.storage.db import WAL_KEPT_BYTES, open_database, upgrade
from server.storage.schema import day_counters


async def wal_after_bursts(path: Path, every_s: float, long_writes: bool = False, pause_s: float = 0.03) -> tuple[int, int, int]:
    """40 bursts of 100 commits, the loop turning between two commits (as between two requests)
    and pausing `pause_s` between bursts: the rows written, the WAL's size at the end and its
    largest size on the way."""
    database = open_database(f"sqlite:///{path}")
    database.checkpoint_every_s = every_s
    await upgrade(database)
    wal, peak = Path(f"{path}-wal"), 0
    try:
        day = date(2026, 11, 1)
        for burst in range(40):
            for i in range(100):
                prefix = f"P{burst:02d}{i:02d}"
                write = database.write_long if long_writes else database.write
                await write(lambda conn, p=prefix: conn.execute(insert(day_counters).values(hall_day=day, prefix=p, last_seq=1)))
                await asyncio.sleep(0)
                peak = max(peak, wal.stat().st_size)
            await asyncio.sleep(pause_s)
        rows = await database.read(lambda conn: conn.execute(select(func.count()).select_from(day_counters)).scalar())
        final = wal.stat().st_size
    finally:
        await database.close()
    return int(rows), final, peak


async def test_the_checkpoint_loop_keeps_the_wal_small(tmp_path: Path) -> None:
    rows, wal_with_loop, _ = await wal_after_bursts(tmp_path / "loop.db", every_s=0.01)
    assert rows == 4000
    rows, wal_without, _ = await wal_after_bursts(tmp_path / "none.db", every_s=3600)
    assert rows == 4000
    assert wal_without > 4 * 1024 * 1024, "4,000 commits with no checkpoint leave a WAL of several MB"
    assert wal_with_loop < wal_without / 4, (wal_with_loop, wal_without)


async def test_long_writes_alone_are_checkpointed_too(tmp_path: Path) -> None:
    """A bulk import writes only through write_long: its WAL must not grow with the history."""
    rows, wal, _ = await wal_after_bursts(tmp_path / "bulk.db", every_s=0.01, long_writes=True)
    assert rows == 4000
    assert wal < 4 * 1024 * 1024, wal


async def test_back_to_back_long_writes_keep_the_wal_bounded(tmp_path: Path) -> None:
    """Tried: sixty long transactions in a row with no pause between them (a bulk import of
    history), each writing about half a megabyte; once with the checkpoint loop running often and
    once with it effectively never running. Kept: without it the WAL holds everything written
    (measured: 31 MB here, 3.5 GB for a million tickets); with it the last pages are copied back
    between two long writes and the WAL starts again from the top, never holding more than a few
    transactions; every row is there either way."""
    from datetime import timedelta

    async def peak_wal(every_s: float) -> tuple[int, int]:
        target = tmp_path / f"import-{every_s}.db"
        database = open_database(f"sqlite:///{target}")
        database.checkpoint_every_s = every_s
        await upgrade(database)
        peak = 0
        try:
            for t in range(60):
                day = date(2020, 1, 1) + timedelta(days=t)
                rows = [{"hall_day": day, "prefix": f"P{i:05d}", "last_seq": i} for i in range(8000)]
                await database.write_long(lambda conn, rows=rows: conn.execute(insert(day_counters), rows))
                peak = max(peak, Path(f"{target}-wal").stat().st_size)
            count = await database.read(lambda conn: conn.execute(select(func.count()).select_from(day_counters)).scalar())
        finally:
            await database.close()
        return peak, int(count)

    unbounded, rows = await peak_wal(3600)
    assert rows == 60 * 8000
    assert unbounded > 20 * 1024 * 1024, f"without checkpoints the WAL holds the whole import ({unbounded} bytes)"
    bounded, rows = await peak_wal(0.01)
    assert rows == 60 * 8000
    assert bounded < 6 * 1024 * 1024, bounded


async def test_one_huge_transaction_leaves_no_huge_wal_behind(tmp_path: Path) -> None:
    """Tried: one transaction of 80 MB (more than WAL_KEPT_BYTES), then ordinary small writes with
    the checkpoint loop running. Kept: the WAL file, which that transaction grew past 80 MB, is cut
    back to WAL_KEPT_BYTES once it has been copied back and started again; the rows are there.
    (The file is kept at that size, not emptied: rewriting its blocks is the cheaper sync.)"""
    path = tmp_path / "huge.db"
    database = open_database(f"sqlite:///{path}")
    database.checkpoint_every_s = 0.01
    await upgrade(database)
    wal = Path(f"{path}-wal")
    try:
        def huge(conn):  # type: ignore[no-untyped-def]
            conn.execute(text("CREATE TABLE filler (blob BLOB)"))
            conn.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80) "
                              "INSERT INTO filler SELECT zeroblob(1048576) FROM n"))
        await database.write_long(huge)
        grown = wal.stat().st_size
        day = date(2026, 11, 1)
        for i in range(200):
            await database.write(lambda conn, p=f"P{i:05d}": conn.execute(insert(day_counters).values(hall_day=day, prefix=p, last_seq=1)))
            await asyncio.sleep(0.002)
        blobs = await database.read(lambda conn: conn.execute(text("SELECT count(*) FROM filler")).scalar())
        kept = wal.stat().st_size
    finally:
        await database.close()
    assert blobs == 80
    assert grown > 80 * 1024 * 1024, grown
    assert kept <= WAL_KEPT_BYTES, kept


async def test_the_wal_is_recycled_under_unbroken_writes(tmp_path: Path) -> None:
    """Tried: 4,000 commits back to back, the loop turning between them but never pausing, the
    checkpoint loop every 10 ms. A checkpoint beside the writes always found a commit landing
    while it copied, so the WAL was never wholly copied back and SQLite never started it again
    from the top: it grew by every commit (36 MB here), and each commit's sync then also wrote the
    file's new size (measured: 0.2 ms more per commit). Kept: the last pages are copied while no
    write runs, the WAL starts again from the top and stays a fraction of that; every row is
    there."""
    written, _, peak = await wal_after_bursts(tmp_path / "busy.db", every_s=0.01, pause_s=0)
    assert written == 4000
    assert peak < 4 * 1024 * 1024, f"the WAL grew to {peak} bytes under unbroken writes"
