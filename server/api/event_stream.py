"""The WebSocket event stream: live hall events with replay from a sequence number.

A board that lost its connection reconnects with `since=<last seq it saw>` and receives every
event it missed from the database before the live ones, so no call is ever missed. The listener
subscribes before replaying, and skips what the replay already sent, so nothing falls in between.
A client too slow to keep up is disconnected with code 4000 and simply reconnects with `since`.

A connection the hub refuses (no token, a token switched off or replaced, an expired session, an
unknown ticket) is still accepted as a WebSocket, told why in one `{"type": "error"}` message, and
closed with 4000 + the HTTP status (4401, 4404, 4400). A browser cannot read the status of a
refused handshake: without this a board set up with a wrong token looked exactly like a board
whose hub was down, and retried for ever. Pages stop retrying on a 44xx close (static/hallq.js).
A request that is not a WebSocket upgrade gets the plain JSON error, as everywhere in the API.
A stream lives no longer than its token (see `_Credential`): one switched off, replaced or expired
while its board or pad listens is refused the same way.

A hub stopping (SIGTERM from systemd, Ctrl+C) closes every open stream first, with 1001 going
away: aiohttp's graceful shutdown otherwise waits for each handler to end by itself, and a quiet
stream's handler waits in 30 s turns, so a hub with boards connected took 45 s and more to stop,
the whole hall without a hub all that while (a `systemctl restart` waits for the old process).
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field, replace

from aiohttp import WSCloseCode, web

from display.board.model import CALL_KINDS, LEAVE_KINDS
from server.accounts import Accounts, Principal, Role
from server.api.chief_scope import ChiefStream, chief_scope
from server.api.keys import ACCOUNTS, CONFIG, ENGINE
from server.api.hall_routes import zone_param
from server.api.routing import INTEGER, TEXT, Route, int_param, json_response, json_text
from server.engine.engine import QueueEngine
from server.engine.views import HallEvent
from server.errors import HallQError

LAGGING_CLOSE_CODE = 4000
REFUSED_CLOSE_BASE = 4000  # + the HTTP status of the refusal: 4401, 4404, 4400
LIVE_BUFFER = 5000
REPLAY_BATCH = 1000
# Who reads the cases in the events (staff identities, notes): those who handle or oversee them. A
# technician (often the vendor's) looks after devices and reads what a board reads; the full
# stream gave them every note and who served whom, which the ticket reads refuse them.
SEES_CASES = frozenset({Role.STAFF, Role.CHIEF, Role.MANAGER, Role.ADMIN})
HISTORY_LIMIT = 1000  # events in one answer of /events/history: the caller asks again from the last seq
RECHECK_S = Accounts.TOKEN_CACHE_SECONDS  # hall time between two checks of a live stream's token
IDLE_RECHECK_S = 30.0  # real time: a quiet stream's token is checked this often too
SHUTDOWN_MESSAGE = b"hub stopping: reconnect with since"


@dataclass
class OpenStreams:
    """The streams open now, and whether the hub has begun to stop: a stream whose handshake was
    still in flight when the open ones were closed would otherwise stay open until the shutdown
    timeout, holding the stop up by a minute."""

    streams: set[web.WebSocketResponse] = field(default_factory=set)
    stopping: bool = False


OPEN_STREAMS: web.AppKey[OpenStreams] = web.AppKey("open_event_streams")
"""The app's open streams (WebSocketResponse), closed when the hub stops (`setup`)."""


# What a board or a citizen's phone reads of an event's payload: where a call goes, whether it is
# spoken, what a closed ticket was (a waiting one leaves the boards' counts)
# and whether a transfer went to a back office (its case leaves the windows' count).
PUBLIC_PAYLOAD = frozenset({"window_number", "window_name", "silent", "call_count", "was", "target_kind"})


def _own_zone(zone: str | None, _window_id: str | None) -> tuple[str, ...]:
    return (zone,) if zone else ()


