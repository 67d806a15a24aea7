"""One hub per database: the second hub on it, from any machine, says which hub serves it instead
of running beside it; and nothing else migrates the schema under a hub that serves it.

Why: `<data>/hub.lock` (server/hub_lock.py) keeps a second hub off one machine's data folder, but
a hall on PostgreSQL can start a hub on another machine against the same database (the old
server left running after a move, a standby started by hand), and two folders can name one SQLite
file with --db. Both hubs would number tickets from the one database, but each one's boards, pads
and voice would hear only its own actions. And every `hallq` command brings the schema up to date
before it works (accounts, devices, reports): after a technician installed a newer HallQ, the
first `hallq user add` migrated the database under the older hub still serving it, which then ran
on a schema it does not know.

The claim is held for the hub's life and ends with it, however it ends, so a crash leaves nothing
to clean up. On PostgreSQL it is a session-level advisory lock on a connection of its own
(advisory locks are per database, so halls sharing one server do not block each other; the
session names itself, application_name, so a refusal can say who holds it). On SQLite it is an
flock on a file beside the database (`<database>-hub.lock`), which holds the holder's name. A
migration by anyone but the holder takes the same claim until it has committed
(`pg_migration_claim`, `sqlite_migration_claim`) and is refused while a hub holds it. If the
PostgreSQL connection is lost (the server restarted), the hub checks its claim's session every few
seconds (`keep_claim`) and claims again once the database answers; it goes on serving meanwhile,
as it does through any outage of the database. If another hub claimed the database in that gap,
this one is told to stop: one hub serves the hall; so it is if the schema's revision moved on in
that gap (a migration let in while nobody held the claim), since this hub does not know the new
schema.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.errors import HallQError

log = logging.getLogger(__name__)

CLAIM_KEY = 0x48616C6C51  # "HallQ": one key per database
CLAIM_CHECK_S = 5.0
"""How often a hub on PostgreSQL checks that its claim's session is alive: the gap in which a
second hub could start after the database restarted."""
_HOLDER = text(
    "SELECT a.application_name, host(a.client_addr), a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :high AND l.objid = :low AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
_KEY_PARTS = {"high": CLAIM_KEY >> 32, "low": CLAIM_KEY & 0xFFFFFFFF}


@dataclass
class DatabaseClaim:
    """What holds a hub's claim: the PostgreSQL session, or the SQLite lock file (open)."""

    connection: AsyncConnection | None = None
    backend_pid: int | None = None
    """The claiming session's server process: a refusal naming it is this hub's own session,
    lost to us but not yet ended on the server (names can repeat: cloned machines, containers)."""
    lock_file: IO[str] | None = None


@dataclass(frozen=True)
class _Holder:
    name: str | None
    address: str | None = None
    backend_pid: int | None = None


def _pg_holder(row: Any) -> _Holder:
    return _Holder(row[0], row[1], row[2]) if row else _Holder(None)


def hub_name() -> str:
    """What this hub's claim is called: in pg_stat_activity, in the lock file (at most 63 characters)."""
    return _name("hub")


def _name(role: str) -> str:
    return f"hallq {role} {os.getpid()} on {socket.gethostname()}"[:63]


async def claim_database(engine: AsyncEngine) -> DatabaseClaim:
    """Claim the database for this hub; keep the claim for as long as it serves (release_database
    ends it). Refused (HallQError, 409) when another hub holds it. A SQLite database in memory
    has nobody else to meet."""
    if engine.dialect.name != "postgresql":
        path = _sqlite_file(engine.url)
        return DatabaseClaim(lock_file=None if path is None else _lock_sqlite(path, hub_name(), _hub_taken))
    conn = await engine.connect()
    try:
        await conn.execute(text("SELECT set_config('application_name', :name, false)"), {"name": hub_name()})
        claimed, backend_pid = (await conn.execute(
            text("SELECT pg_try_advisory_lock(:key), pg_backend_pid()"), {"key": CLAIM_KEY})).one()
        if not claimed:
            raise _hub_taken(_pg_holder((await conn.execute(_HOLDER, _KEY_PARTS)).first()))
        await conn.commit()  # the lock is the session's, not the transaction's: nothing held open
    except BaseException:
        await conn.close()
        raise
    return DatabaseClaim(connection=conn, backend_pid=backend_pid)


async def release_database(claim: DatabaseClaim | None) -> None:
    """End the claim. The PostgreSQL session is ended (invalidated, not returned to the pool,
    where the session and its lock would live on); a connection already lost has nothing left to
    release. Closing the lock file ends the flock."""
    if claim is None:
        return
    if claim.lock_file is not None:
        claim.lock_file.close()
    if claim.connection is not None:
        await _end_session(claim.connection)


