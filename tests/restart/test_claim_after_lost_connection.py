"""A hub on PostgreSQL keeps its claim on the database through a lost connection.

Tried (a real `hallq serve` process): its claiming session ended under it with
pg_terminate_backend, as a database restart or a network cut ends it. It was: the claim lapsed
for the rest of the hub's life, and a second hub started from another machine ran beside it.
Kept: the hub claims again within seconds and a second hub is refused again; if another hub took
the database in the gap, this one says so and stops, so one hub serves the hall, even when the
other hub bears its name.
"""
from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path

import aiohttp
import asyncpg

from server.storage.database_claim import CLAIM_CHECK_S, CLAIM_KEY
from tests.conftest import PG_ADMIN_URL
from tests.hub_process import HALLQ, HubProcess

LIVENESS_S = 30 * CLAIM_CHECK_S  # a bound for a hub that never claims again, not a speed claim


async def _claim_sessions(admin: asyncpg.Connection, database: str) -> list[tuple[int, str]]:
    """(backend pid, application name) of the sessions holding the HallQ claim on `database`."""
    rows = await admin.fetch(
        "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND a.datname = $3",
        CLAIM_KEY >> 32, CLAIM_KEY & 0xFFFFFFFF, database)
    return [(row["pid"], row["application_name"]) for row in rows]


async def _wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + LIVENESS_S
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.2)


async def _started_hub(tmp_path: Path, pg_database: str) -> tuple[HubProcess, asyncpg.Connection, asyncpg.Connection]:
    """A real hub on `pg_database`, a connection to the server's admin database and one to `pg_database`."""
    hub = HubProcess(tmp_path / "hub", db=f"postgresql://postgres@127.0.0.1:5432/{pg_database}")
    await hub.start()
    return hub, await asyncpg.connect(PG_ADMIN_URL), await asyncpg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{pg_database}")


async def test_a_hub_claims_its_database_again_after_losing_the_connection(tmp_path: Path, pg_database: str) -> None:
    db = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    hub = HubProcess(tmp_path / "hub", db=db)
    await hub.start()
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        name = f"hallq hub {hub.process.pid if hub.process else '?'} on {socket.gethostname()}"
        [(first_session, holder)] = await _claim_sessions(admin, pg_database)
        assert holder == name
        await admin.execute("SELECT pg_terminate_backend($1)", first_session)

        async def claimed_again() -> bool:
            sessions = await _claim_sessions(admin, pg_database)
            return len(sessions) == 1 and sessions[0][0] != first_session and sessions[0][1] == name
        await _wait_for(claimed_again, "the hub did not claim its database again")

        second = HubProcess(tmp_path / "second", db=db)
        run = subprocess.run([HALLQ, "serve", *second.args, "--port", str(second.port)], capture_output=True, text=True,
                             env=second.env, timeout=60)
        assert run.returncode != 0 and f"another hub ({name}" in run.stderr.strip().splitlines()[-1], run.stderr
        async with aiohttp.ClientSession() as session, session.get(f"{hub.url}/api/v1/health") as health:
            assert health.status == 200  # served on throughout
        assert any("claimed again" in line for line in hub.log_lines()), hub.log_lines()[-20:]
    finally:
        await admin.close()
        hub.stop()


async def test_a_hub_whose_database_another_hub_took_in_the_gap_stops(tmp_path: Path, pg_database: str) -> None:
    hub, admin, standby = await _started_hub(tmp_path, pg_database)
    try:
        [(session, name)] = await _claim_sessions(admin, pg_database)
        # The standby bears the hub's very name (a cloned machine, a container: same host name,
        # same process number): it is told from the hub's own lost session by its server process.
        await standby.execute(f"SET application_name = '{name}'")
        await admin.execute("SELECT pg_terminate_backend($1)", session)
        await standby.execute("SELECT pg_advisory_lock($1)", CLAIM_KEY)  # queued before the hub's next check

        assert hub.process is not None
        code = await asyncio.to_thread(hub.process.wait, LIVENESS_S)
        assert code == 0, "stopped as on SIGTERM"
        said = [line for line in hub.log_lines() if "stops now" in line]
        assert said and f"another hub ({name}" in said[-1] and "本 hub 已停止" in said[-1], hub.log_lines()[-20:]
    finally:
        await standby.close()
        await admin.close()
        hub.stop()


async def test_a_hub_whose_schema_was_migrated_in_the_gap_stops(tmp_path: Path, pg_database: str) -> None:
    """Tried: the hub's claiming session ended, and before the hub claimed again the schema's
    revision moved on, as a newer `hallq` command run in those seconds leaves it (no hub held the
    claim, so its migration was let in). It was: the hub claimed again and served on a schema it
    does not know. Kept: it claims again, sees the revision changed and stops, naming both
    revisions; the migrated schema is left as it is."""
    hub, admin, database = await _started_hub(tmp_path, pg_database)
    try:
        before = await database.fetchval("SELECT version_num FROM alembic_version")
        [(session, _)] = await _claim_sessions(admin, pg_database)
        async with database.transaction():
            await admin.execute("SELECT pg_terminate_backend($1)", session)
            await database.execute("UPDATE alembic_version SET version_num = '9999_newer'")

        assert hub.process is not None
        code = await asyncio.to_thread(hub.process.wait, LIVENESS_S)
        assert code == 0, "stopped as on SIGTERM"
        said = [line for line in hub.log_lines() if "stops now" in line]
        assert said and f"{before} → 9999_newer" in said[-1] and "本 hub 已停止" in said[-1], hub.log_lines()[-20:]
        assert await database.fetchval("SELECT version_num FROM alembic_version") == "9999_newer"
    finally:
        await database.close()
        await admin.close()
        hub.stop()
