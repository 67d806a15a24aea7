"""What an fdatasync costs on this machine's disk, below SQLite: appending to a file against
rewriting blocks the file already has, by pages written.

Why: the hub's every acknowledged action ends in one fdatasync of the WAL (synchronous=FULL).
An fdatasync that must also record a file's new size costs more on ext4 than one that rewrites
blocks in place, which is why the hub recycles its WAL (docs/benchmarks.md, seventh session);
this shows how much, and what each further page adds.

    .venv/bin/python bench/fdatasync_cost.py                  # in a temp folder on the repo's disk
    .venv/bin/python bench/fdatasync_cost.py --dir /var/lib/hallq --writes 5000
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = 4096


def sync_times(path: Path, pages: int, writes: int, rewrite: bool) -> list[float]:
    """Seconds of each write + fdatasync of `pages` pages: into a file already that long
    (`rewrite`), or growing it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if rewrite:
            os.write(fd, b"\0" * PAGE * pages * writes)
            os.fsync(fd)
            os.lseek(fd, 0, os.SEEK_SET)
        block = b"x" * PAGE * pages
        times = []
        for _ in range(writes):
            start = time.perf_counter()
            os.write(fd, block)
            os.fdatasync(fd)
            times.append(time.perf_counter() - start)
        return times
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=ROOT, help="a folder on the disk to measure")
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "sync.bin"
        for pages in (1, 3, 12):
            for rewrite in (False, True):
                times = sync_times(path, pages, args.writes, rewrite)
                print(f"{pages:2d} page(s), {'rewrite' if rewrite else 'append '}: p50 {pct(times, 50) * 1e3:.3f} ms, "
                      f"p90 {pct(times, 90) * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