async def _end_session(connection: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()


async def keep_claim(engine: AsyncEngine, claim: DatabaseClaim, taken_over: Callable[[HallQError], None]) -> None:
    """Keep a PostgreSQL claim for the hub's life (run as a task, cancelled when the hub stops):
    a session lost with the server (a restart, a network cut) took its lock with it, so claim again
    once the database answers. `taken_over` is called, and the watch ends, if another hub holds
    the claim by then, or if the schema's revision changed meanwhile (with no hub holding the
    claim, a newer `hallq` command run in the gap was let in to migrate it)."""
    revision = await _revision(claim.connection) if claim.connection is not None else None
    while claim.connection is not None:
        await asyncio.sleep(CLAIM_CHECK_S)
        session = claim.connection
        if await _answers(session):
            continue
        await _end_session(session)  # whatever is left of it
        try:
            renewed = await claim_database(engine)
        except HallQError as taken:
            if taken.details.get("backend_pid") == claim.backend_pid:
                continue  # this hub's own session, not yet ended on the server's side: at the next check
            taken_over(taken)
            return
        except Exception as error:  # noqa: BLE001 - the database does not answer yet: at the next check
            log.debug("database claim not renewed yet: %s", error)
            continue
        claim.connection, claim.backend_pid = renewed.connection, renewed.backend_pid
        log.warning("the database claim's connection was lost; claimed again (数据库占用已重新取得)")
        assert renewed.connection is not None
        now = await _revision(renewed.connection)
        if now != revision:
            taken_over(_schema_changed(revision, now))
            return


async def _revision(connection: AsyncConnection) -> tuple[str, ...]:
    """The schema's alembic revision(s), read on the claim's own session (no transaction kept)."""
    rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    await connection.commit()
    return tuple(sorted(rows))


def _schema_changed(before: tuple[str, ...] | None, now: tuple[str, ...]) -> HallQError:
    old, new = "+".join(before or ()) or "?", "+".join(now) or "?"
    return HallQError(
        "schema_changed",
        f"本 hub 与数据库的连接中断期间，数据库结构已被升级（{old} → {new}），请用与之相符的 HallQ 版本重新启动",
        f"the database schema changed ({old} → {new}) while this hub's connection was lost (a newer `hallq` migrated "
        "it): start the hub again with the HallQ that matches it", 409, {"before": old, "now": new})


async def _answers(connection: AsyncConnection) -> bool:
    """Whether the session still answers; one that hangs for a whole check counts as lost."""
    try:
        async with asyncio.timeout(CLAIM_CHECK_S):
            await connection.exec_driver_sql("SELECT 1")
            await connection.commit()
        return True
    except Exception:  # noqa: BLE001 - whatever the failure, the session (and its lock) is gone
        return False


def pg_migration_claim(connection: Connection) -> None:
    """Take the claim for `connection`'s transaction, which migrates the schema, in a process that
    is not the hub holding it (a `hallq` command); it ends with the transaction. Refused
    (HallQError, 409) while a hub serves the database: it would run on a schema it does not know.
    A hub starting meanwhile is refused in turn, naming this command."""
    connection.execute(text("SELECT set_config('application_name', :name, true)"), {"name": _name("migrate")})
    if not connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": CLAIM_KEY}):
        raise _migration_refused(_pg_holder(connection.execute(_HOLDER, _KEY_PARTS).first()))


@contextlib.contextmanager
def sqlite_migration_claim(url: URL) -> Iterator[None]:
    """The same for SQLite, held around the whole migrating transaction, its commit included (a
    hub let in before the commit would read the old schema and serve on the new one)."""
    path = _sqlite_file(url)
    if path is None:
        yield
        return
    with _lock_sqlite(path, _name("migrate"), _migration_refused):
        yield


def _sqlite_file(url: URL) -> Path | None:
    """The database file, as the operating system finds it: two spellings of one file (a symlink,
    a relative path, a `file:` URI) are one claim. None for a database in memory."""
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database).resolve()


def _lock_sqlite(database: Path, name: str, refusal: Callable[[_Holder], HallQError]) -> IO[str]:
    """The flock on `<database>-hub.lock`, with the holder's name in it. Made by root (a technician's
    `sudo hallq db upgrade`), the file is given the database's owner, whose hub must open it; one
    that cannot be written is locked read-only, without a name."""
    path = database.with_name(database.name + "-hub.lock")
    try:
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+")
    except PermissionError:
        handle = open(path, encoding="utf-8")
    if os.geteuid() == 0 and database.exists():
        owner = database.stat()
        with contextlib.suppress(OSError):
            os.chown(path, owner.st_uid, owner.st_gid)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = handle.read().strip() or None
        handle.close()
        raise refusal(_Holder(holder)) from None
    if handle.writable():
        handle.seek(0)
        handle.truncate()
        handle.write(f"{name}\n")
        handle.flush()
    return handle


def _who(holder: _Holder) -> tuple[str, str, str]:
    who = holder.name or "another hub"
    return who, f" from {holder.address}" if holder.address else "", f"，来自 {holder.address}" if holder.address else ""


def _hub_taken(holder: _Holder) -> HallQError:
    who, where, where_zh = _who(holder)
    if who.startswith("hallq migrate"):
        return HallQError(
            "database_taken", f"{who}{where_zh} 正在升级该数据库的结构，请在升级完成后再启动",
            f"{who}{where} is upgrading this database's schema: start the hub once it has finished", 409,
            {"holder": holder.name, "backend_pid": holder.backend_pid})
    return HallQError(
        "database_taken",
        f"另一个 hub（{who}{where_zh}）正在使用该数据库，请先停止它，或为本 hub 指定另一个数据库",
        f"another hub ({who}{where}) is serving this database: stop it first, or give this one its own --db",
        409,
        {"holder": holder.name, "backend_pid": holder.backend_pid},
    )


def _migration_refused(holder: _Holder) -> HallQError:
    who, where, where_zh = _who(holder)
    return HallQError(
        "database_in_use",
        f"数据库结构需要升级，但 {who}{where_zh} 正在使用该数据库：请先停止它再升级（旧 hub 无法在新结构上运行）",
        f"the database schema needs upgrading, but {who}{where} is serving this database: stop it first, then "
        f"upgrade (it would run on a schema it does not know)",
        409,
    )
