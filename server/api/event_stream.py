"""The WebSocket event stream: live hall events with replay from a sequence number.

A board that lost its connection reconnects with `since=<last seq it saw>` and receives every
event it missed from the database before the live ones, so no call is ever missed. The listener
subscribes before replaying, and skips what the replay already sent, so nothing falls in between.
A client too slow to keep up is disconnected with code 4000 and simply reconnects with `since`.
"""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from aiohttp import WSCloseCode, web

from server.accounts import Principal, Role
from server.api.keys import ACCOUNTS, ENGINE
from server.api.routing import INTEGER, TEXT, Route, int_param, json_response, json_text
from server.engine.views import HallEvent
from server.errors import HallQError

LAGGING_CLOSE_CODE = 4000
LIVE_BUFFER = 5000
REPLAY_BATCH = 1000


@dataclass(frozen=True)
class StreamFilter:
    zone: str | None = None
    window: str | None = None
    queue: str | None = None
    public: bool = False  # citizens' phones: no staff identities

    def matches(self, event: HallEvent) -> bool:
        if self.zone and event.zone != self.zone:
            return False
        if self.window and event.window_id != self.window and event.payload.get("target") != self.window:
            return False
        if self.queue and event.queue != self.queue:
            return False
        return True

    def render(self, event: HallEvent) -> dict[str, object]:
        data = event.to_json()
        if self.public:
            data.pop("staff_id", None)
            data["payload"] = {k: v for k, v in event.payload.items() if k in ("window_number", "window_name", "silent", "call_count")}
        return {"type": "event", **data}


async def _authorise(request: web.Request) -> StreamFilter:
    engine = request.app[ENGINE]
    zone, window = request.query.get("zone"), request.query.get("window")
    ticket_token = request.query.get("ticket")
    if ticket_token:
        status = await engine.ticket_status(ticket_token)
        return StreamFilter(zone=None, window=None, queue=status.ticket.queue, public=True)
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.query.get("token", "")
    principal: Principal | None = None
    if token:
        principal = await request.app[ACCOUNTS].authenticate(token, now=engine.clock.now())
    if principal is None:
        raise HallQError("unauthorized", "请先登录", "a device or staff token, or a ticket token, is required", 401)
    if principal.role is Role.DISPLAY and principal.zone and zone is None:
        zone = principal.zone
    return StreamFilter(zone=zone, window=window)


async def events(request: web.Request, _: Principal | None) -> web.StreamResponse:
    engine = request.app[ENGINE]
    since = int_param(request, "since", default=-1)
    stream_filter = await _authorise(request)
    ws = web.WebSocketResponse(heartbeat=30)
    if not ws.can_prepare(request).ok:
        raise HallQError("websocket_required", "请以 WebSocket 方式连接", "this is a WebSocket endpoint: connect with Upgrade: websocket", 400)
    await ws.prepare(request)
    live: asyncio.Queue[HallEvent] = asyncio.Queue(maxsize=LIVE_BUFFER)
    overflow = asyncio.Event()

    def on_event(event: HallEvent) -> None:
        try:
            live.put_nowait(event)
        except asyncio.QueueFull:
            overflow.set()

    unsubscribe = request.app[ENGINE].bus.listen(on_event)
    reader = asyncio.create_task(_drain_client(ws))
    try:
        last_sent = since if since >= 0 else await engine.last_seq()
        while since >= 0:
            batch = await engine.events_since(last_sent, REPLAY_BATCH)
            for event in batch:
                if stream_filter.matches(event):
                    await ws.send_str(json_text(stream_filter.render(event) | {"replay": True}))
                last_sent = event.seq
            if len(batch) < REPLAY_BATCH:
                break
        await ws.send_str(json_text({"type": "hello", "last_seq": last_sent}))
        while not ws.closed:
            getter = asyncio.create_task(live.get())
            done, _pending = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            if overflow.is_set():
                await ws.close(code=LAGGING_CLOSE_CODE, message=b"lagging: reconnect with since")
                break
            event = getter.result()
            if event.seq <= last_sent:
                continue
            if stream_filter.matches(event):
                await ws.send_str(json_text(stream_filter.render(event)))
            last_sent = event.seq
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        unsubscribe()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
        if not ws.closed:
            await ws.close(code=WSCloseCode.GOING_AWAY)
    return ws


async def _drain_client(ws: web.WebSocketResponse) -> None:
    """Read (and ignore) what the client sends, so a closed socket is noticed at once."""
    async for message in ws:
        if message.type == web.WSMsgType.TEXT and message.data == "ping":
            await ws.send_str("pong")


async def event_history(request: web.Request, _: Principal) -> web.Response:
    since = int_param(request, "since", default=0)
    return json_response(await request.app[ENGINE].events_since(since))


ROUTES = [
    Route("GET", "/api/v1/events", events, "Event stream (WebSocket)", None, tag="events", query={"since": INTEGER, "zone": TEXT, "window": TEXT, "token": TEXT, "ticket": TEXT}),
    Route(
        "GET", "/api/v1/events/history", event_history, "Events after a sequence number",
        frozenset({Role.STAFF, Role.CHIEF, Role.MANAGER, Role.TECHNICIAN, Role.ADMIN, Role.DISPLAY}),
        tag="events", query={"since": INTEGER},
    ),
]
