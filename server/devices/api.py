"""GET /api/v1/devices/status: every wired bus with its state, counters and last fault.

Declared as a Route table like server/api/*, so the lead adds ROUTES to the hub's route table and
the OpenAPI document lists it; technicians and admins only (it shows device URLs).
"""

from __future__ import annotations

from aiohttp import web

from server.accounts import Principal, Role
from server.api.routing import Route, json_response, roles
from server.devices.keys import DEVICES


async def device_status(request: web.Request, principal: Principal | None) -> web.Response:
    hub = request.app.get(DEVICES)
    buses = hub.status() if hub is not None else []
    return json_response({"buses": buses, "configured": hub is not None and bool(buses)})


ROUTES = [
    Route(
        "GET", "/api/v1/devices/status", device_status, "List device buses with state, counters and last fault",
        roles(Role.TECHNICIAN, Role.ADMIN), tag="devices",
    ),
]