@dataclass
class StreamFilter:
    """Which events a stream carries. A zone's stream carries the events of that zone, and the
    calls its boards show and its speaker announces (`call_zones`, the hall's one rule: a call
    also belongs to the calling window's zone), and a transfer of a case whose call its boards
    showed (LEAVE_KINDS: the zones of the case before it, with the window it left): the event
    is in the zone the case goes to, so a board of the zone it left kept the line at the old
    window for good."""

    zone: str | None = None
    window: str | None = None
    queue: str | None = None
    public: bool = False  # citizens' phones and devices: no staff identities, no personal data
    call_zones: Callable[[str | None, str | None], tuple[str, ...]] = _own_zone

    def matches(self, event: HallEvent) -> bool:
        if self.zone and event.zone != self.zone and not self._shown_here(event):
            return False
        if self.window and event.window_id != self.window and event.payload.get("target") != self.window:
            return False
        if self.queue and event.queue != self.queue:
            return False
        return True

    def _shown_here(self, event: HallEvent) -> bool:
        """A call this zone's boards show, or the transfer of a case whose call they showed."""
        if event.kind in CALL_KINDS:
            return self.zone in self.call_zones(event.zone, event.window_id)
        if event.kind in LEAVE_KINDS:
            from_zone = event.payload.get("from_zone")  # none in a transfer stored before it was kept
            return self.zone in self.call_zones(from_zone if isinstance(from_zone, str) else None, event.window_id)
        return False

    def render(self, event: HallEvent) -> dict[str, object]:
        data = event.to_json()
        if self.public:
            data.pop("staff_id", None)
            if not event.kind.startswith("device."):  # a device's state names no person: a technician reads it whole
                data["payload"] = {k: v for k, v in event.payload.items() if k in PUBLIC_PAYLOAD}
        if self.zone and event.kind in LEAVE_KINDS and event.zone != self.zone:
            # Sent here only for the line its call left on these boards: the waiting count it moves
            # is the zone it goes to, whose call of it this zone never gets (counted here, the +1
            # stayed on the board for good).
            data["payload"] = {**data["payload"], "leaves_only": True}
        return {"type": "event", **data}


@dataclass
class TicketFollower(StreamFilter):
    """A citizen's status page: its own ticket's events wherever the ticket goes, the events of
    the queue it waits in now (people ahead) and the opening and closing of that queue's windows
    (the estimate). The queue moves with the ticket's own events: a page fixed on the queue of its
    first read stopped at a transfer and never showed the call at the next window."""

    ticket_id: int = 0
    serving: Callable[[str], Collection[str]] = lambda queue: ()

    def matches(self, event: HallEvent) -> bool:
        if event.ticket_id == self.ticket_id:
            if event.queue:
                self.queue = event.queue
            return True
        if self.queue is None:
            return False
        if event.kind.startswith("window."):
            return event.window_id in self.serving(self.queue)
        return event.queue == self.queue


@dataclass
class _Credential:
    """The token a stream was opened with, checked again while the stream lives: once RECHECK_S
    of hall time have passed, before the next event goes out, and after IDLE_RECHECK_S of quiet.
    A device switched off or given a new token, an account switched off, a session expired: the
    board or pad stops receiving (4401) instead of listening on until it happens to reconnect."""

    accounts: Accounts
    token: str
    checked_at: float

    async def still_valid(self, now: float) -> bool:
        if 0 <= now - self.checked_at < RECHECK_S:
            return True
        self.checked_at = now
        return await self.accounts.authenticate(self.token, now=now) is not None


def _unauthorized() -> HallQError:
    return HallQError("unauthorized", "请先登录", "a device or staff token, or a ticket token, is required", 401)


async def _authorise(request: web.Request) -> tuple[StreamFilter, _Credential | None, ChiefStream | None]:
    """What the stream may carry, the token to check again while it lives (none for a
    citizen's ticket, whose status page follows its own ticket all day), and, for a chief, which
    events they read whole (ChiefStream: another unit's come as a board shows them)."""
    engine = request.app[ENGINE]
    zone, window = zone_param(request), request.query.get("window")
    ticket_token = request.query.get("ticket")
    if ticket_token:
        status = await engine.ticket_status(ticket_token)
        return TicketFollower(queue=status.ticket.queue, public=True, ticket_id=status.ticket.id, serving=engine.windows_serving), None, None
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.query.get("token", "")
    principal: Principal | None = None
    now = engine.clock.now()
    if token:
        principal = await request.app[ACCOUNTS].authenticate(token, now=now)
    if principal is None:
        raise _unauthorized()
    if principal.role is Role.DISPLAY and principal.zone:
        if zone is not None and zone != principal.zone:  # a zone's screen token is for that zone
            raise HallQError("forbidden", "本屏只能显示所属分区", f"this display is for zone {principal.zone}", 403)
        zone = principal.zone
    public = principal.role not in SEES_CASES  # a board in the hall: what its screen may show
    chief = None
    if principal.role is Role.CHIEF:
        await chief_scope(request, principal)  # an account with no unit: refused, as its history is
        chief = ChiefStream(request, principal)
    return (StreamFilter(zone=zone, window=window, public=public, call_zones=request.app[CONFIG].call_zones),
            _Credential(request.app[ACCOUNTS], token, now), chief)


