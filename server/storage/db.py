"""Opening the database: URL defaults, SQLite tuning, transactions, and schema migrations.

SQLite is the embedded default and is tuned for the hub's single writer: WAL lets readers (reports,
boards) proceed while the engine writes, and synchronous=NORMAL keeps a commit cheap while WAL
still guarantees a committed transaction survives a process crash. PostgreSQL is used by URL.

Transactions are written as plain synchronous SQLAlchemy Core functions and run in one go: on
PostgreSQL through asyncpg (`run_sync`, no threads); on SQLite with the standard sqlite3 driver,
short writes directly on the event loop under one asyncio write lock. Measured here (see
docs/benchmarks.md): aiosqlite hands every statement to its thread and back (~0.5 ms a statement
against ~10 us inside sqlite3), and even one thread hop per transaction lost half the throughput
with eight kiosks, the loop and the writer thread taking the GIL from each other. A write that may
run long (statistics catch-up) uses `write_long`: the same lock, but on the writer thread, so the
loop keeps serving and never waits on SQLite's own lock. Reads run on reader threads (WAL lets them
proceed beside the writer).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
T = TypeVar("T")


def default_database_url(data_dir: Path) -> str:
    """The embedded default: a SQLite file in the hall's local data folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(data_dir / 'hallq.db').resolve()}"


def normalise_url(url: str) -> str:
    """Accept the plain URLs technicians write and pick the async driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _tune_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # SQLite's default page cache is 2 MB: with a million tickets the unique indexes (status
    # tokens, idempotency keys) no longer fit and every issue reads pages back.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


@dataclass(frozen=True)
class Database:
    """The hub's handle on its database.

    `write(fn)` and `read(fn)` run a synchronous function of a Connection in one transaction;
    `engine` (async) stays available for code that prefers to await statement by statement.
    """

    engine: AsyncEngine
    sync_engine: Engine | None = None  # SQLite only: the writer's and readers' engine
    _writer: ThreadPoolExecutor | None = field(default=None, repr=False)
    _readers: ThreadPoolExecutor | None = field(default=None, repr=False)
    _write_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` in one transaction; it commits if `fn` returns and rolls back if it raises.
        For short transactions (the engine's): on SQLite it runs on the event loop itself."""
        if self.sync_engine is not None:
            async with self._write_lock:
                return self._sync_write(fn)
        async with self.engine.begin() as conn:
            return await conn.run_sync(fn)

    async def write_long(self, fn: Callable[[Connection], T]) -> T:
        """Like `write`, for transactions that may take long: off the event loop, same lock."""
        if self.sync_engine is not None:
            async with self._write_lock:
                return await asyncio.get_running_loop().run_in_executor(self._writer, self._sync_write, fn)
        return await self.write(fn)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        if self.sync_engine is not None:
            return await asyncio.get_running_loop().run_in_executor(self._readers, self._sync_read, fn)
        async with self.engine.connect() as conn:
            return await conn.run_sync(fn)

    def _sync_write(self, fn: Callable[[Connection], T]) -> T:
        assert self.sync_engine is not None
        with self.sync_engine.begin() as conn:
            return fn(conn)

    def _sync_read(self, fn: Callable[[Connection], T]) -> T:
        assert self.sync_engine is not None
        with self.sync_engine.connect() as conn:
            return fn(conn)

    async def close(self) -> None:
        if self.sync_engine is not None:
            assert self._writer is not None and self._readers is not None
            self._writer.shutdown(wait=True)
            self._readers.shutdown(wait=True)
            self.sync_engine.dispose()
        await self.engine.dispose()


def open_database(url: str) -> Database:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return Database(create_async_engine(url, pool_pre_ping=True))
    engine = create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _tune_sqlite)
    sync_url = make_url(url).set(drivername="sqlite+pysqlite")
    sync_engine = create_engine(sync_url, pool_size=4, max_overflow=4)
    event.listen(sync_engine, "connect", _tune_sqlite)
    return Database(
        engine,
        sync_engine,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="hallq-db-writer"),
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="hallq-db-reader"),
    )


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; a hall upgrades without losing its history."""
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_alembic_config(sync), revision))


async def current_revision(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with database.engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
