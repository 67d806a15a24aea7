"""One hub per PostgreSQL database: the second hub on it, from any machine, says which hub
serves it instead of running beside it.

Why: `<data>/hub.lock` (server/hub_lock.py) keeps a second hub off one machine's data folder, but
a hall on PostgreSQL can start a hub on another machine against the same database (the old
server left running after a move, a standby started by hand). Both would number tickets from the
one database, but each one's boards, pads and voice would hear only its own actions.

The claim is a session-level advisory lock, held on a connection of its own for the hub's life:
PostgreSQL drops it when that session ends, however the hub ends, so a crash leaves nothing to
clean up. Advisory locks are per database, so halls sharing one server do not block each other.
The session names itself (application_name), so a refusal can say who holds the claim. If the
connection is lost (the server restarted), the claim lapses silently until the hub restarts; the
hub goes on serving, as it does through any outage of the database.
"""
from __future__ import annotations

import contextlib
import os
import socket

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.errors import HallQError

CLAIM_KEY = 0x48616C6C51  # "HallQ": one key per database
_HOLDER = text(
    "SELECT a.application_name, host(a.client_addr) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :high AND l.objid = :low AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def hub_name() -> str:
    """What this hub's claiming session is called in pg_stat_activity (at most 63 characters)."""
    return f"hallq hub {os.getpid()} on {socket.gethostname()}"[:63]


async def claim_database(engine: AsyncEngine) -> AsyncConnection | None:
    """Claim the database for this hub; keep the returned connection open for as long as it
    serves (release_database closes it). None on SQLite, whose file the data folder's lock
    already guards. Refused (HallQError, 409) when another hub holds the claim."""
    if engine.dialect.name != "postgresql":
        return None
    conn = await engine.connect()
    try:
        await conn.execute(text("SELECT set_config('application_name', :name, false)"), {"name": hub_name()})
        claimed = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": CLAIM_KEY})
        if not claimed:
            holder = (await conn.execute(_HOLDER, {"high": CLAIM_KEY >> 32, "low": CLAIM_KEY & 0xFFFFFFFF})).first()
            raise _taken(holder[0] if holder else None, holder[1] if holder else None)
        await conn.commit()  # the lock is the session's, not the transaction's: nothing held open
    except BaseException:
        await conn.close()
        raise
    return conn


async def release_database(conn: AsyncConnection | None) -> None:
    """End the claim: ending the session releases the lock (invalidated, not returned to the
    pool, where the session and its lock would live on). A connection already lost has nothing
    left to release."""
    if conn is not None:
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()


def _taken(name: str | None, address: str | None) -> HallQError:
    who = name or "another hub"
    where = f" from {address}" if address else ""
    return HallQError(
        "database_taken",
        f"另一个 hub（{who}{'，来自 ' + address if address else ''}）正在使用该数据库，请先停止它，或为本 hub 指定另一个数据库",
        f"another hub ({who}{where}) is serving this database: stop it first, or give this one its own --db",
        409,
    )