async def events(request: web.Request, _: Principal | None) -> web.StreamResponse:
    engine = request.app[ENGINE]
    # No permessage-deflate: events are a few hundred bytes, and each compressed stream held about
    # 100 KB more of the hub's memory (zlib's windows), which a morning of citizens' phones grew
    # round after round (bench/stream_memory.py, docs/benchmarks.md).
    ws = web.WebSocketResponse(heartbeat=30, compress=False)
    upgrade = ws.can_prepare(request).ok
    try:
        since = int_param(request, "since", default=-1)
        stream_filter, credential, chief = await _authorise(request)
    except HallQError as refusal:
        if not upgrade:
            raise
        return await _refuse(request, ws, refusal)
    if not upgrade:
        raise HallQError("websocket_required", "请以 WebSocket 方式连接", "this is a WebSocket endpoint: connect with Upgrade: websocket", 400)
    await ws.prepare(request)
    live: asyncio.Queue[HallEvent] = asyncio.Queue(maxsize=LIVE_BUFFER)
    overflow = asyncio.Event()

    def on_event(event: HallEvent) -> None:
        try:
            live.put_nowait(event)
        except asyncio.QueueFull:
            overflow.set()

    open_streams = request.app[OPEN_STREAMS]
    if open_streams.stopping:  # checked and registered with no await between: none slips past
        await ws.close(code=WSCloseCode.GOING_AWAY, message=SHUTDOWN_MESSAGE)
        return ws
    open_streams.streams.add(ws)
    unsubscribe = request.app[ENGINE].bus.listen(on_event)
    reader = asyncio.create_task(_drain_client(ws))
    getter: asyncio.Task[HallEvent] | None = None
    try:
        last_sent = since if since >= 0 else await engine.last_seq()
        if since >= 0:
            async for batch in _stored_batches(engine, since):
                for message in await _messages(stream_filter, chief, batch):
                    await ws.send_str(json_text(message | {"replay": True}))
                last_sent = batch[-1].seq
        await ws.send_str(json_text({"type": "hello", "last_seq": last_sent}))
        while not ws.closed:
            getter = getter or asyncio.create_task(live.get())
            done, _pending = await asyncio.wait({getter, reader}, timeout=IDLE_RECHECK_S, return_when=asyncio.FIRST_COMPLETED)
            if reader in done:
                break
            if credential is not None and not await credential.still_valid(engine.clock.now()):
                await _send_refusal(ws, _unauthorized())
                break
            if getter not in done:
                continue  # quiet: the token was checked, listen on
            if overflow.is_set():
                await ws.close(code=LAGGING_CLOSE_CODE, message=b"lagging: reconnect with since")
                break
            event = getter.result()
            getter = None
            if event.seq <= last_sent:
                continue
            for message in await _messages(stream_filter, chief, [event]):
                await ws.send_str(json_text(message))
            last_sent = event.seq
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        unsubscribe()
        open_streams.streams.discard(ws)
        if getter is not None:
            getter.cancel()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
        if not ws.closed:
            await ws.close(code=WSCloseCode.GOING_AWAY)
    return ws


def setup(app: web.Application) -> None:
    """Keep the open streams, and close them when the hub stops (see the module docstring)."""
    app[OPEN_STREAMS] = OpenStreams()
    app.on_shutdown.append(_close_open_streams)


