"""What one durable commit costs on this machine's disk, by pages written: the floor under every
write the hub acknowledges.

A bare sqlite3 loop in the hub's mode (WAL, synchronous=FULL, checkpoints outside the commits):
each transaction inserts one row into each of N tables, so it writes N pages, as a ticket's
issue writes about twelve (its row, its indexes, its counters, its event). Prints p50 and p90 per
page count, and the same with synchronous=NORMAL (no sync in the commit) for comparison.

    .venv/bin/python bench/sqlite_commit.py                 # in a temp folder on the repo's disk
    .venv/bin/python bench/sqlite_commit.py --dir /var/lib/hallq --commits 5000

docs/benchmarks.md keeps the figures.
"""
from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commit_times(path: Path, pages: int, commits: int, synchronous: str) -> list[float]:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the hub checkpoints from a thread, not in commits
        for table in range(pages):
            conn.execute(f"CREATE TABLE t{table} (id INTEGER PRIMARY KEY, body TEXT)")
        times = []
        for n in range(commits):
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            for table in range(pages):
                conn.execute(f"INSERT INTO t{table} (body) VALUES (?)", ("x" * 100,))
            conn.execute("COMMIT")
            times.append(time.perf_counter() - start)
            if n % 200 == 199:  # as the hub's checkpoint loop does, so the WAL is recycled
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return sorted(times)
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="folder on the disk to measure (default: a temp folder in the repository)")
    parser.add_argument("--commits", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir or ROOT) as folder:
        path = Path(folder) / "commit.db"
        for synchronous in ("FULL", "NORMAL"):
            for pages in (1, 4, 8, 12, 16):
                times = commit_times(path, pages, args.commits, synchronous)
                p50, p90 = times[len(times) // 2], times[int(len(times) * 0.9)]
                print(f"synchronous={synchronous} {pages:2d} pages: p50 {p50 * 1e3:.3f} ms, p90 {p90 * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
