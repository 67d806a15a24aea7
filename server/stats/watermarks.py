"""How far each catch-up job has read the event log: one row per job in stat_watermarks."""
from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.storage.schema import stat_watermarks


def read_watermark(conn: Connection, name: str) -> int:
    value = conn.execute(select(stat_watermarks.c.last_seq).where(stat_watermarks.c.name == name)).scalar()
    return int(value or 0)


def write_watermark(conn: Connection, seq: int, name: str) -> None:
    changed = conn.execute(
        update(stat_watermarks).where(stat_watermarks.c.name == name).values(last_seq=seq)
    ).rowcount
    if not changed:
        conn.execute(insert(stat_watermarks).values(name=name, last_seq=seq))
