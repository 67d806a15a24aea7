"""A hub with real simulated devices on real ptys: pad buses of every dialect and a screen bus.

Everything the hub drives here goes through pyserial on pseudo-terminals (caller.sim,
display.led.sim), the same simulators a technician uses; nothing of our own is mocked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from caller.sim import PadSimulator
from display.led.dialects import make_codec
from display.led.sim import ScreenSimulator
from server.config.models import HallConfig
from server.devices.api import ROUTES
from server.devices.extension import device_extension
from server.devices.hub import ReconnectPolicy
from server.devices.config import device_config_from_mapping
from server.api.routing import add_routes
from server.engine.views import IssueRequest
from tests.conftest import Hub, sample_hall_serving, start_hub

FAST = ReconnectPolicy(initial_s=0.02, maximum_s=0.1)
#: dialect -> (pad addresses, the windows they serve); all zone A windows W01..W10
PAD_BUSES = {
    "hallq": ([1, 2, 3], ["W01", "W02", "BO-B"]),  # BO-B: a back office's pad
    "polled-csv": ([1, 2], ["W03", "W04"]),
    "qsystem-ub485": ([0x21, 0x22], ["W05", "W06"]),
}
#: the sample hall's numbers have 5 characters ("A1001"); UB485 pads default to 4
QSYSTEM_EXTRA = {"params": {"width": 5}, "transfer_presets": {"0x21": {"kind": "queue", "target": "A2"},
                                                              "0x22": {"kind": "window", "target": "W07"}}}
SCREEN_WINDOWS = {1: "W01", 2: "W02", 3: "W19"}  # W19 is zone C
ZONE_A = {"zone": "A", "first_address": 20, "rows": 3, "columns": 32}
ZONE_C = {"zone": "C", "first_address": 30, "rows": 2, "columns": 32}


async def eventually(check: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until check() holds; a test waits for an outcome, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition never held: {check}")
        await asyncio.sleep(0.01)


@dataclass
class Rig:
    hub: Hub
    pads: dict[str, PadSimulator]
    screens: ScreenSimulator

    async def issue(self, queue: str = "A1") -> str:
        return (await self.hub.engine.issue(IssueRequest(queue=queue))).ticket.number

    def shown(self, address: int) -> str:
        state = self.screens.screens.get(address)
        return state.text if state else ""


def routes(app) -> None:  # type: ignore[no-untyped-def]
    add_routes(app, ROUTES)


@pytest.fixture
def rig_hall(request: pytest.FixtureRequest) -> HallConfig:
    """The sample hall; parametrized indirectly with {window: queue}, those windows serve those
    queues too (a window serving another zone's queue)."""
    return sample_hall_serving(getattr(request, "param", {}))


@pytest.fixture
async def rig(aiohttp_client, tmp_path: Path, clock, rig_hall: HallConfig) -> AsyncIterator[Rig]:
    pads = {name: PadSimulator(name, addresses) for name, (addresses, _) in PAD_BUSES.items()}
    for sim in pads.values():
        await sim.start()
    screens = ScreenSimulator(make_codec("pingan"))
    screens.open()
    hall = rig_hall
    raw = {
        "pad_buses": [
            {
                "name": f"pads-{name}", "url": pads[name].path, "dialect": name, "zone": "A",
                "pads": {str(a): w for a, w in zip(addresses, windows)},
                **(QSYSTEM_EXTRA if name == "qsystem-ub485" else {}),
            }
            for name, (addresses, windows) in PAD_BUSES.items()
        ],
        "screen_buses": [
            {
                "name": "screens", "url": screens.slave_path, "dialect": "pingan",
                "screens": {"windows": {str(a): w for a, w in SCREEN_WINDOWS.items()}, "zones": [ZONE_A, ZONE_C]},
            }
        ],
    }
    devices = device_config_from_mapping(raw, hall)
    hub = await start_hub(
        aiohttp_client, tmp_path / "data", clock, config=hall, extensions=[device_extension(devices, FAST), routes]
    )
    try:
        yield Rig(hub, pads, screens)
    finally:
        await hub.client.close()  # stops the device hub while the simulators still run
        for sim in pads.values():
            await sim.close()
        screens.close()
