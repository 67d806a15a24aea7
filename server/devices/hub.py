"""All wired devices of one hub: pad buses, screen buses and their health, started and stopped together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from display.led.supervisor import Backoff
from server.accounts import Accounts
from server.config.models import HallConfig
from server.devices.config import DeviceConfig
from server.devices.directory import Directory
from server.devices.health import DeviceHealth
from server.devices.pad_actions import PadActions
from server.devices.pads import PadService
from server.devices.screens import ScreenService
from server.engine.engine import QueueEngine


@dataclass(frozen=True)
class ReconnectPolicy:
    """Back-off between reopen attempts (tests use short ones; a hall keeps the defaults)."""

    initial_s: float = 0.5
    maximum_s: float = 30.0


class DeviceHub:
    """Owns the services; ``start()`` and ``stop()`` run in the app's cleanup context."""

    def __init__(
        self,
        devices: DeviceConfig,
        engine: QueueEngine,
        accounts: Accounts,
        hall: HallConfig,
        reconnect: ReconnectPolicy = ReconnectPolicy(),
    ) -> None:
        directory = Directory(engine.database)
        self.health = DeviceHealth(engine.record_device_state, engine.clock.now)
        self.pads = PadService(
            devices.pad_buses, engine, PadActions(engine, accounts, directory, hall), hall, self.health, directory,
            initial_backoff=reconnect.initial_s, max_backoff=reconnect.maximum_s,
        )
        self.screens = ScreenService(
            devices.screen_buses, engine, directory, hall, self.health,
            backoff=Backoff(initial_s=reconnect.initial_s, maximum_s=reconnect.maximum_s),
        )

    async def start(self) -> None:
        self.health.start()
        await self.screens.start()
        await self.pads.start()

    async def stop(self) -> None:
        await self.pads.stop()
        await self.screens.stop()
        await self.health.stop()

    def status(self) -> list[dict[str, Any]]:
        return [*self.pads.status(), *self.screens.status()]

    def down(self) -> list[dict[str, str]]:
        """The buses not online (reconnecting, offline), for /health: their pads or screens are
        dark, which the hall's health did not say."""
        return [{"name": b["name"], "kind": b["kind"], "state": b["state"], "detail": b["detail"]}
                for b in self.status() if b["state"] != "online"]
