"""GET /api/v1/devices/status: every wired bus with its state, counters and last fault, and every
registered kiosk and board with what it last said of itself (POST /api/v1/devices/me/state).

Declared as a Route table like server/api/*, so the lead adds ROUTES to the hub's route table and
the OpenAPI document lists it; technicians and admins only (it shows device URLs).
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web

from server.accounts import Principal, Role
from server.api.routing import Route, json_response, roles
from server.api.bodies import Body, Note
from server.api.keys import ACCOUNTS, ENGINE
from server.devices.keys import DEVICE_REPORTS, DEVICES


async def device_status(request: web.Request, principal: Principal | None) -> web.Response:
    hub = request.app.get(DEVICES)
    buses = hub.status() if hub is not None else []
    registered = await request.app[ACCOUNTS].list_devices()
    devices = request.app[DEVICE_REPORTS].listing(registered, request.app[ENGINE].clock.now())
    return json_response({"buses": buses, "configured": hub is not None and bool(buses), "devices": devices})


class DeviceStateBody(Body):
    state: Literal["ok", "paper_near_end", "paper_out", "cover_open", "printer_offline", "printer_error"]
    detail: Note | None = None


async def report_own_state(request: web.Request, principal: Principal, body: DeviceStateBody) -> web.Response:
    """A kiosk or board says how it is (its printer above all); see server/devices/reports.py."""
    now = request.app[ENGINE].clock.now()
    await request.app[DEVICE_REPORTS].report(principal.name, principal.zone, body.state, body.detail or "", now)
    return json_response({"ok": True})


ROUTES = [
    Route(
        "GET", "/api/v1/devices/status", device_status, "List device buses with state, counters and last fault",
        roles(Role.TECHNICIAN, Role.ADMIN), tag="devices",
    ),
    Route("POST", "/api/v1/devices/me/state", report_own_state, "A kiosk or board reports its own state",
          roles(Role.KIOSK, Role.DISPLAY), DeviceStateBody, "devices"),
]
