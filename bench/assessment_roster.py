"""What the duty roster adds to the monthly assessment, on a year of simulated history (SQLite).

    .venv/bin/python bench/assessment_roster.py [--runs 30] [--db bench/results/stats_year_365.db]

Reads the history bench/stats_report.py caches (run that first; this script only reads it) and
times `assess_month` for October 2026 on one connection, interleaving three rosters so machine
noise hits them alike: none, the sample roster (config/roster.example.toml, 4 people) and a roster of
every counter window's simulated staff (sim-w01 ... , everyone the history logged in). Prints
p50 / p90 in milliseconds and each roster's p50 over the no-roster p50.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402

from server.config.loader import load_hall_config  # noqa: E402
from server.config.paths import default_config_dir  # noqa: E402
from server.stats.assessment import assess_month  # noqa: E402
from server.stats.assessment_rules import load_rules  # noqa: E402
from server.stats.roster import Roster, RosterStaff, parse_roster  # noqa: E402

MONTH = "2026-10"
LAST_DAY = date(2026, 10, 31)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--db", default=str(ROOT / "bench" / "results" / "stats_year_365.db"))
    args = parser.parse_args()
    if not Path(args.db).exists():
        sys.exit(f"{args.db} is missing: run bench/stats_report.py --generate-only first")
    config = load_hall_config(default_config_dir())
    rules = load_rules(default_config_dir())
    everyone = Roster(tuple(RosterStaff(id=f"sim-{w.id.lower()}") for w in config.windows if w.kind == "window"))
    rosters = {"no roster": Roster(), "sample roster (4)": parse_roster((default_config_dir() / "roster.example.toml").read_text(encoding="utf-8")),
               f"every window ({len(everyone.staff)})": everyone}
    engine = create_engine(f"sqlite:///file:{args.db}?mode=ro&uri=true")
    times: dict[str, list[float]] = {name: [] for name in rosters}
    with engine.connect() as conn:
        for name, roster in rosters.items():  # first calls: warm the page cache, not timed
            people, _ = assess_month(conn, config, rules, MONTH, roster, LAST_DAY)
            print(f"{name}: {len(people)} people ranked")
        for _ in range(args.runs):
            for name, roster in rosters.items():
                started = time.perf_counter()
                assess_month(conn, config, rules, MONTH, roster, LAST_DAY)
                times[name].append((time.perf_counter() - started) * 1000)
    base = statistics.median(times["no roster"])
    print(f"assess_month {MONTH}, {args.runs} runs each, SQLite read-only ({Path(args.db).name})")
    for name, ms in times.items():
        p90 = statistics.quantiles(ms, n=10)[-1]
        print(f"{name:24} p50 {statistics.median(ms):7.1f} ms  p90 {p90:7.1f} ms  x{statistics.median(ms) / base:.2f}")


if __name__ == "__main__":
    main()
