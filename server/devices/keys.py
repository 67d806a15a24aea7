"""Typed application key of the device hub (no module globals)."""

from __future__ import annotations

from aiohttp import web

from server.devices.hub import DeviceHub

DEVICES = web.AppKey("devices", DeviceHub)
