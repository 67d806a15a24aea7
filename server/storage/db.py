"""Opening the database: URL defaults, SQLite tuning, transactions, and schema migrations.

SQLite is the embedded default and is tuned for the hub's single writer: WAL lets readers (reports,
boards) proceed while the engine writes. synchronous=FULL syncs the WAL to disk in every commit,
before the caller is answered, so what the hub acknowledged survives a power cut too, as
PostgreSQL's default does. With NORMAL (until the sixth session) it survived a killed process but
not a power cut: up to the last checkpoint's second of tickets was gone after one, and their
numbers, already printed on paper, were issued again; the events' sequence numbers were reused
under boards that had seen them. The sync (an fdatasync of the WAL, ~0.4 ms in the hub on these
machines' disks) adds ~0.6 ms to an action (docs/benchmarks.md), nothing a hall notices; group
commit shares it among simultaneous writes.
PostgreSQL is used by URL.

Transactions are written as plain synchronous SQLAlchemy Core functions and run in one go: on
PostgreSQL through asyncpg (`run_sync`, no threads); on SQLite with the standard sqlite3 driver,
short writes directly on the event loop. Measured here (see docs/benchmarks.md): aiosqlite hands
every statement to its thread and back (~0.5 ms a statement against ~10 us inside sqlite3), and
even one thread hop per transaction lost half the throughput with eight kiosks, the loop and the
writer thread taking the GIL from each other. A write that may run long (statistics catch-up)
uses `write_long`: on the writer thread, so the loop keeps serving.

Group commit (SQLite): writes that arrive while one is being committed, or in the same turn of the
event loop, are run together in one transaction, each inside its own SAVEPOINT: one that fails is
rolled back alone and its caller gets its error; the others commit. BEGIN and COMMIT (with the WAL
bookkeeping) were a fifth of the cost of issuing a ticket; with eight kiosks they are now paid once
for several tickets. Nothing is acknowledged before the commit that holds it: every caller's result
and its `after` callback (the engine publishes events there) wait for the commit, and if the commit
fails every caller of the batch gets the error.

A write with nothing else ready to run in this turn of the loop cannot get company before the
batch would run anyway (the next turn runs the batch before the requests its I/O brings), so it
commits at once, in its caller's task, without the turn: a staff member's call-next answered
about 6% sooner, measured, and batches at eight kiosks unchanged. "Nothing else ready" is the
loop's queue of ready callbacks, a private member of asyncio's event loop; on a loop without it
every write takes the turn, as before, and a test fails so that the loss is noticed.

A batch of writes that came together runs its statements on the loop and its COMMIT, which syncs
the WAL to disk, on the writer thread (`_commit_shared`): sqlite3 lets go of the GIL during the
sync, so the loop reads the next requests meanwhile and they form the next batch. A write alone
keeps committing on the loop: a thread hop would only add to its wait.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, RootTransaction, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry

from server.errors import HallQError
from server.storage.database_claim import DatabaseClaim, pg_migration_claim, sqlite_migration_claim
from server.storage.direct import DirectConnection
from server.storage.outage import Outage, is_connection_lost
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:  # alembic is imported where the schema is migrated: `hallq db backup` never loads it
    from alembic.config import Config

JSON_CODEC: dict[str, Callable[..., Any]] = {
    "json_serializer": lambda value: orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8"),
    "json_deserializer": orjson.loads,
}
"""JSON columns (event payloads) through orjson, as the API's answers already are: every hall action
writes one and the statistics read them back by the thousand (in-process, best of three: issue
185 -> 182 us, call 157 -> 155 us, finish 134 -> 130 us). Non-string keys are written as strings,
as the stdlib's json did; payloads written by it (Chinese as \\u escapes) read back the same."""
BUSY_TIMEOUT_MS = 5000  # how long a write waits for another process holding SQLite's write lock
WAL_KEPT_BYTES = 64 * 1024 * 1024
"""What SQLite leaves of the WAL file when it starts it again from the top (journal_size_limit).
The file is kept, not emptied, as rewriting blocks it already has is the cheaper sync (see
Database._checkpoint_loop); one long transaction (a bulk import of history) may grow it far past
this, and it is cut back to this the next time it restarts."""
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
T = TypeVar("T")
log = logging.getLogger(__name__)


