"""Hub pad benchmark: key frame written -> ticket.called on the event stream, and -> echo at the pad.

Run: .venv/bin/python bench/hub_pads.py [--pads 60] [--buses 4] [--rounds 5]
The whole hub runs (aiohttp app, SQLite, engine, device services); 60 hallq pads on pty
simulators, one per window W01..W60 of the sample hall, spread over several buses. Each round
every pad presses "call" at once (the worst burst a hall sees at opening time), then one round
presses one pad at a time (the latency a single staff member feels). Measured per key: the time
from the simulator writing the frame to (a) the ticket.called event on a WebSocket subscriber,
(b) the SHOW frame with that number decoded by the simulated pad.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.test_utils import TestServer

from caller.actions import ActionKind, DisplayKind, PadAction
from caller.sim import PadSimulator
from server.accounts import Role
from server.api.keys import ACCOUNTS, ENGINE
from server.app import create_app
from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.devices.extension import device_extension
from server.devices.hub import ReconnectPolicy
from server.devices.config import device_config_from_mapping
from server.engine.clock import ManualClock
from server.engine.views import IssueRequest
from server.settings import HubSettings

OPEN_HALL = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()  # a Thursday


def pct(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1] * 1000


async def start_bench_hub(data_dir: Path, extensions: list) -> tuple[TestServer, object]:  # type: ignore[type-arg]
    """The sample hall's hub on a loopback port with a manual clock at 09:00 on a weekday."""
    hall = load_hall_config(default_config_dir())
    settings = HubSettings(config_dir=default_config_dir(), data_dir=data_dir)
    app = create_app(settings, clock=ManualClock(OPEN_HALL), config=hall, extensions=extensions)
    server = TestServer(app)
    await server.start_server()
    return server, app


async def staff_windows(app, windows: list[str]) -> None:  # type: ignore[no-untyped-def]
    """One staff account per window, logged in there (straight through the engine)."""
    for index, window_id in enumerate(windows):
        await app[ACCOUNTS].add_user(f"bench{index:02d}", "bench-pass", Role.STAFF, f"员工{index:02d}", now=OPEN_HALL)
        await app[ENGINE].login(window_id, f"bench{index:02d}")


async def main(pads: int, buses: int, rounds: int) -> None:
    hall = load_hall_config(default_config_dir())
    windows = [w for w in hall.windows if w.kind == "window"][:pads]
    per_bus = -(-pads // buses)
    sims = [PadSimulator("hallq", range(1, 1 + len(windows[b * per_bus:(b + 1) * per_bus]))) for b in range(buses)]
    raw = {"pad_buses": []}
    where: dict[str, tuple[PadSimulator, int]] = {}
    for b, sim in enumerate(sims):
        await sim.start()
        chunk = windows[b * per_bus:(b + 1) * per_bus]
        raw["pad_buses"].append({"name": f"pads-{b}", "url": sim.path, "dialect": "hallq", "baud": 19200,
                                 "pads": {str(i + 1): w.id for i, w in enumerate(chunk)}})
        where.update({w.id: (sim, i + 1) for i, w in enumerate(chunk)})
    devices = device_config_from_mapping(raw, hall)
    echoed: dict[tuple[int, int, str], float] = {}
    for sim in sims:
        sim.on_display = lambda address, d, sim=sim: (
            echoed.setdefault((id(sim), address, d.number), time.perf_counter()) if d.kind is DisplayKind.SHOW else None
        )
    with tempfile.TemporaryDirectory() as tmp:
        server, app = await start_bench_hub(Path(tmp), [device_extension(devices, ReconnectPolicy(0.05, 1.0))])
        engine = app[ENGINE]
        await staff_windows(app, [w.id for w in windows])
        token = await app[ACCOUNTS].add_device("bench-board", Role.DISPLAY, now=OPEN_HALL)
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(server.make_url(f"/api/v1/events?since={await engine.last_seq()}&token={token}"))
        called: dict[str, float] = {}

        async def read_stream() -> None:
            async for message in ws:
                data = message.json()
                if data.get("kind") == "ticket.called":
                    called[data["number"]] = time.perf_counter()

        reader = asyncio.create_task(read_stream())
        await asyncio.sleep(0.5)  # buses online, pads told their state
        to_event: list[float] = []
        to_echo: list[float] = []

        async def one_round(burst: bool) -> None:
            numbers = {}
            for w in windows:
                queue = next(iter(w.queues))
                numbers[w.id] = (await engine.issue(IssueRequest(queue=queue))).ticket.number
            pressed: dict[str, float] = {}
            for w in windows:
                sim, address = where[w.id]
                sim.press(address, PadAction.simple(ActionKind.CALL_NEXT))
                pressed[w.id] = sim.sent_at[-1][1]
                if not burst:
                    await wait_for(lambda: echoed_for(w.id), 10)
            await wait_for(lambda: all(echoed_for(w.id) for w in windows), 30)
            for w in windows:
                view = await engine.window(w.id)
                number = view.current_ticket.number
                sim, address = where[w.id]
                to_event.append(called[number] - pressed[w.id])
                to_echo.append(echoed[(id(sim), address, number)] - pressed[w.id])
                await engine.finish(w.id)

        def echoed_for(window_id: str) -> bool:
            sim, address = where[window_id]
            shown = [d for d in sim.pads[address].displays if d.kind is DisplayKind.SHOW]
            return bool(shown) and shown[-1].number not in ("", "----") and (id(sim), address, shown[-1].number) in echoed

        results = []
        for burst in [True] * rounds + [False]:
            to_event.clear(), to_echo.clear()
            await one_round(burst)
            await asyncio.sleep(0.3)
            results.append((burst, list(to_event), list(to_echo)))
        reader.cancel()
        await ws.close()
        await session.close()
        await server.close()
    for sim in sims:
        await sim.close()
    burst_event = [x for b, e, _ in results if b for x in e]
    burst_echo = [x for b, _, c in results if b for x in c]
    _, one_event, one_echo = results[-1]
    print(f"{pads} hallq pads on {buses} buses, whole hub (SQLite), {rounds} burst rounds + 1 one-at-a-time round")
    print(f"burst (all {pads} press call at once), {len(burst_event)} keys:")
    print(f"  key -> ticket.called on the stream  p50 {pct(burst_event, 50):7.1f} ms  p99 {pct(burst_event, 99):7.1f} ms")
    print(f"  key -> echo frame at the pad        p50 {pct(burst_echo, 50):7.1f} ms  p99 {pct(burst_echo, 99):7.1f} ms")
    print(f"one at a time, {len(one_event)} keys:")
    print(f"  key -> ticket.called on the stream  p50 {pct(one_event, 50):7.1f} ms  p99 {pct(one_event, 99):7.1f} ms")
    print(f"  key -> echo frame at the pad        p50 {pct(one_echo, 50):7.1f} ms  p99 {pct(one_echo, 99):7.1f} ms")


async def wait_for(check, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition never held")
        await asyncio.sleep(0.001)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pads", type=int, default=60)
    parser.add_argument("--buses", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    asyncio.run(main(opts.pads, opts.buses, opts.rounds))
