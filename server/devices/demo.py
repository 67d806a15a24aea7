"""Simulators for every bus of a device map (config/devices-demo.toml), for the demo.

Why: the demo and a technician without hardware use the same simulators as the tests
(ARCHITECTURE.md example 14). Each bus's `url` becomes a symlink to its simulator's pty, so the
device map stays a plain file and the hub opens it like any serial port.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from caller.serial_line import SIMULATOR_KEPT
from caller.sim import PadSimulator
from display.led.dialects import make_codec
from display.led.sim import ScreenSimulator
from server.devices.config import DeviceConfig


@dataclass
class DemoSimulators:
    """Running simulators by bus name; ``close()`` unplugs them and removes the links."""

    pads: dict[str, PadSimulator] = field(default_factory=dict)
    screens: dict[str, ScreenSimulator] = field(default_factory=dict)
    links: list[Path] = field(default_factory=list)

    async def close(self) -> None:
        for sim in self.pads.values():
            await sim.close()
        for screen in self.screens.values():
            screen.close()
        for link in self.links:
            link.unlink(missing_ok=True)


def _link(url: str, target: str, links: list[Path]) -> None:
    path = Path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    os.symlink(target, path)
    links.append(path)


def placed_under(devices: DeviceConfig, folder: Path) -> DeviceConfig:
    """The device map with each relative `url` made a path in `folder` (the demo's data folder).

    Why not fixed paths in /tmp: two demos, or two test runs, on one machine replaced each other's
    links and removed them at exit, and another user's /tmp/hallq-demo stopped the demo."""

    def place(url: str) -> str:
        return url if "://" in url or Path(url).is_absolute() else str(folder / url)

    return devices.model_copy(update={
        "pad_buses": [bus.model_copy(update={"url": place(bus.url)}) for bus in devices.pad_buses],
        "screen_buses": [bus.model_copy(update={"url": place(bus.url)}) for bus in devices.screen_buses],
    })


async def start_simulators(devices: DeviceConfig) -> DemoSimulators:
    """Start one simulator per bus (call inside the running loop, before the hub opens the buses)."""
    sims = DemoSimulators()
    for bus in devices.pad_buses:
        pad_sim = PadSimulator(bus.dialect, bus.pads, dialect_params=bus.params, kept=SIMULATOR_KEPT)
        _link(bus.url, await pad_sim.start(), sims.links)
        sims.pads[bus.name] = pad_sim
    for screen_bus in devices.screen_buses:
        screen = ScreenSimulator(make_codec(screen_bus.dialect, screen_bus.params), kept=SIMULATOR_KEPT)
        _link(screen_bus.url, screen.open(), sims.links)
        sims.screens[screen_bus.name] = screen
    return sims
