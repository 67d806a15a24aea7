"""A PostgreSQL connection that dies under the hub (server restart, failover, an administrator's
pg_terminate_backend) is found out before the next transaction uses it.

Tried: the hub's pooled connections killed from outside between two writes, then a write.
Kept: that write goes through on a fresh connection (the pool replaces the dead one at checkout),
and the rows of the writes before and after are both there.
"""
from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.storage.db import Database
from tests.conftest import PG_ADMIN_URL


def _insert(value: str):  # type: ignore[no-untyped-def]
    def run(conn):  # type: ignore[no-untyped-def]
        conn.execute(text("INSERT INTO stat_watermarks (name, last_seq) VALUES (:name, 1)"), {"name": value})
    return run


async def _kill_connections_to(database_name: str) -> int:
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database_name,
        )
    finally:
        await admin.close()
    return len(rows)


async def test_a_write_after_the_servers_side_of_the_connection_died_goes_through(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("PostgreSQL's pooled connections (SQLite has no server to lose)")
    await database.write(_insert("before"))
    killed = await _kill_connections_to(make_url(database.engine.url).database or "")
    assert killed >= 1, "the hub's pooled connection was there to kill"

    await database.write(_insert("after"))

    names = await database.read(lambda conn: conn.execute(text("SELECT name FROM stat_watermarks ORDER BY name")).scalars().all())
    assert {"before", "after"} <= set(names)