async def _close_open_streams(app: web.Application) -> None:
    """Each open stream closed with 1001 going away; boards and pages reconnect with `since`
    to the hub that comes back, and miss nothing. Together, so one slow client's close
    handshake does not hold up the others'."""
    open_streams = app[OPEN_STREAMS]
    open_streams.stopping = True
    streams = list(open_streams.streams)  # each handler leaves the set as its stream closes
    await asyncio.gather(*(ws.close(code=WSCloseCode.GOING_AWAY, message=SHUTDOWN_MESSAGE) for ws in streams), return_exceptions=True)


async def _refuse(request: web.Request, ws: web.WebSocketResponse, refusal: HallQError) -> web.WebSocketResponse:
    """Accept the socket to say why it is refused (see the module docstring)."""
    await ws.prepare(request)
    await _send_refusal(ws, refusal)
    return ws


async def _send_refusal(ws: web.WebSocketResponse, refusal: HallQError) -> None:
    """Say over the socket why it is refused, then close it with 4000 + the HTTP status."""
    await ws.send_str(json_text({"type": "error", **refusal.to_json()["error"]}))
    await ws.close(code=REFUSED_CLOSE_BASE + refusal.status, message=refusal.code.encode()[:120])


async def _drain_client(ws: web.WebSocketResponse) -> None:
    """Read (and ignore) what the client sends, so a closed socket is noticed at once."""
    async for message in ws:
        if message.type == web.WSMsgType.TEXT and message.data == "ping":
            await ws.send_str("pong")


async def event_history(request: web.Request, principal: Principal) -> web.Response:
    since = int_param(request, "since", default=0)
    if principal.role in SEES_CASES:
        # A chief's are their unit's tickets' and their window's (chief_scope), as /tickets.
        scope = await chief_scope(request, principal)
        return json_response(await request.app[ENGINE].events_since(since, scope=scope.events if scope is not None else None))
    # A display device or a technician: what a board's stream carries, rendered the same way (a zone's screen token read
    # every zone's calls here, though its stream refuses another zone).
    device = StreamFilter(zone=principal.zone, public=True, call_zones=request.app[CONFIG].call_zones)
    events: list[HallEvent] = []
    async for event in _stored_after(request.app[ENGINE], since):
        if device.matches(event):
            events.append(event)
            if len(events) == HISTORY_LIMIT:
                break
    return json_response([{k: v for k, v in device.render(e).items() if k != "type"} for e in events])


async def _messages(stream_filter: StreamFilter, chief: ChiefStream | None, events: list[HallEvent]) -> list[dict[str, object]]:
    """The stream's messages for `events`: those it carries, rendered for the reader; a chief
    reads another unit's as a board shows them (ChiefStream)."""
    carried = [e for e in events if stream_filter.matches(e)]
    if chief is None or not carried:
        return [stream_filter.render(e) for e in carried]
    whole, public = await chief.read_whole(carried), replace(stream_filter, public=True)
    return [(stream_filter if e.seq in whole else public).render(e) for e in carried]


async def _stored_batches(engine: QueueEngine, seq: int) -> AsyncIterator[list[HallEvent]]:
    """The stored events after `seq`, REPLAY_BATCH at a time: a stream's replay and a display's
    history both filter what they read, so neither can let the database limit it."""
    while True:
        batch = await engine.events_since(seq, REPLAY_BATCH)
        if batch:
            yield batch
        if len(batch) < REPLAY_BATCH:
            return
        seq = batch[-1].seq


async def _stored_after(engine: QueueEngine, seq: int) -> AsyncIterator[HallEvent]:
    """Every stored event after `seq`, one at a time (see _stored_batches)."""
    async for batch in _stored_batches(engine, seq):
        for event in batch:
            yield event


ROUTES = [
    Route("GET", "/api/v1/events", events, "Event stream (WebSocket)", None, tag="events", query={"since": INTEGER, "zone": TEXT, "window": TEXT, "token": TEXT, "ticket": TEXT}),
    Route(
        "GET", "/api/v1/events/history", event_history, "Events after a sequence number",
        frozenset({Role.STAFF, Role.CHIEF, Role.MANAGER, Role.TECHNICIAN, Role.ADMIN, Role.DISPLAY}),
        tag="events", query={"since": INTEGER},
    ),
]
