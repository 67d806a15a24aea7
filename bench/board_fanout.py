"""Board latency and fan-out: API call -> board model updated and frame rendered; 100 boards.

    .venv/bin/python bench/board_fanout.py [--calls 300] [--speedup 20] [--boards 100]

Runs the hub in this process on loopback (an always-open copy of the sample hall, SQLite in a
temporary folder) with all 60 windows staffed, and calls at the peak hour's rate from
traffic_profile.toml (615.6 calls/h), compressed by --speedup so a run takes a minute, not an
hour. Part 1: one whole-hall pygame board (dummy video driver, 1920x1080) on a real EventStream;
latency = from just before POST call-next to the end of the frame that shows the call. Part 2:
--boards EventStream clients; latency until every one of them has the call. The hub helpers
here are also used by bench/voice_latency.py.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.accounts import Role  # noqa: E402
from server.api.keys import ACCOUNTS, CONFIG, ENGINE  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config.paths import default_config_dir  # noqa: E402
from server.config.variants import write_always_open_copy  # noqa: E402
from server.engine.views import IssueRequest  # noqa: E402
from server.settings import HubSettings  # noqa: E402
from server.web import setup_static  # noqa: E402

PASSWORD = "bench-pass-1234"
PEAK_CALLS_PER_HOUR = 2400 * 1.35 * 0.19
"""traffic_profile.toml: 2,400 tickets a day x 1.35 (Monday) x 19 % in the 09 hour = 615.6 calls/h."""


@dataclass
class BenchHub:
    app: web.Application
    url: str
    session: aiohttp.ClientSession
    staff: dict[str, str]  # window id -> staff token
    windows: list[str]
    busy: set[str] = field(default_factory=set)

    async def post(self, path: str, token: str, body: dict | None = None) -> dict:
        async with self.session.post(self.url + "/api/v1" + path, json=body or {}, headers={"Authorization": f"Bearer {token}"}) as r:
            data = await r.json()
            if r.status >= 300:
                raise RuntimeError(f"{path}: {data}")
            return data

    async def device(self, name: str, zone: str | None) -> str:
        return await self.app[ACCOUNTS].add_device(name, Role.DISPLAY, zone, now=self.app[ENGINE].clock.now())

    async def waiting_ticket(self, window: str) -> None:
        """Put one ticket in a queue the window serves (directly in the engine: not measured)."""
        queue = next(iter(self.app[CONFIG].window(window).queues))
        await self.app[ENGINE].issue(IssueRequest(queue=queue))

    async def call(self, window: str) -> str:
        """Call-next through the API (the window must be free: see ``finish``); the number called."""
        data = await self.post(f"/windows/{window}/call-next", self.staff[window])
        self.busy.add(window)
        return data["ticket"]["number"]

    async def finish(self, window: str) -> None:
        """Finish the window's current ticket, if it has one (not measured)."""
        if window in self.busy:
            await self.post(f"/windows/{window}/finish", self.staff[window], {})
            self.busy.discard(window)


@asynccontextmanager
async def bench_hub(extensions: list | None = None) -> AsyncIterator[BenchHub]:
    with tempfile.TemporaryDirectory(prefix="hallq-bench-") as tmp:
        config_dir = write_always_open_copy(default_config_dir(), Path(tmp) / "config")
        settings = HubSettings(config_dir=config_dir, data_dir=Path(tmp) / "data")
        app = create_app(settings, extensions=[setup_static, *(extensions or [])])
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}"
        accounts, engine = app[ACCOUNTS], app[ENGINE]
        windows = [w.id for w in app[CONFIG].windows if w.kind == "window"]
        async with aiohttp.ClientSession() as session:
            hub = BenchHub(app, url, session, {}, windows)
            for index, window in enumerate(windows):
                name = f"bench{index:02d}"
                await accounts.add_user(name, PASSWORD, Role.STAFF, f"员工{index}", now=engine.clock.now())
                async with session.post(url + "/api/v1/auth/login", json={"username": name, "password": PASSWORD}) as r:
                    hub.staff[window] = (await r.json())["token"]
                await hub.post(f"/windows/{window}/login", hub.staff[window])
            try:
                yield hub
            finally:
                await session.close()
        await runner.cleanup()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(name: str, values_s: list[float]) -> str:
    ms = [v * 1000 for v in values_s]
    return (f"{name}: n={len(ms)} p50={percentile(ms, 50):.1f} ms p90={percentile(ms, 90):.1f} ms "
            f"p99={percentile(ms, 99):.1f} ms max={max(ms):.1f} ms")


