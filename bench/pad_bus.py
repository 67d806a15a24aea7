"""Pad bus benchmark: key latency and echo latency with 60 pads on a pty; polled scan cycle time.

Run: .venv/bin/python bench/pad_bus.py [--pads 60] [--keys 600]
A pty ignores baud, so the polled part paces the simulator by wire time (bytes x 10 / baud) and
compares the measured cycle with the PROTOCOLS.md figure (N x 20 ms + 80 ms) and pure wire time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from caller.actions import ActionKind, PadAction, PadDisplay, PadKeyEvent
from caller.bus import BusConfig, PadBus
from caller.sim import PadSimulator


def pct(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1] * 1000


async def push_latency(dialect: str, pads: int, keys: int) -> None:
    first = 0x20 if dialect == "qsystem-ub485" else 1
    addresses = list(range(first, first + pads))
    sim = PadSimulator(dialect, addresses)
    path = await sim.start()
    arrived: list[float] = []

    async def on_key(event: PadKeyEvent) -> None:
        arrived.append(time.perf_counter())

    bus = PadBus(BusConfig(url=path, dialect=dialect, windows={a: f"W{a}" for a in addresses}, baudrate=57600), on_key)
    await bus.open()
    for i in range(keys):
        sim.press(addresses[i % pads], PadAction.simple(ActionKind.START))
        while len(arrived) <= i:  # one key at a time: latency, not throughput
            await asyncio.sleep(0)
    key_lat = [a - s for (_, s), a in zip(sim.sent_at, arrived)]
    echo: list[float] = []
    for i in range(keys // 2):
        address = addresses[i % pads]
        before = len(sim.pads[address].displays)
        started = time.perf_counter()
        await bus.show(address, PadDisplay.show(f"A{i % 1000:03d}"))
        while len(sim.pads[address].displays) == before:
            await asyncio.sleep(0)
        echo.append(time.perf_counter() - started)
    await bus.close()
    await sim.close()
    print(
        f"{dialect:14s} {pads} pads: key->callback p50 {pct(key_lat, 50):.2f} ms p99 {pct(key_lat, 99):.2f} ms"
        f" | show->pad has it p50 {pct(echo, 50):.2f} ms p99 {pct(echo, 99):.2f} ms ({keys} keys, {len(echo)} shows)"
    )


async def polled_cycle(pads: int, baud: int, cycles: int) -> None:
    addresses = list(range(1, pads + 1))
    sim = PadSimulator("polled-csv", addresses, baud=baud)
    path = await sim.start()

    async def on_key(event: PadKeyEvent) -> None:
        return None

    config = BusConfig(url=path, dialect="polled-csv", windows={a: f"W{a}" for a in addresses}, baudrate=baud, poll_timeout=0.05, scan_pause=0.08)
    bus = PadBus(config, on_key)
    await bus.open()
    poll_bytes = len(bus.dialect.encode_poll(1))
    reply_bytes = len(bus.dialect.encode_status(1, None, "", True))
    await asyncio.sleep(0.3)
    start_polls, start = bus.counters().polls, time.perf_counter()
    while bus.counters().polls - start_polls < pads * cycles:
        await asyncio.sleep(0.01)
    measured = (time.perf_counter() - start) / cycles
    counters = bus.counters()
    await bus.close()
    await sim.close()
    wire = pads * (poll_bytes + reply_bytes) * 10 / baud + 0.08
    rule = pads * 0.020 + 0.080
    print(
        f"polled-csv {pads} pads @ {baud}: scan cycle {measured * 1000:.0f} ms; wire-time floor "
        f"{wire * 1000:.0f} ms ({poll_bytes}+{reply_bytes} B per pad + 80 ms pause); PROTOCOLS.md N x 20 + 80 = "
        f"{rule * 1000:.0f} ms; poll round trip p50 {counters.round_trip_p50_ms:.2f} ms p99 "
        f"{counters.round_trip_p99_ms:.2f} ms; timeouts {counters.timeouts}"
    )


async def run(pads: int, keys: int) -> None:
    for dialect in ("qsystem-ub485", "hallq"):
        await push_latency(dialect, pads, keys)
    for baud in (9600, 19200):
        await polled_cycle(pads, baud, cycles=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pads", type=int, default=60)
    parser.add_argument("--keys", type=int, default=600)
    opts = parser.parse_args()
    asyncio.run(run(opts.pads, opts.keys))


if __name__ == "__main__":
    main()
