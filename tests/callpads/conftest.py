"""Fixtures: a pad simulator on a real pty and a bus driver opened on its path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from caller.actions import PadKeyEvent
from caller.bus import BusConfig, PadBus
from caller.sim import PadSimulator


@dataclass
class Received:
    """Collects PadKeyEvents the way the hub's callback would receive them."""

    events: list[PadKeyEvent] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, event: PadKeyEvent) -> None:
        self.events.append(event)
        self.arrived.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[PadKeyEvent]:
        async def enough() -> None:
            while len(self.events) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)
        return self.events


ADDRESSES = {"qsystem-ub485": [0x21, 0x22, 0x23], "polled-csv": [1, 2, 3], "hallq": [1, 2, 3]}


def windows_for(addresses: list[int]) -> dict[int, str]:
    return {a: f"W{i + 1:02d}" for i, a in enumerate(addresses)}


@dataclass
class Rig:
    sim: PadSimulator
    bus: PadBus
    received: Received
    addresses: list[int]


@pytest.fixture
async def rig_factory() -> AsyncIterator[Callable[..., object]]:
    made: list[Rig] = []

    async def make(dialect: str, *, sim_kept: int | None = None, **config: object) -> Rig:
        addresses = ADDRESSES[dialect]
        sim = PadSimulator(dialect, addresses, kept=sim_kept)
        path = await sim.start()
        received = Received()
        bus = PadBus(BusConfig(url=path, dialect=dialect, windows=windows_for(addresses), **config), received)  # type: ignore[arg-type]
        await bus.open()
        rig = Rig(sim, bus, received, addresses)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        await rig.bus.close()
        await rig.sim.close()