def default_database_url(data_dir: Path) -> str:
    """The embedded default: a SQLite file in the hall's local data folder.

    A new folder and database file are the hub's user's alone (0700, 0600; SQLite gives its
    -wal and -shm files the database file's mode): they hold password hashes, the citizens'
    status tokens and keyed hashes of ID numbers beside their masked form, and were readable by
    every account on the PC. A folder or file that exists keeps the mode it was given."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / "hallq.db"
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # an empty file is an empty database
    return f"sqlite+aiosqlite:///{path.resolve()}"


def normalise_url(url: str) -> str:
    """Accept the plain URLs technicians write and pick the async driver for them. Any other
    database is refused here in a sentence (`--db mysql://…` ended in a ModuleNotFoundError)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is not None and parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed is not None and parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    if parsed is None or parsed.drivername not in SUPPORTED_DRIVERS:
        shown = url if parsed is None else parsed.render_as_string(hide_password=True)
        raise HallQError(
            "unsupported_database", f"不支持的数据库地址：{shown}（HallQ 使用 SQLite 或 PostgreSQL）",
            f"unsupported database URL {shown}: HallQ runs on SQLite (sqlite:///PATH) or PostgreSQL "
            f"(postgresql://USER@HOST/DB)", 400,
        )
    return parsed.render_as_string(hide_password=False)


