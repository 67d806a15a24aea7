"""What rebuilding today's window figures costs: `FactBuilder.ready_for` does it for every window
at most once a minute when a report or the dashboard reads a period holding today, on the hub's
single writer (calls wait behind it).

Simulates one busy day of the sample hall (`hallq simulate`, the traffic profile at `--volume`),
catches the facts up, then times `rebuild_window_days` for that whole day `--rounds` times.

    .venv/bin/python bench/today_rebuild.py                  # volume 1: ~2,000 tickets, 63 windows
    .venv/bin/python bench/today_rebuild.py --volume 2 --rounds 30

docs/benchmarks.md keeps the figures.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.engine.clock import SystemClock
from server.simulation.history import simulate_main
from server.stats.facts import FactBuilder, rebuild_window_days
from server.storage.db import open_database

DAY = date(2026, 11, 26)  # a Thursday


async def rebuild_times(url: str, rounds: int) -> tuple[int, list[float]]:
    config = load_hall_config(default_config_dir())
    database = open_database(url)
    try:
        await FactBuilder(database, config, SystemClock()).catch_up_all()
        now = time.time()
        times, rows = [], 0
        for _ in range(rounds):
            start = time.perf_counter()
            rows = await database.write_apart(lambda c: rebuild_window_days(c, config, DAY, None, now), long=True)
            times.append(time.perf_counter() - start)
        return rows, times
    finally:
        await database.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volume", type=float, default=1.0, help="share of the traffic profile's day")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hallq-rebuild-") as folder:
        url = f"sqlite:///{Path(folder) / 'hall.db'}"
        simulate_main(["--days", "1", "--start", DAY.isoformat(), "--volume", str(args.volume), "--seed", "3", "--db", url])
        rows, times = asyncio.run(rebuild_times(url, args.rounds))
    ordered = sorted(times)
    print(f"today's rebuild: {rows} window-day rows; p50 {statistics.median(ordered) * 1000:.1f} ms, "
          f"p90 {ordered[int(0.9 * (len(ordered) - 1))] * 1000:.1f} ms over {args.rounds} rounds", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
