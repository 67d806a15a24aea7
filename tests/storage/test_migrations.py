"""The migrations build exactly the schema the code declares, on SQLite and on PostgreSQL, so a
hall upgrading with `hallq db upgrade` gets the same tables and indexes as a fresh install."""
from __future__ import annotations

import contextlib

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.storage.db import Database
from server.storage.schema import metadata


async def test_migrated_schema_matches_the_declared_one(database: Database) -> None:
    async with database.engine.connect() as conn:
        differences = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    assert differences == []



def test_a_test_database_is_a_copy_at_the_newest_revision_holding_no_rows(tmp_path) -> None:
    """Hubs and engine tests get copies of a database the migrations built once per test process
    (tests/conftest.py). A copy is at the newest revision before anything migrates it (else every
    test would quietly migrate its copy again, the cost the copies are there to spare), empty (no
    test's rows reach another through it) and its owner's alone, as the hub makes its own."""
    import sqlite3

    from alembic.script import ScriptDirectory

    from server.storage.db import MIGRATIONS_DIR
    from tests.conftest import migrated_sqlite_copy

    first = migrated_sqlite_copy(tmp_path / "first" / "hallq.db")
    with contextlib.closing(sqlite3.connect(first)) as conn, conn:
        conn.execute("INSERT INTO day_counters (hall_day, prefix, last_seq) VALUES ('2026-11-26', 'A1', 7)")
    second = migrated_sqlite_copy(tmp_path / "second" / "hallq.db")
    with contextlib.closing(sqlite3.connect(second)) as conn:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        rows = [conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("users", "tickets", "day_counters")]
    assert revision == [(ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head(),)]
    assert rows == [0, 0, 0]
    assert (second.stat().st_mode & 0o777, second.parent.stat().st_mode & 0o777) == (0o600, 0o700)