def _tune_sqlite(dbapi_connection: DBAPIConnection | sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # durable before acknowledged: see the module docstring
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # SQLite's default page cache is 2 MB: with a million tickets the unique indexes (status
    # tokens, idempotency keys) no longer fit and every issue reads pages back. The writer's
    # cache keeps what it wrote until it is full: the hub's memory grows with the database for
    # about a month of hall days, then stops (docs/benchmarks.md, Soak).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")
    cursor.close()


def _take_over_transactions(engine: Engine, begin: str, pragmas: tuple[str, ...] = ()) -> None:
    """Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.

    The module's legacy mode starts a transaction only before the first INSERT/UPDATE (reads run
    outside it) and mishandles SAVEPOINT, which group commit relies on. `begin` is BEGIN for
    readers (one snapshot for all their statements) and BEGIN IMMEDIATE for the writer, which
    takes SQLite's write lock at once, so a write never fails half-way because another process
    (a CLI, a report) wrote after its first read.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        _tune_sqlite(dbapi_connection, record)
        for pragma in pragmas:
            dbapi_connection.execute(pragma)
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # On the driver: through exec_driver_sql this BEGIN cost a twentieth of issuing a ticket.
        try:
            conn.connection.dbapi_connection.execute(begin)  # type: ignore[union-attr]  # pysqlite's: a sqlite3.Connection
        except sqlite3.Error as error:  # e.g. locked past busy_timeout: SQLAlchemy's type, as before
            raise DBAPIError.instance(begin, (), error, sqlite3.Error) from error


@dataclass
class _Pending:
    fn: Callable[[Connection], Any]
    after: Callable[[Any], None] | None
    future: asyncio.Future[Any]


@dataclass
class Database:
    """The hub's handle on its database.

    `write(fn)` and `read(fn)` run a synchronous function of a Connection in one transaction;
    `engine` (async) stays available for code that prefers to await statement by statement.
    """

    engine: AsyncEngine
    sync_engine: Engine | None = None  # SQLite only: the writer's engine (one connection)
    read_engine: Engine | None = None  # SQLite only: the readers' engine
    _writer: ThreadPoolExecutor | None = field(default=None, repr=False)
    _readers: ThreadPoolExecutor | None = field(default=None, repr=False)
    _write_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _pending: list[_Pending] = field(default_factory=list, repr=False)
    _writer_conn: Connection | None = field(default=None, repr=False)
    _direct_plans: dict[Any, Any] = field(default_factory=dict, repr=False)  # see direct.py
    _checkpointer: asyncio.Task[None] | None = field(default=None, repr=False)
    _checkpoint_conn: sqlite3.Connection | None = field(default=None, repr=False)
    _writes_since_checkpoint: int = field(default=0, repr=False)
    checkpoint_every_s: float = 1.0
    _unreachable: Outage = field(init=False, repr=False)
    _disk_full: Outage = field(init=False, repr=False)

    def __post_init__(self) -> None:
        where = self.engine.url.render_as_string(hide_password=True)
        self._unreachable = Outage(log, logging.WARNING, f"database {where}", "unreachable")
        self._disk_full = Outage(log, logging.ERROR, f"database {where}", "disk full")

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def full(self) -> bool:
        """Whether the last write met a full disk and none has gone through since (the hall can
        read, but issue and call nothing)."""
        return self._disk_full.ongoing

    async def write(self, fn: Callable[[Connection], T], after: Callable[[T], None] | None = None) -> T:
        """Run `fn` in a transaction; it commits if `fn` returns and rolls back if it raises.
        `after(result)` runs once the commit is durable, in commit order, before the caller
        resumes. For short transactions (the engine's): on SQLite they run on the event loop,
        grouped with the other writes waiting at the same time (see the module docstring).
        A full disk is refused as `storage_full`, an unreachable database as `database_unavailable`
        (HallQError, 503)."""
        with self._refused_when_unavailable():
            return await self._write(fn, after)

    async def _write(self, fn: Callable[[Connection], T], after: Callable[[T], None] | None = None) -> T:
        if self.sync_engine is None:
            async with self._write_lock:
                async with self.engine.begin() as conn:
                    result = await conn.run_sync(fn)
                _after_commit(after, result)
                return result
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append(_Pending(fn, after, future))
        if len(self._pending) == 1:
            if not getattr(loop, "_ready", True) and not self._write_lock.locked():
                self._commit_batch()  # alone in this turn: the future is settled when this returns
            else:
                loop.call_soon(self._commit_soon)
        self._keep_checkpointing()
        return await future

    async def write_apart(self, fn: Callable[[Connection], T], *, long: bool = False) -> T:
        """A transaction that writes only tables no hall action writes (the statistics' facts,
        built from committed events). On PostgreSQL it runs on its own pooled connection beside
        the hall's writes instead of queueing with them: a statistics batch there held the write
        lock ~20 ms, and every call behind it waited that long (call-next p99 24-30 ms). Beside
        them it still reads a gap-free run of events: the hall's writes commit one at a time, in
        the order of their sequence numbers. On SQLite, with its single writer, it is `write`
        (or `write_long` when `long`)."""
        if self.sync_engine is None:
            with self._refused_when_unavailable():
                async with self.engine.begin() as conn:
                    return await conn.run_sync(fn)
        return await (self.write_long(fn) if long else self.write(fn))

    async def write_long(self, fn: Callable[[Connection], T]) -> T:
        """Like `write`, for transactions that may take long: off the event loop, same lock."""
        if self.sync_engine is None:
            return await self.write(fn)
        self._keep_checkpointing()  # a bulk import writes only here: its WAL must not grow for ever
        with self._refused_when_unavailable():
            async with self._write_lock:
                return await asyncio.get_running_loop().run_in_executor(self._writer, self._sync_write_patiently, fn)

    @contextlib.contextmanager
    def _refused_when_unavailable(self) -> Iterator[None]:
        """A write that met a full disk was rolled back whole; its caller gets a refusal that says
        so (the hall's screens show the Chinese message, the kiosk retries), the technician a log
        line naming the database, once per outage with a count later (an ERROR per refused write
        was ~600 lines a second). Nothing else changes: once there is room again the next write
        goes through on a fresh connection, without restarting the hub. A database that cannot be
        reached is refused the same way (`_refusal`); a write that went through ends both."""
        try:
            yield
        except Exception as error:
            refusal = self._refusal(error)
            if refusal is None:
                raise
            raise refusal from error
        self._all_clear(wrote=True)

    def _refusal(self, error: BaseException) -> HallQError | None:
        """The refusal for a write or read that failed for want of the database (full disk,
        unreachable server), with its log line; None for any other failure. Either way its
        transaction did not commit, so nothing of the action was saved."""
        if isinstance(error, HallQError):
            return None
        if isinstance(error, DBAPIError) and _is_disk_full(error):
            self._disk_full.refused(
                "%s: disk full, a write was refused and nothing of it saved; free space there (the hub carries on by "
                "itself once there is room)", self._disk_full.where)
            return HallQError(
                "storage_full", "服务器存储空间已满，本次操作未保存，请联系工作人员",
                "the hub's disk is full: nothing of this action was saved", 503,
            )
        if not is_connection_lost(error):
            return None
        self._unreachable.refused(
            "%s unreachable (%s: %s): actions are refused with 503 database_unavailable, nothing of them saved, until "
            "it answers again", self._unreachable.where, type(error).__name__, str(error).splitlines()[0] if str(error) else "")
        return HallQError(
            "database_unavailable", "数据库暂时无法连接，本次操作未保存，请稍后再试",
            "the database cannot be reached: nothing of this action was saved; try again shortly", 503,
        )

    def _all_clear(self, *, wrote: bool) -> None:
        """An action went through: an outage the log told of is over (a read proves the database
        answers, only a write that there is room again)."""
        if self._unreachable.ongoing:
            self._unreachable.ended("answers again")
        if wrote and self._disk_full.ongoing:
            self._disk_full.ended("has room again")

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` in a read-only transaction. An unreachable database is refused as
        `database_unavailable` (HallQError, 503), as writes are."""
        try:
            if self.read_engine is not None:
                result = await asyncio.get_running_loop().run_in_executor(self._readers, self._sync_read, fn)
            else:
                async with self.engine.connect() as conn:
                    result = await conn.run_sync(fn)
        except Exception as error:
            refusal = self._refusal(error)
            if refusal is None:
                raise
            raise refusal from error
        if self._unreachable.ongoing:
            self._all_clear(wrote=False)
        return result

    def _keep_checkpointing(self) -> None:
        """Start the checkpoint loop with the first write (open_database has no running loop)."""
        if self._checkpointer is None or self._checkpointer.done():
            self._checkpointer = asyncio.get_running_loop().create_task(self._checkpoint_loop())

    async def _checkpoint_loop(self) -> None:
        """Copy committed pages from the WAL into the database file every `checkpoint_every_s`,
        instead of inside a commit. SQLite's automatic checkpoint ran in the commit of whichever
        write crossed 1,000 pages: with a million tickets of history that put a fifth of the hub's
        CPU into commits on the event loop. PASSIVE never waits for readers or the writer.

        Twice: the bulk on a reader thread while the hall writes on, then what was committed
        meanwhile, a few pages, with the write lock held (0.2-4 ms once a second under full load,
        nothing when idle). Only a WAL copied back to its last page is started again from the
        top by the next write; under unbroken writes a commit always landed during the first
        checkpoint, so the WAL grew by every commit and each commit's sync also had to record the
        file's new size: with the WAL recycled one kiosk issues 1.34x as many tickets a second
        (median of paired runs, docs/benchmarks.md). A failure is logged and retried next round."""
        assert self.sync_engine is not None
        if self._checkpoint_conn is None:  # closed by close(), once no reader thread can use it
            path = self.sync_engine.url.database
            assert path is not None  # a hub's SQLite is a file, never the nameless in-memory one
            self._checkpoint_conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        checkpointer = self._checkpoint_conn
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.checkpoint_every_s)
            if not self._writes_since_checkpoint:
                continue
            self._writes_since_checkpoint = 0
            try:
                await loop.run_in_executor(self._readers, checkpointer.execute, "PRAGMA wal_checkpoint(PASSIVE)")
                async with self._write_lock:
                    await loop.run_in_executor(self._writer, checkpointer.execute, "PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:
                log.exception("WAL checkpoint failed; retrying in %.1f s", self.checkpoint_every_s)

    def _commit_soon(self) -> None:
        """Scheduled by the first write in line when others were due in the same turn of the
        event loop: a batch that will sync while more requests arrive (_commit_shared)."""
        asyncio.get_running_loop().create_task(self._commit_shared())

    def _commit_batch(self) -> None:
        """Commit everything queued so far in one transaction, on the event loop: a write alone
        in its turn, answered without a task or a thread hop (at one request at a time those cost
        a twentieth of a call)."""
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            outcomes = self._sync_write(lambda conn: _run_batch(conn, batch))
        except BaseException as exc:
            self._refuse(batch, exc)
            return
        _settle(batch, outcomes)

    async def _commit_shared(self) -> None:
        """Commit a batch of writes that came together: its statements on the event loop, its
        COMMIT on the writer thread. The COMMIT syncs the WAL to disk (synchronous=FULL), the
        longest part of a write; sqlite3 lets go of the GIL meanwhile, so the loop reads and
        checks the next requests, which then form the next batch instead of waiting behind the
        sync (eight kiosks: +29-50% tickets a second in paired runs). The lock keeps the next batch out
        until this one is committed."""
        async with self._write_lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                transaction, outcomes = self._begin_and_run(lambda conn: _run_batch(conn, batch))
                await asyncio.get_running_loop().run_in_executor(self._writer, self._commit, transaction)
            except BaseException as exc:
                self._refuse(batch, exc)
                return
        _settle(batch, outcomes)

    def _refuse(self, batch: list[_Pending], exc: BaseException) -> None:
        """A batch that did not commit. If another process holds SQLite's write lock (a CLI
        command, a technician's shell), the loop does not wait for it, where waiting would freeze
        the whole hub: the batch goes back to the front of the queue and is written from the
        writer thread, which may wait (busy_timeout). Otherwise nobody's write is acknowledged."""
        if isinstance(exc, DBAPIError) and _is_busy(exc):
            self._pending[:0] = batch
            asyncio.get_running_loop().create_task(self._commit_patiently())
            return
        _fail(batch, exc)
        if not isinstance(exc, Exception):
            raise exc

    async def _commit_patiently(self) -> None:
        """The queued batch from the writer thread, once the lock is free: after another process's
        lock was met on the loop, or when a long write held the lock."""
        async with self._write_lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            loop = asyncio.get_running_loop()
            try:
                outcomes = await loop.run_in_executor(self._writer, self._sync_write_patiently, lambda conn: _run_batch(conn, batch))
            except BaseException as exc:  # still locked after busy_timeout, or the commit failed
                _fail(batch, exc)
                if not isinstance(exc, Exception):
                    raise
                return
        _settle(batch, outcomes)

    def _sync_write_patiently(self, fn: Callable[[Connection], T]) -> T:
        """`_sync_write` that waits up to BUSY_TIMEOUT_MS for another process's write lock: for
        the writer thread only (the event loop's writes never wait, see _commit_batch)."""
        with self._waiting_for_the_lock():
            return self._sync_write(fn)

    @contextlib.contextmanager
    def _waiting_for_the_lock(self) -> Iterator[None]:
        """The writer's connection allowed to wait BUSY_TIMEOUT_MS for SQLite's lock meanwhile (the
        writer thread only); afterwards it never waits again (busy_timeout 0, see _commit_batch)."""
        driver = self._writer_connection().connection.dbapi_connection
        assert driver is not None
        driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            yield
        finally:
            if self._writer_conn is not None:  # dropped after an error: a new one starts at 0
                self._writer_conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]  # pysqlite's: sqlite3's
                    "PRAGMA busy_timeout=0"
                )

    def _writer_connection(self) -> Connection:
        """The writer's own connection, kept open between transactions: checking it out of the
        pool and resetting it each time cost a tenth of a ticket."""
        assert self.sync_engine is not None
        if self._writer_conn is None:
            self._writer_conn = self.sync_engine.connect()
        return self._writer_conn

    def _sync_write(self, fn: Callable[[Connection], T]) -> T:
        """One transaction on the writer's own connection. After an error it is closed, so the
        next write starts on a fresh one."""
        transaction, result = self._begin_and_run(fn)
        self._commit(transaction)
        return result

    def _begin_and_run(self, fn: Callable[[Connection], T]) -> tuple[RootTransaction, T]:
        """`fn` in a new transaction on the writer's connection, left open for `_commit`; rolled
        back if it raises."""
        conn = self._writer_connection()
        self._writes_since_checkpoint += 1
        try:
            transaction = conn.begin()
        except BaseException as error:
            self._abandon(conn, None, error)
            raise
        try:
            return transaction, fn(DirectConnection(conn, self._direct_plans))  # type: ignore[arg-type]  # a Connection by delegation
        except BaseException as error:
            self._abandon(conn, transaction, error)
            raise

    def _commit(self, transaction: RootTransaction) -> None:
        try:
            transaction.commit()
        except BaseException as error:
            self._abandon(transaction.connection, transaction, error)
            raise

    def _abandon(self, conn: Connection, transaction: RootTransaction | None, error: BaseException) -> None:
        """After an error: roll the transaction back (a failed COMMIT, e.g. a deferred constraint,
        leaves SQLite's open, as SQLAlchemy's own `with conn.begin()` knows; a dead connection
        cannot roll back), then close the writer's connection unless the error was a refusal
        (HallQError, a rule), so the next write starts on a fresh one."""
        if transaction is not None:
            with contextlib.suppress(Exception):
                transaction.rollback()
        if not isinstance(error, Exception) or isinstance(error, DBAPIError) or conn.invalidated:
            self._drop_writer_connection()

    def _drop_writer_connection(self) -> None:
        if self._writer_conn is not None:
            self._writer_conn.close()
            self._writer_conn = None

    def _sync_read(self, fn: Callable[[Connection], T]) -> T:
        assert self.read_engine is not None
        with self.read_engine.connect() as conn:
            return fn(conn)

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
        if self.sync_engine is not None:
            assert self._writer is not None and self._readers is not None and self.read_engine is not None
            self._writer.shutdown(wait=True)
            self._readers.shutdown(wait=True)
            if self._checkpoint_conn is not None:
                self._checkpoint_conn.close()
                self._checkpoint_conn = None
            self._drop_writer_connection()
            self.sync_engine.dispose()
            self.read_engine.dispose()
        await self.engine.dispose()


def _is_disk_full(error: DBAPIError) -> bool:
    """SQLite's SQLITE_FULL ("database or disk is full") or PostgreSQL's disk_full (SQLSTATE 53100)."""
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        return (getattr(orig, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_FULL
    return "53100" in (getattr(orig, "sqlstate", None), getattr(orig, "pgcode", None))


def _is_busy(error: DBAPIError) -> bool:
    """SQLite's write lock is held by another connection (SQLITE_BUSY at BEGIN IMMEDIATE)."""
    return isinstance(error.orig, sqlite3.OperationalError) and getattr(error.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


def _fail(batch: list[_Pending], error: BaseException) -> None:
    """Nobody in a batch whose commit failed is told their write succeeded."""
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(error)


def _settle(batch: list[_Pending], outcomes: list[tuple[bool, Any]]) -> None:
    """After the commit: callbacks in commit order, then each caller's own result or error."""
    for pending, (ok, value) in zip(batch, outcomes):
        if ok:  # even for a caller that was cancelled meanwhile: its write stands
            _after_commit(pending.after, value)
        if pending.future.done():
            continue
        if ok:
            pending.future.set_result(value)
        else:
            pending.future.set_exception(value)


def _after_commit(after: Callable[[Any], None] | None, result: Any) -> None:
    if after is None:
        return
    try:
        after(result)
    except Exception:  # noqa: BLE001 - the write is committed; say so rather than undo it
        log.exception("after-commit callback failed")


def _run_batch(conn: Connection, batch: list[_Pending]) -> list[tuple[bool, Any]]:
    """Each write of a group commit in its own savepoint: (True, result) or (False, error).

    The savepoints are sent to the sqlite3 driver directly: SQLAlchemy's nested-transaction
    bookkeeping cost an eighth of a ticket, and nothing inside a write opens transactions of its own.
    """
    if len(batch) == 1:  # nothing to isolate it from: its error rolls the transaction back
        return [(True, batch[0].fn(conn))]
    driver = conn.connection.dbapi_connection
    assert driver is not None
    outcomes: list[tuple[bool, Any]] = []
    for pending in batch:
        driver.execute("SAVEPOINT hallq_write")
        try:
            result = pending.fn(conn)
        except Exception as exc:  # noqa: BLE001 - handed to the caller whose write it was
            driver.execute("ROLLBACK TO hallq_write")
            driver.execute("RELEASE hallq_write")
            outcomes.append((False, exc))
        else:
            driver.execute("RELEASE hallq_write")
            outcomes.append((True, result))
    return outcomes


def _ping_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Make sure a pooled PostgreSQL connection still answers before a transaction uses it, in
    one round trip. A connection that died with the server (a restart, a failover) is replaced by
    the pool, which retries the checkout on DisconnectionError, so the hall's next action goes
    through instead of failing. SQLAlchemy's own pre-ping wraps its probe in BEGIN and ROLLBACK
    for pgbouncer's sake: three round trips, measured as a sixth of issuing a ticket here."""
    try:
        dbapi_connection.run_async(lambda driver: driver.fetchrow(";"))
    except Exception as error:  # noqa: BLE001 - any failure means: not this connection
        raise DisconnectionError(f"pooled database connection no longer answers: {error}") from error


def open_database(url: str) -> Database:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        engine = create_async_engine(url, **JSON_CODEC)
        event.listen(engine.sync_engine, "checkout", _ping_on_checkout)
        return Database(engine)
    engine = create_async_engine(url, **JSON_CODEC)
    event.listen(engine.sync_engine, "connect", _tune_sqlite)
    sync_url = make_url(url).set(drivername="sqlite+pysqlite")
    # One connection for the writer: writes never overlap (the lock), and checking a connection
    # out of a pool for every transaction cost more than the transaction's own BEGIN.
    write_engine = create_engine(sync_url, pool_size=1, max_overflow=0, **JSON_CODEC)
    # No checkpoint inside a commit: the Database checkpoints from a thread (see _checkpoint_loop).
    # The writer never waits for SQLite's lock on the event loop (busy_timeout 0; see _commit_batch).
    _take_over_transactions(write_engine, "BEGIN IMMEDIATE", ("PRAGMA wal_autocheckpoint=0", "PRAGMA busy_timeout=0"))
    read_engine = create_engine(sync_url, pool_size=4, max_overflow=4, **JSON_CODEC)
    _take_over_transactions(read_engine, "BEGIN")
    return Database(
        engine,
        write_engine,
        read_engine,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="hallq-db-writer"),
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="hallq-db-reader"),
    )


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade(database: Database, revision: str = "head", *, claim: DatabaseClaim | None = None) -> None:
    """Bring the schema to `revision`; a hall upgrades without losing its history. The hub
    passes its claim on the database; anyone else migrates only while no hub holds it
    (server/storage/database_claim.py), and finding nothing to migrate needs no claim."""
    if claim is None and database.engine.dialect.name != "postgresql":
        async with database.engine.connect() as conn:
            pending = await conn.run_sync(lambda sync: _pending(sync, revision))
        if pending:  # SQLite's claim is a file lock: held until the migration has committed
            with sqlite_migration_claim(database.engine.url):
                await _upgrade(database, revision, claimed=True)
            return
    await _upgrade(database, revision, claimed=claim is not None)


async def _upgrade(database: Database, revision: str, *, claimed: bool) -> None:
    from alembic import command

    def migrate(connection: Connection) -> None:
        _one_revision(connection)
        if not claimed and connection.dialect.name == "postgresql" and _pending(connection, revision):
            pg_migration_claim(connection)  # ends with this transaction
        command.upgrade(_alembic_config(connection), revision)

    async with database.engine.begin() as conn:
        await conn.run_sync(migrate)


def _pending(connection: Connection, revision: str) -> bool:
    """Whether bringing the schema to `revision` has anything to do. A schema this HallQ does not
    know is not: alembic's own error says which when it is asked to migrate (start_problems)."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    script = ScriptDirectory.from_config(_alembic_config(connection))
    current = _one_revision(connection)
    try:
        target = script.get_revision(revision)
        if current is not None:
            script.get_revision(current)
    except CommandError:
        return False
    return target is not None and current != target.revision


def _one_revision(connection: Connection) -> str | None:
    """The schema's revision. alembic_version holds one row; one added by hand or by another tool
    made alembic fail with a traceback ("more than one head present") or, migrating, call the
    database one of a newer HallQ: refused here, naming the rows for the technician to mend."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = MigrationContext.configure(connection).get_current_heads()
    if len(heads) <= 1:
        return heads[0] if heads else None
    known = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    rows = ", ".join(sorted(heads))
    raise HallQError(
        "schema_revisions",
        f"数据库的 alembic_version 表中有多个结构版本（{rows}），应只有一个：请保留与数据库实际结构相符的一行"
        f"（本程序最高 {known}），删除其余各行；如不确定，请从备份恢复",
        f"the database's alembic_version table holds several revisions ({rows}) where it keeps one: keep the row "
        f"of the schema the database has (this HallQ knows up to {known}), delete the others, or restore a backup",
        409, {"revisions": sorted(heads)})


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as conn:
        return await conn.run_sync(_one_revision)
