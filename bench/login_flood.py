"""Does a flood of sign-ins stall the hub? /api/v1/health latency, idle and under a login flood.

Runs a real `hallq serve` (from this tree, or from another checkout with --tree, to compare with
an older commit) on loopback with one account, then times GET /api/v1/health one request at a
time: first idle, then while `--flood` clients keep signing in with wrong passwords, each from its
own loopback address (127.0.0.10, .11, ...) and within the per-source limits, so every attempt
costs the hub a password hash. The hall's kiosks, pads and boards are served by the same event
loop: health latency under the flood is what they would feel.

    .venv/bin/python bench/login_flood.py
    git worktree add /tmp/old 2d903ff~1 && .venv/bin/python bench/login_flood.py --tree /tmp/old

Prints p50/p99 of health idle and under the flood, and the flood's sign-ins per second.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hallq(tree: Path, *args: str, stdin: bytes | None = None, wait: bool = True) -> subprocess.Popen[bytes] | None:
    env = {**os.environ, "PYTHONPATH": str(tree), "HALLQ_DB": ""}
    command = [sys.executable, "-m", "server.cli", *args]
    if wait:
        subprocess.run(command, input=stdin, env=env, check=True, capture_output=True, cwd=tree)
        return None
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tree)


async def health_times(base: str, count: int) -> list[float]:
    times = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            start = time.perf_counter()
            async with session.get(f"{base}/api/v1/health") as r:
                await r.read()
            times.append((time.perf_counter() - start) * 1000)
    return times


async def flood(base: str, clients: int, stop: asyncio.Event, done: list[int]) -> None:
    async def one(index: int) -> None:
        source = f"127.0.0.{10 + index}"
        attempts = 0
        connector = aiohttp.TCPConnector(local_addr=(source, 0))
        async with aiohttp.ClientSession(connector=connector) as session:
            while not stop.is_set() and attempts < 15:  # under the per-source limit: each one hashed
                async with session.post(f"{base}/api/v1/auth/login",
                                        json={"username": f"nobody{index}-{attempts}", "password": "wrong-guess"}) as r:
                    await r.read()
                attempts += 1
                done[0] += 1

    await asyncio.gather(*(one(i) for i in range(clients)))


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def measure(base: str, clients: int, samples: int) -> None:
    idle = await health_times(base, samples)
    stop, done = asyncio.Event(), [0]
    started = time.perf_counter()
    flooding = asyncio.create_task(flood(base, clients, stop, done))
    await asyncio.sleep(0.2)
    loaded = await health_times(base, samples)
    stop.set()
    await flooding
    rate = done[0] / (time.perf_counter() - started)
    print(f"health idle     p50 {percentile(idle, 50):7.2f} ms  p99 {percentile(idle, 99):7.2f} ms")
    print(f"health flooded  p50 {percentile(loaded, 50):7.2f} ms  p99 {percentile(loaded, 99):7.2f} ms  "
          f"({clients} clients, {done[0]} sign-ins, {rate:.0f}/s)")
    print(f"ratio flooded/idle  p50 {percentile(loaded, 50) / percentile(idle, 50):.1f}x  "
          f"p99 {percentile(loaded, 99) / percentile(idle, 99):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose hub to run (default: this one)")
    parser.add_argument("--flood", type=int, default=60, help="concurrent sign-in clients")
    parser.add_argument("--samples", type=int, default=200, help="health requests per phase")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="hallq-login-flood-"))
    port = free_port()
    try:
        hallq(args.tree, "user", "add", "bench", "--role", "staff", "--data", str(data), "--password-stdin",
              stdin=b"flood-pass-7\n")
        hub = hallq(args.tree, "serve", "--data", str(data), "--port", str(port), wait=False)
        assert hub is not None
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        try:
            asyncio.run(measure(base, args.flood, args.samples))
        finally:
            hub.terminate()
            hub.wait(timeout=30)
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
