"""Statistics at a year's scale: what a manager waits for on SQLite and on PostgreSQL.

    .venv/bin/python bench/stats_report.py [--days 365] [--runs 20] [--no-postgres]

1. One year of simulated history of the sample hall (about 600,000 tickets) is written with the
   bulk path (server/simulation/bulk.py) into bench/results/stats_year_<days>.db, and reused on
   later runs (delete it to regenerate). The last day is Thursday 2026-11-26.
2. PostgreSQL (postgresql://postgres@127.0.0.1/): a scratch database is created, the cached rows
   are copied in with COPY, and the database is dropped at the end.
3. On each backend a real hub (create_app, ManualClock at 16:00 on the last day) is served on
   loopback; as a signed-in manager we time, over --runs runs each: the monthly report by zone,
   by day, by window and by staff (GET /api/v1/stats/report), the monthly assessment (GET /api/v1/stats/assessment), and
   the dashboard's today document (GET /api/v1/stats/today), and the report page's table and charts
   (GET /api/v1/stats/report.html, by zone). p50 / p99 / max in milliseconds, after a first call
   whose time is printed on its own (HallQ caches nothing between calls; after the first, SQLite's
   page cache and the operating system's are warm). Then reports by zone back to back while the
   dashboard document is polled every 10 ms: the latency of each beside the other.
   With --in-hall N, the last day's last N finished tickets are put back in the hall first (see
   `reopen`), so the dashboard also counts calls of tickets still in the hall.
Target: a manager never waits more than a second.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402
from sqlalchemy import create_engine, delete, func, select, update  # noqa: E402

from server.accounts import Role  # noqa: E402
from server.api.keys import ACCOUNTS  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config.loader import load_hall_config  # noqa: E402
from server.config.paths import default_config_dir  # noqa: E402
from server.engine.clock import ManualClock  # noqa: E402
from server.settings import HubSettings  # noqa: E402
from server.simulation.bulk import bulk_history  # noqa: E402
from server.simulation.history import SimulationOptions  # noqa: E402
from server.simulation.profile import load_profile  # noqa: E402
from server.storage.db import open_database, upgrade  # noqa: E402
from server.storage import schema  # noqa: E402

LAST_DAY = date(2026, 11, 26)
RESULTS = ROOT / "bench" / "results"
PG_ADMIN = os.environ.get("HALLQ_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
COPIED = ("tickets", "ticket_events", "ticket_intervals", "appointments", "day_counters", "window_states",
          "stat_watermarks", "stat_ticket_facts", "stat_leg_facts", "stat_window_days")


async def generate(path: Path, days: int) -> None:
    config_dir = default_config_dir()
    config = load_hall_config(config_dir)
    profile = load_profile(config_dir / "traffic_profile.toml")
    tmp = path.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    database = open_database(f"sqlite:///{tmp}")
    try:
        await upgrade(database)
        started = time.perf_counter()
        report = await bulk_history(database, config, profile, LAST_DAY - timedelta(days=days - 1), days, SimulationOptions())
        took = time.perf_counter() - started
    finally:
        await database.close()
    tmp.rename(path)
    print(f"generated {report.tickets} tickets over {days} days in {took:.0f} s "
          f"(simulate {report.simulate_s:.0f} s, write {report.write_s:.0f} s, facts {report.facts_s:.0f} s)")


async def copy_to_postgres(sqlite_path: Path, url: str) -> float:
    """COPY every table the statistics read from the cached SQLite file into PostgreSQL."""
    import asyncpg

    database = open_database(url)
    await upgrade(database)
    await database.close()
    source = create_engine(f"sqlite:///{sqlite_path}")
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    started = time.perf_counter()
    try:
        with source.connect() as src:
            # The migrations seed rows of their own (the `intervals` watermark): the copy's win.
            await conn.execute("DELETE FROM stat_watermarks")
            for name in COPIED:
                table = schema.metadata.tables[name]
                columns = [c.name for c in table.columns]
                json_columns = {i for i, c in enumerate(table.columns) if c.type.__class__.__name__ == "JSON"}
                result = src.execution_options(stream_results=True).execute(select(table))
                while batch := result.fetchmany(50000):
                    records = [tuple(json.dumps(v) if i in json_columns else v for i, v in enumerate(r)) for r in batch]
                    await conn.copy_records_to_table(name, records=records, columns=columns)
        for table, column in (("tickets", "id"), ("ticket_events", "seq"), ("ticket_intervals", "id")):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                               f"GREATEST((SELECT COALESCE(MAX({column}), 0) FROM {table}), 1))")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p = lambda q: ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000  # noqa: E731
    return f"p50 {p(0.50):7.1f} ms   p99 {p(0.99):7.1f} ms   max {ordered[-1] * 1000:7.1f} ms"


async def timed_get(http: aiohttp.ClientSession, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    async with http.get(path, headers=headers) as r:
        await r.read()
        assert r.status == 200, r.status
    return time.perf_counter() - started


async def beside_dashboard(http: aiohttp.ClientSession, headers: dict[str, str], report: str, runs: int) -> dict[str, list[float]]:
    """Reports back to back while a dashboard polls every 10 ms: what each costs the other."""
    reports: list[float] = []
    polls: list[float] = []

    async def reporter() -> None:
        for _ in range(runs):
            reports.append(await timed_get(http, report, headers))

    async def dashboard(done: asyncio.Task[None]) -> None:
        while not done.done():
            polls.append(await timed_get(http, "/api/v1/stats/today", headers))
            await asyncio.sleep(0.01)

    task = asyncio.ensure_future(reporter())
    await asyncio.gather(task, dashboard(task))
    return {"report by zone, dashboard polling": reports, "dashboard, reports running": polls}


async def time_hub(url: str, runs: int) -> dict[str, list[float]]:
    tz = ZoneInfo("Asia/Shanghai")
    clock = ManualClock(datetime.combine(LAST_DAY, dtime(16, 0), tz).timestamp())
    with tempfile.TemporaryDirectory() as data:
        settings = HubSettings(config_dir=default_config_dir(), data_dir=Path(data), database_url=url)
        app = create_app(settings, clock=clock)
        server = TestServer(app)
        await server.start_server()
        try:
            await app[ACCOUNTS].add_user("bench-manager", "bench-pass", Role.MANAGER, "基准测试", now=clock.now())
            async with aiohttp.ClientSession(str(server.make_url("/"))) as http:
                async with http.post("/api/v1/auth/login", json={"username": "bench-manager", "password": "bench-pass"}) as r:
                    token = (await r.json())["token"]
                headers = {"Authorization": f"Bearer {token}"}
                month = LAST_DAY - timedelta(days=LAST_DAY.day - 1)
                previous = (month - timedelta(days=1)).replace(day=1)
                end = month - timedelta(days=1)
                calls = {
                    "monthly report by zone": f"/api/v1/stats/report?from={previous}&to={end}&by=zone",
                    "monthly report by day": f"/api/v1/stats/report?from={previous}&to={end}&by=day",
                    "monthly report by window": f"/api/v1/stats/report?from={previous}&to={end}&by=window",
                    "monthly report by staff": f"/api/v1/stats/report?from={previous}&to={end}&by=staff",
                    "monthly report page": f"/api/v1/stats/report.html?from={previous}&to={end}&by=zone",
                    "monthly assessment": f"/api/v1/stats/assessment?month={previous:%Y-%m}",
                    "dashboard today": "/api/v1/stats/today",
                }
                out: dict[str, list[float]] = {name: [] for name in calls}
                first: dict[str, float] = {}
                for name, path in calls.items():
                    started = time.perf_counter()
                    async with http.get(path, headers=headers) as r:  # the first call, and a correctness check
                        assert r.status == 200, await r.text()
                        body = await r.json() if r.content_type == "application/json" else await r.text()
                    first[name] = time.perf_counter() - started
                    if name == "monthly report by zone":
                        print(f"    {previous:%Y-%m}: {sum(row['tickets'] for row in body['rows'])} tickets in the report")
                    for _ in range(runs):
                        out[name].append(await timed_get(http, path, headers))
                for name, took in first.items():
                    print(f"    first call: {name:<34} {took * 1000:7.1f} ms")
                out.update(await beside_dashboard(http, headers, calls["monthly report by zone"], runs))
                return out
        finally:
            await server.close()


def count_tickets(path: Path) -> int:
    with create_engine(f"sqlite:///{path}").connect() as c:
        return int(c.execute(select(func.count()).select_from(schema.tickets)).scalar() or 0)


def reopen(path: Path, n: int) -> int:
    """Put the last day's last `n` finished tickets back in the hall, waiting again after their
    call (as after a late return), with their facts removed. Why: the bulk history ends every
    day, so at 16:00 the dashboard's count of the calls still in the hall (behind today's no-show
    rate, `metrics.called_in_hall`) had nothing to read, and the bench never timed it."""
    t = schema.tickets
    with create_engine(f"sqlite:///{path}").begin() as c:
        ids = list(c.execute(select(t.c.id).where(t.c.hall_day == LAST_DAY, t.c.status == "finished")
                             .order_by(t.c.id.desc()).limit(n)).scalars())
        c.execute(update(t).where(t.c.id.in_(ids)).values(status="waiting", finished_at=None, outcome=None))
        for facts in (schema.stat_ticket_facts, schema.stat_leg_facts):
            c.execute(delete(facts).where(facts.c.ticket_id.in_(ids)))
    return len(ids)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--in-hall", type=int, default=0, help="the last day's last N finished tickets put back in the hall")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    cache = RESULTS / f"stats_year_{args.days}.db"
    if not cache.exists():
        await generate(cache, args.days)
    print(f"history: {count_tickets(cache)} tickets, {args.days} days to {LAST_DAY} ({cache.relative_to(ROOT)})")
    if args.generate_only:
        return
    work = Path(tempfile.mkdtemp(prefix="hallq-bench-"))
    copy = work / cache.name  # the hub adds its manager account: keep the cache as generated
    shutil.copyfile(cache, copy)
    migrated = open_database(f"sqlite:///{copy}")  # a cache older than the schema, brought up to it
    try:
        await upgrade(migrated)
    finally:
        await migrated.close()
    if args.in_hall:
        print(f"{reopen(copy, args.in_hall)} of {LAST_DAY}'s tickets put back in the hall, waiting after their call")
    backends = [("SQLite", f"sqlite:///{copy}")]
    scratch = None
    try:  # a copy that fails drops its scratch database too
        if not args.no_postgres:
            import asyncpg

            scratch = f"hallq_bench_{uuid.uuid4().hex[:10]}"
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'CREATE DATABASE "{scratch}"')
            await admin.close()
            pg_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{scratch}"
            took = await copy_to_postgres(copy, pg_url)
            print(f"PostgreSQL scratch database {scratch}: rows copied in {took:.0f} s")
            backends.append(("PostgreSQL", pg_url))
        for label, url in backends:
            print(f"{label}: {args.runs} runs each")
            for name, samples in (await time_hub(url, args.runs)).items():
                print(f"  {name:<34} {summary(samples)}   mean {statistics.mean(samples) * 1000:.1f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if scratch is not None:
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