async def board_latency(hub: BenchHub, calls: int, interval_s: float) -> list[float]:
    import pygame

    from display.board.app import BoardApp, BoardOptions

    pygame.init()
    token = await hub.device("bench-board", None)
    app = BoardApp(BoardOptions(hub.url, token, None, (1920, 1080), fullscreen=False), pygame.Surface((1920, 1080)))
    await app.start()
    assert app.stream is not None
    sent: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    async def follow() -> None:
        async for event in app.stream:  # type: ignore[union-attr]
            app.handle(event)
            if event.kind == "ticket.called" and event.number in sent:
                app.render()  # the frame that shows it
                latencies.append(time.perf_counter() - sent.pop(event.number))
                if len(latencies) == calls:
                    done.set()

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.3)
    rng = random.Random(7)
    for index in range(calls):
        window = hub.windows[index % len(hub.windows)]
        await hub.waiting_ticket(window)
        await hub.finish(window)
        start = time.perf_counter()
        number = await hub.call(window)
        sent.setdefault(number, start)
        await asyncio.sleep(rng.expovariate(1 / interval_s))
    await asyncio.wait_for(done.wait(), 30)
    await app.close()
    follower.cancel()
    return latencies


async def fanout_latency(hub: BenchHub, boards: int, calls: int, interval_s: float) -> tuple[list[float], list[float]]:
    from server.hub_client import EventStream

    token = await hub.device("bench-fanout", None)
    streams = [EventStream(hub.url, token) for _ in range(boards)]
    seen: dict[str, list[float]] = {}

    async def follow(stream: EventStream) -> None:
        async for event in stream:
            if event.kind == "ticket.called" and event.number:
                seen.setdefault(event.number, []).append(time.perf_counter())

    tasks = [asyncio.create_task(follow(s)) for s in streams]
    while sum(1 for s in streams if s.state.value == "online") < boards:
        await asyncio.sleep(0.05)
    sent: dict[str, float] = {}
    rng = random.Random(11)
    for index in range(calls):
        window = hub.windows[index % len(hub.windows)]
        await hub.waiting_ticket(window)
        await hub.finish(window)
        start = time.perf_counter()
        sent[await hub.call(window)] = start
        await asyncio.sleep(rng.expovariate(1 / interval_s))
    deadline = time.perf_counter() + 30
    while any(len(seen.get(n, ())) < boards for n in sent) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    all_boards = [max(seen[n]) - t for n, t in sent.items() if len(seen.get(n, ())) == boards]
    each = [at - t for n, t in sent.items() for at in seen.get(n, ())]
    missing = sum(1 for n in sent if len(seen.get(n, ())) < boards)
    for stream in streams:
        await stream.close()
    for task in tasks:
        task.cancel()
    if missing:
        print(f"WARNING: {missing} calls did not reach all {boards} boards")
    return all_boards, each


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--speedup", type=float, default=20.0, help="compress the peak hour's call rate this much")
    parser.add_argument("--boards", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    interval = 3600 / PEAK_CALLS_PER_HOUR / args.speedup
    print(f"peak rate {PEAK_CALLS_PER_HOUR:.1f} calls/h x{args.speedup:g} = one call every {interval * 1000:.0f} ms "
          f"on average (Poisson), {args.calls} calls over 60 windows")
    async with bench_hub() as hub:
        print(summary("call -> board model updated + 1920x1080 frame rendered", await board_latency(hub, args.calls, interval)))
        all_boards, each = await fanout_latency(hub, args.boards, args.calls, interval)
        print(summary(f"call -> all {args.boards} boards have the event", all_boards))
        print(summary(f"call -> one board has the event ({args.boards} connected)", each))


if __name__ == "__main__":
    asyncio.run(main())
