"""Hub screen benchmark: a call -> its frame decoded at the window screen and at the zone screen.

Run: .venv/bin/python bench/hub_screens.py [--minutes 2] [--speedup 10] [--dialect pingan]
The whole hub runs with the sample hall's 60 windows, each with a window screen, and one zone
screen (5 rows x 32 columns) per zone; one screen bus per zone, each a ScreenSimulator on a pty.
Calls arrive as a Poisson process at the peak hour's rate from config/traffic_profile.toml
(tickets_per_day x peak_day_factor x the busiest hour's share), multiplied by --speedup to
squeeze a busy hour into a short run. Measured: engine.call_next returned -> the simulator
decoded the window screen's frame (and the zone screen's top row) showing that number. The
bus paces frames by wire time + the dialect's gap, so this includes real queueing on the line.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import tomllib
from pathlib import Path

from display.led.dialects import make_codec
from display.led.sim import ScreenSimulator
from hub_pads import pct, start_bench_hub, staff_windows
from server.api.keys import ENGINE
from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.devices.extension import device_extension
from server.devices.hub import ReconnectPolicy
from server.devices.config import device_config_from_mapping
from server.engine.views import IssueRequest


def peak_calls_per_hour() -> float:
    profile = tomllib.loads((default_config_dir() / "traffic_profile.toml").read_text(encoding="utf-8"))
    hall = profile["hall"]
    return hall["tickets_per_day"] * hall["peak_day_factor"] * max(profile["hourly_arrival_share"].values())


async def main(minutes: float, speedup: float, dialect: str) -> None:
    hall = load_hall_config(default_config_dir())
    windows = [w for w in hall.windows if w.kind == "window"]
    sims: dict[str, ScreenSimulator] = {}
    screen_of: dict[str, tuple[ScreenSimulator, int]] = {}
    raw: dict = {"screen_buses": []}
    for zone in sorted({w.zone for w in windows}):
        sim = ScreenSimulator(make_codec(dialect))
        sims[zone] = sim
        mine = [w for w in windows if w.zone == zone]
        raw["screen_buses"].append({
            "name": f"screens-{zone}", "url": sim.open(), "dialect": dialect,
            "screens": {"windows": {str(i + 1): w.id for i, w in enumerate(mine)},
                        "zones": [{"zone": zone, "first_address": 100, "rows": 5, "columns": 32}]},
        })
        screen_of.update({w.id: (sim, i + 1) for i, w in enumerate(mine)})
    devices = device_config_from_mapping(raw, hall)
    rate = peak_calls_per_hour() * speedup / 3600
    with tempfile.TemporaryDirectory() as tmp:
        server, app = await start_bench_hub(Path(tmp), [device_extension(devices, ReconnectPolicy(0.05, 1.0))])
        engine = app[ENGINE]
        await staff_windows(app, [w.id for w in windows])
        await asyncio.sleep(1.0)  # buses online, start-up state written
        rng = random.Random(7)
        window_lat: list[float] = []
        zone_lat: list[float] = []
        pending: list[asyncio.Task[None]] = []

        locks = {w.id: asyncio.Lock() for w in windows}

        async def call_at(window_id: str) -> None:
            async with locks[window_id]:  # one staff member per window: calls there are sequential
                await measured_call(window_id)

        async def measured_call(window_id: str) -> None:
            view = await engine.window(window_id)
            if view.current_ticket is not None:
                await engine.finish(window_id)
            await engine.issue(IssueRequest(queue=next(iter(view.queues))))
            ticket = await engine.call_next(window_id)
            if ticket is None:
                return
            called = time.monotonic()
            sim, address = screen_of[window_id]
            want = f"{ticket.number} 请到{view.number}号窗口"
            zone_text = f"请{ticket.number}号到{view.number}号窗口办理"
            seen_window = seen_zone = None
            deadline = called + 30
            while (seen_window is None or seen_zone is None) and time.monotonic() < deadline:
                for at, frame in sim.decoded()[-200:]:
                    if at >= called and frame.address == address and frame.text == want and seen_window is None:
                        seen_window = at
                    if at >= called and frame.address == 100 and frame.text == zone_text and seen_zone is None:
                        seen_zone = at
                await asyncio.sleep(0.002)
            if seen_window is not None:
                window_lat.append(seen_window - called)
            if seen_zone is not None:
                zone_lat.append(seen_zone - called)

        end = time.monotonic() + minutes * 60
        calls = 0
        while time.monotonic() < end:
            await asyncio.sleep(rng.expovariate(rate))
            pending.append(asyncio.create_task(call_at(rng.choice(windows).id)))
            calls += 1
        await asyncio.gather(*pending)
        await server.close()
    for sim in sims.values():
        sim.close()
    print(f"{len(windows)} windows, {len(sims)} {dialect} screen buses (window screens + 5-row zone screen each)")
    print(f"peak hour {peak_calls_per_hour():.0f} calls/h x speedup {speedup:g} = {rate * 60:.1f} calls/min, "
          f"{calls} calls in {minutes:g} min")
    print(f"  call -> window screen frame  p50 {pct(window_lat, 50):7.1f} ms  p99 {pct(window_lat, 99):7.1f} ms  (n={len(window_lat)})")
    print(f"  call -> zone screen top row  p50 {pct(zone_lat, 50):7.1f} ms  p99 {pct(zone_lat, 99):7.1f} ms  (n={len(zone_lat)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="wall-clock minutes to run")
    parser.add_argument("--speedup", type=float, default=10.0, help="multiply the peak call rate")
    parser.add_argument("--dialect", default="pingan")
    opts = parser.parse_args()
    asyncio.run(main(opts.minutes, opts.speedup, opts.dialect))
