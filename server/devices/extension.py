"""The hub's wired devices as an app extension: ``setup(app)`` reads config/devices.toml from the
hub's configuration folder (none = no wired devices) and runs every bus in a cleanup context;
``device_extension(config)`` does the same with a device map built in code (tests, the demo).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from server.api.keys import ACCOUNTS, CONFIG, ENGINE, SETTINGS
from server.devices.config import DeviceConfig, load_device_config
from server.devices.hub import DeviceHub, ReconnectPolicy
from server.devices.keys import DEVICES


def device_extension(
    devices: DeviceConfig | None = None, reconnect: ReconnectPolicy = ReconnectPolicy()
) -> Callable[[web.Application], None]:
    """An app extension running ``devices`` (None: the config folder's devices.toml)."""

    def setup_devices(app: web.Application) -> None:
        # Load now, not at start-up: `hallq serve` reports devices.toml problems before listening.
        config = devices if devices is not None else load_device_config(app[SETTINGS].config_dir, app[CONFIG])

        async def devices_ctx(app: web.Application) -> AsyncIterator[None]:
            hub = DeviceHub(config, app[ENGINE], app[ACCOUNTS], app[CONFIG], reconnect)
            app[DEVICES] = hub
            await hub.start()
            try:
                yield
            finally:
                await hub.stop()

        app.cleanup_ctx.append(devices_ctx)

    return setup_devices


def setup(app: web.Application) -> None:
    """The hub's extension: the hall's devices.toml, default reconnect policy."""
    device_extension()(app)
