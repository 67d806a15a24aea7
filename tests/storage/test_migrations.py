"""The migrations build exactly the schema the code declares, on SQLite and on PostgreSQL, so a
hall upgrading with `hallq db upgrade` gets the same tables and indexes as a fresh install."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.storage.db import Database
from server.storage.schema import metadata


async def test_migrated_schema_matches_the_declared_one(database: Database) -> None:
    async with database.engine.connect() as conn:
        differences = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    assert differences == []
