"""How long a hall's upgrade takes on its history: each migration since --from, timed on SQLite.

    .venv/bin/python bench/migrate_history.py [--days 30] [--from 0007]

A hall upgrading HallQ runs `hallq db upgrade` on a database holding months of tickets, and the
hall is closed meanwhile. The migrations' tests run on a few rows; this measures them on a
simulated history of the sample hall (server/simulation/bulk.py, the last day Thursday
2026-11-26), written at the newest schema, taken down to --from with the migrations' own
downgrades, then brought up again one revision at a time. Printed: the tickets and events held,
and the seconds of each step up (and of the way down, for the record). The history is built
afresh in a temporary folder (about 1.5 s a simulated day on a 2-core machine).
"""
from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402

from server.config.loader import load_hall_config  # noqa: E402
from server.config.paths import default_config_dir  # noqa: E402
from server.simulation.bulk import bulk_history  # noqa: E402
from server.simulation.history import SimulationOptions  # noqa: E402
from server.simulation.profile import load_profile  # noqa: E402
from server.storage.db import MIGRATIONS_DIR, _alembic_config, open_database, upgrade  # noqa: E402

LAST_DAY = date(2026, 11, 26)


async def build(path: Path, days: int) -> None:
    config_dir = default_config_dir()
    database = open_database(f"sqlite:///{path}")
    try:
        await upgrade(database)
        await bulk_history(database, load_hall_config(config_dir), load_profile(config_dir / "traffic_profile.toml"),
                           LAST_DAY - timedelta(days=days - 1), days, SimulationOptions())
    finally:
        await database.close()


async def step(path: Path, action: str, revision: str) -> float:
    """One alembic upgrade or downgrade to `revision`, in one transaction, as the hub migrates."""
    database = open_database(f"sqlite:///{path}")
    try:
        started = time.perf_counter()
        async with database.engine.begin() as conn:
            await conn.run_sync(lambda sync: getattr(command, action)(_alembic_config(sync), revision))
        return time.perf_counter() - started
    finally:
        await database.close()


def revisions_after(base: str) -> list[str]:
    """The revisions above `base`, oldest first."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    chain = [r.revision for r in script.walk_revisions("base", "heads")][::-1]
    return chain[chain.index(base) + 1:]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--from", dest="base", default="0007")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hall.db"
        started = time.perf_counter()
        await build(path, args.days)
        with sqlite3.connect(path) as conn:
            tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
            events = conn.execute("SELECT count(*) FROM ticket_events").fetchone()[0]
        print(f"history: {args.days} days, {tickets} tickets, {events} events, built in {time.perf_counter() - started:.0f} s, "
              f"{path.stat().st_size / 1e6:.0f} MB")
        down = await step(path, "downgrade", args.base)
        print(f"down to {args.base}: {down:.2f} s")
        total = 0.0
        for revision in revisions_after(args.base):
            took = await step(path, "upgrade", revision)
            total += took
            print(f"up to {revision}: {took:.2f} s")
        print(f"upgrade {args.base} -> head: {total:.2f} s for {tickets} tickets ({total / max(tickets, 1) * 1e6:.1f} us a ticket)")


if __name__ == "__main__":
    asyncio.run(main())
