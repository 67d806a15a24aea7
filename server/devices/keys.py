"""Typed application keys of the device hub (no module globals), and what they say is down."""

from __future__ import annotations

from aiohttp import web

from server.devices.hub import DeviceHub
from server.devices.reports import DeviceReports

DEVICES = web.AppKey("devices", DeviceHub)
DEVICE_REPORTS = web.AppKey("device_reports", DeviceReports)


def devices_down(app: web.Application, now: float) -> list[dict[str, str]]:
    """Each device bus not online and each kiosk that cannot print (name, kind, state, detail):
    the health check's `devices_down`, and the dashboard's device alerts."""
    buses = app.get(DEVICES)
    reports = app.get(DEVICE_REPORTS)
    return [*(buses.down() if buses else []), *(reports.faults(now) if reports else [])]
