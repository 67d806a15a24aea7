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

from sqlalchemy import func, insert, select

from server.storage.db import open_database, upgrade
from server.storage.schema import day_counters


async def wal_after_bursts(path: Path, every_s: float, long_writes: bool = False) -> tuple[int, int]:
    database = open_database(f"sqlite:///{path}")
    database.checkpoint_every_s = every_s
    await upgrade(database)
    try:
        day = date(2026, 11, 1)
        for burst in range(40):
            for i in range(100):
                prefix = f"P{burst:02d}{i:02d}"
                write = database.write_long if long_writes else database.write
                await write(lambda conn, p=prefix: conn.execute(insert(day_counters).values(hall_day=day, prefix=p, last_seq=1)))
            await asyncio.sleep(0.03)
        rows = await database.read(lambda conn: conn.execute(select(func.count()).select_from(day_counters)).scalar())
        wal = Path(f"{path}-wal").stat().st_size
    finally:
        await database.close()
    return int(rows), wal


async def test_the_checkpoint_loop_keeps_the_wal_small(tmp_path: Path) -> None:
    rows, wal_with_loop = await wal_after_bursts(tmp_path / "loop.db", every_s=0.01)
    assert rows == 4000
    rows, wal_without = await wal_after_bursts(tmp_path / "none.db", every_s=3600)
    assert rows == 4000
    assert wal_without > 4 * 1024 * 1024, "4,000 commits with no checkpoint leave a WAL of several MB"
    assert wal_with_loop < wal_without / 4, (wal_with_loop, wal_without)


async def test_long_writes_alone_are_checkpointed_too(tmp_path: Path) -> None:
    """A bulk import writes only through write_long: its WAL must not grow with the history."""
    rows, wal = await wal_after_bursts(tmp_path / "bulk.db", every_s=0.01, long_writes=True)
    assert rows == 4000
    assert wal < 4 * 1024 * 1024, wal


async def test_back_to_back_long_writes_keep_the_wal_bounded(tmp_path: Path) -> None:
    """Tried: sixty long transactions in a row with no pause between them (a bulk import of
    history), each writing about half a megabyte. The checkpoint loop alone never gets the pause it
    needs to recycle the WAL, which then holds everything written (measured: 31 MB here, 3.5 GB
    for a million tickets). Kept: with the cut-back after long writes the WAL never passes the
    limit by more than one transaction, and every row is there."""
    from datetime import timedelta

    path = tmp_path / "import.db"

    async def peak_wal(trim_bytes: int) -> tuple[int, int]:
        target = path.with_name(f"import-{trim_bytes}.db")
        database = open_database(f"sqlite:///{target}")
        database.checkpoint_every_s = 0.01
        database.wal_trim_bytes = trim_bytes
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

    unbounded, rows = await peak_wal(1 << 40)
    assert rows == 60 * 8000
    assert unbounded > 20 * 1024 * 1024, f"without the cut-back the WAL holds the whole import ({unbounded} bytes)"
    bounded, rows = await peak_wal(4 * 1024 * 1024)
    assert rows == 60 * 8000
    assert bounded < 6 * 1024 * 1024, bounded
