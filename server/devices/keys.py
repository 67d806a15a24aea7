"""Typed application key of the device hub (no module globals)."""

from __future__ import annotations

from aiohttp import web

from server.devices.hub import DeviceHub
from server.devices.reports import DeviceReports

DEVICES = web.AppKey("devices", DeviceHub)
DEVICE_REPORTS = web.AppKey("device_reports", DeviceReports)
