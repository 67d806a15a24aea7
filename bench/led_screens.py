"""LED screen figures: encode cost and bytes per dialect, frames/s and show()->decoded on a pty.

Run: .venv/bin/python bench/led_screens.py   (prints a table; figures go to docs/benchmarks.md)
Pacing is set to 0 and the baud to 10 M for the pty run so it measures our code and the pty, not the dialect's
gap (which alone limits a real bus: e.g. candle at 200 ms is 5 frames/s).
"""

from __future__ import annotations

import asyncio
import statistics
import time

from display.led.bus import ScreenBus
from display.led.dialects import DIALECTS, make_codec
from display.led.model import ScreenKind, ScreenText
from display.led.sim import ScreenSimulator
from display.led.templates import CallInfo, ZoneBoard, ZoneLayout, window_called

ENCODES = 2000
SHOWS = 300


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def encode_figures(name: str) -> tuple[float, float, int, int]:
    codec = make_codec(name)
    address = codec.address_range.start + 1
    text = window_called(CallInfo("A001", "3"))
    times = []
    for _ in range(ENCODES):
        start = time.perf_counter()
        codec.encode(address, text)
        times.append(time.perf_counter() - start)
    window_bytes = sum(len(f) for f in codec.encode(address, text))
    board = ZoneBoard(ZoneLayout(first_address=address, rows=5, columns=32))
    for n in range(5):
        screens = board.push(CallInfo(f"A{n:03d}", str(n + 1)))
    zone_bytes = sum(len(f) for a, t in screens.items() for f in codec.encode(a, t, ScreenKind.ZONE))
    return statistics.median(times) * 1e6, _pct(times, 0.99) * 1e6, window_bytes, zone_bytes


async def pty_figures(name: str) -> tuple[float, float, float]:
    codec = make_codec(name, {"min_interval_s": 0.0})
    simulator = ScreenSimulator(make_codec(name))
    bus = ScreenBus(codec, baud=10_000_000)  # no wire time: measure our code and the pty
    await bus.open(simulator.open())
    address = codec.address_range.start + 1
    latencies = []
    start_all = time.perf_counter()
    for n in range(SHOWS):
        before = len(simulator.records)
        start = time.perf_counter()
        await bus.show(address, ScreenText([f"A{n:03d} 请到3号窗口"]))
        await simulator.wait_for(lambda s: len(s.records) > before)
        latencies.append(time.perf_counter() - start)
    elapsed = time.perf_counter() - start_all
    await bus.close()
    simulator.close()
    return SHOWS / elapsed, statistics.median(latencies) * 1e3, _pct(latencies, 0.99) * 1e3


async def main() -> None:
    print(f"{'dialect':8} {'encode p50 us':>13} {'p99 us':>7} {'window B':>8} {'zone 5x32 B':>11} "
          f"{'frames/s':>8} {'show->decoded p50 ms':>20} {'p99 ms':>7} {'wire-limited frames/s':>21}")
    for name in DIALECTS:
        enc50, enc99, window_bytes, zone_bytes = encode_figures(name)
        rate, lat50, lat99 = await pty_figures(name)
        codec = make_codec(name)
        frame = codec.encode(codec.address_range.start + 1, window_called(CallInfo("A001", "3")))[-1]
        wire_rate = 1 / codec.gap_after(frame)
        print(f"{name:8} {enc50:13.1f} {enc99:7.1f} {window_bytes:8d} {zone_bytes:11d} "
              f"{rate:8.0f} {lat50:20.3f} {lat99:7.3f} {wire_rate:21.1f}")


if __name__ == "__main__":
    asyncio.run(main())
