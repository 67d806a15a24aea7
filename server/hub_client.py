"""The one hub client kiosks and TV boards use: typed HTTP calls and a replaying event stream.

It imports aiohttp's client and nothing of the engine or storage, so a kiosk PC or a TV PC
installs no database code paths (ARCHITECTURE.md). Two promises matter to a citizen:

- ``issue`` is retried on connection errors and 5xx with the SAME idempotency key, so a network
  glitch between touch and reply never gives two tickets (the hub replays the first) or none.
- :class:`EventStream` reconnects with back-off and asks for ``since=<last seq>``, so a board never
  misses a call, and drops anything at or below the last seq it delivered, so none is shown twice.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import aiohttp

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({500, 502, 503, 504})


class HubError(Exception):
    """The hub refused a request; ``message_zh`` is what to show the citizen, ``code`` the contract."""

    def __init__(self, status: int, code: str, message_zh: str, message_en: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message_en}")
        self.status = status
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details or {}


class HubUnreachable(Exception):
    """No usable answer from the hub after every retry (network down, hub stopped, 5xx)."""

    message_zh = "暂时无法连接取号服务，请稍后再试或咨询工作人员"

    def __init__(self, message_en: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en


class HubTlsError(HubUnreachable):
    """The hub's HTTPS could not be set up: its certificate is not trusted here (no or the wrong
    ``--ca``), or no TLS answered at an https:// address. No retry mends it: a technician must."""

    message_zh = "无法验证取号服务的安全证书，请联系工作人员"


def tls_problem(url: str, exc: aiohttp.ClientSSLError) -> str:
    """The technician's line for a failed TLS handshake with the hub at `url`."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return (f"{url}: the hub's certificate is not trusted ({exc.certificate_error}): give the hall's CA "
                f"certificate with --ca FILE (docs/architecture.md, 'The hall network: TLS') (取号服务证书不受信任，请用 --ca 指定大厅 CA 证书)")
    return (f"{url}: TLS handshake failed ({exc}): is the hub serving HTTPS at this address? "
            f"(与取号服务的 TLS 握手失败，请核对 --hub 地址是 https 还是 http)")


def plain_http_hint(url: str, exc: BaseException) -> str:
    """A hint for a hub that hung up without a word on a plain-HTTP request: what a hub serving
    HTTPS does to one. Kiosks and boards left at --hub http://… after the hub moved to TLS said
    only "ServerDisconnectedError" (and the citizen "unreachable"), which sent the technician to
    the network; an empty string for anything else."""
    if isinstance(exc, aiohttp.ServerDisconnectedError) and url.startswith("http://"):
        return (" (a hub serving HTTPS hangs up on plain HTTP like this: if it does, give --hub https://…"
                " and --ca) (若取号服务已启用 HTTPS，--hub 应以 https:// 开头)")
    return ""


def _connector(ssl_context: ssl.SSLContext | None) -> aiohttp.TCPConnector:
    """The hall's trust (``--ca``, see server/tls.py) for https:// hubs; the system's without one."""
    return aiohttp.TCPConnector(ssl=ssl_context if ssl_context is not None else True)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before telling the citizen the hub is unreachable."""

    attempts: int = 4
    first_delay_s: float = 0.2
    max_delay_s: float = 2.0
    timeout_s: float = 5.0

    def delay(self, attempt: int) -> float:
        return min(self.first_delay_s * (2**attempt), self.max_delay_s)


# ---------------------------------------------------------------- boundary dataclasses
@dataclass(frozen=True)
class IssuingState:
    open: bool
    reason: str | None
    next_opening: str | None
    message: str
    takes_appointments: bool = False
    """Closed to walk-ins, but a booked appointment still checks in (the hub's rule:
    server.engine.hours.IssuingState.takes_appointments); the kiosk offers 预约签到 then."""


@dataclass(frozen=True)
class HallInfo:
    name: str
    hall_day: str
    issuing: IssuingState
    priority_classes: dict[str, str]
    status_base_url: str | None  # None while the hub does not publish it: the kiosk has a fallback
    assisted_queue: AssistedQueue | None = None
    """The hall's 帮代办 queue (hall.assisted_queue): offered when a kiosk search finds nothing."""


@dataclass(frozen=True)
class AssistedQueue:
    prefix: str
    name: str
    zone: str
    zone_name: str


@dataclass(frozen=True)
class ZoneVoice:
    """A zone's voice settings as the hub resolved them from voice.toml (see docs/boards.md)."""

    zone: str
    where: str  # "hub", "board" or "off": which machine speaks the zone's calls
    repeat: int
    chime: bool
    template: str
    rate: int
    voice: str


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    queues: tuple[str, ...]
    windows: tuple[str, ...]


@dataclass(frozen=True)
class QueueInfo:
    prefix: str
    name: str
    zone: str
    waiting: int
    open_windows: int
    estimated_wait_min: int | None
    issued_today: int
    service_min: float | None = None
    waiting_priority: int = 0
    beyond_today: bool = False
    window_numbers: tuple[int, ...] = ()
    """The front windows that serve the queue (hub's QueueView): the ticket names them."""
    id_required: bool = False
    sold_out: str | None = None
    """Today's numbers are gone (hub's QueueView.sold_out): the hub's Chinese refusal."""
    sold_out_items: dict[str, str] = field(default_factory=dict)
    """Items of the queue whose own numbers are gone: code -> refusal (QueueView.sold_out_items)."""


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    zone: str
    queue: str
    unit: str | None
    instant: bool
    id_required: bool = False
    """A kiosk reads the citizen's ID card before issuing (the hall's config): the hub refuses otherwise."""


@dataclass(frozen=True)
class HubState:
    last_seq: int
    hall_day: str
    queues: tuple[QueueInfo, ...]
    windows: tuple[dict[str, Any], ...]
    recent_calls: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class IssueSpec:
    """What the citizen chose; exactly one of item/queue/appointment normally."""

    queue: str | None = None
    item_code: str | None = None
    priority_class: str | None = None
    appointment_code: str | None = None
    person_id: str | None = field(default=None, repr=False)  # personal data: never in a log line

    def body(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class IssuedTicket:
    id: int
    number: str
    queue: str
    zone: str
    item_code: str | None
    priority: bool
    appointment: bool
    issued_at: float
    status_token: str
    people_ahead: int
    estimated_wait_min: int | None
    replayed: bool


@dataclass(frozen=True)
class HubEvent:
    seq: int
    at: float
    kind: str
    ticket_id: int | None
    number: str | None
    zone: str | None
    queue: str | None
    window_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    replay: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HubEvent:
        return cls(
            seq=int(data["seq"]), at=float(data["at"]), kind=str(data["kind"]),
            ticket_id=data.get("ticket_id"), number=data.get("number"), zone=data.get("zone"),
            queue=data.get("queue"), window_id=data.get("window_id"), payload=dict(data.get("payload") or {}),
            replay=bool(data.get("replay", False)),
        )


def _queue(data: dict[str, Any]) -> QueueInfo:
    return QueueInfo(
        prefix=data["prefix"], name=data["name"], zone=data["zone"], waiting=int(data["waiting"]),
        open_windows=int(data.get("open_windows", 0)), estimated_wait_min=data.get("estimated_wait_min"),
        issued_today=int(data.get("issued_today", 0)),
        service_min=float(data["service_min"]) if data.get("service_min") is not None else None,
        waiting_priority=int(data.get("waiting_priority", 0)),
        beyond_today=bool(data.get("beyond_today", False)),
        window_numbers=tuple(int(n) for n in data.get("window_numbers") or ()),
        id_required=bool(data.get("id_required", False)),
        sold_out=data.get("sold_out") or None,
        sold_out_items={str(code): str(why) for code, why in (data.get("sold_out_items") or {}).items()},
    )


# ---------------------------------------------------------------- HTTP
class HubClient:
    """Typed calls to one hub with one device token. Use as ``async with HubClient(...) as hub``."""

    def __init__(self, base_url: str, token: str | None, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, ssl_context: ssl.SSLContext | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._ssl = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._tls_told = False  # the certificate problem was logged; once until a request succeeds

    async def __aenter__(self) -> HubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.policy.timeout_s),
                                                  connector=_connector(self._ssl))
        return self._session

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                      idempotency_key: str | None = None, retry: bool = True) -> Any:
        """One API call; retried (same body, same key) on connection errors, timeouts and 5xx.
        When every attempt failed and the last one was the hub's own 5xx error (its JSON body, e.g.
        storage_full), that answer is raised as a HubError, so the kiosk shows what the hub said;
        HubUnreachable means the hub itself could not be heard from."""
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        attempts = self.policy.attempts if retry else 1
        url = self.base_url + path  # logged whole: a wrong --hub shows in the address, not in the path
        last = "no attempt"
        answer: HubError | None = None  # the hub's own refusal in the last retried reply, if it sent one
        for attempt in range(attempts):
            if attempt:
                await self._sleep(self.policy.delay(attempt - 1))
            try:
                async with self._client().request(method, url, json=body, headers=headers) as response:
                    text = await response.text()
                    if response.status in RETRY_STATUSES:
                        last = f"HTTP {response.status} from {url}"
                        answer = _hub_answer(response.status, text)
                        log.warning("hub %s, retrying (%d/%d)", last, attempt + 1, attempts)
                        continue
                    # Status and content type before parsing: a wrong address (a path after the
                    # port, another web server) answered "404: Not Found", read as JSON it was a
                    # baffling "JSONDecodeError: Extra data", retried as if the network had failed.
                    if text and not _is_json(response.content_type):
                        raise _not_a_hub(method, url, response.status, response.content_type)
                    data = json.loads(text) if text else None
                    self._tls_told = False
                    if response.status >= 400:
                        raise _hub_error(response.status, data)
                    return data
            except aiohttp.ClientSSLError as exc:  # before ClientConnectionError, its base: retrying is no use
                problem = tls_problem(url, exc)
                # Once, not at every one of the kiosk's or board's later tries (docs/architecture.md:
                # a technician must act; ten ERROR lines in 30 s said nothing more than the first).
                log.log(logging.DEBUG if self._tls_told else logging.ERROR, "hub %s %s", method, problem)
                self._tls_told = True
                raise HubTlsError(f"{method} {problem}") from None
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError, json.JSONDecodeError) as exc:
                last = f"{type(exc).__name__}: {exc}{plain_http_hint(url, exc)}"
                answer = None
                log.warning("hub %s %s failed: %s (%d/%d)", method, url, last, attempt + 1, attempts)
        if answer is not None:  # the hub is there and said why (e.g. storage_full): show that, not "unreachable"
            raise answer
        raise HubUnreachable(f"{method} {url}: {last}")

    async def me(self) -> dict[str, Any]:
        """Who the hub takes this client's token for (name, role, zone); HubError 401 if nobody."""
        data = await self.request("GET", "/api/v1/auth/me")
        return dict(data)

    async def hall(self) -> HallInfo:
        data = await self.request("GET", "/api/v1/hall")
        issuing = data["issuing"]
        return HallInfo(
            name=data["name"], hall_day=data["hall_day"],
            issuing=IssuingState(bool(issuing["open"]), issuing.get("reason"), issuing.get("next_opening"), issuing.get("message", ""),
                                 bool(issuing.get("appointments", False))),
            priority_classes=dict(data.get("priority_classes") or {}),
            status_base_url=data.get("status_base_url"),
            assisted_queue=AssistedQueue(**data["assisted_queue"]) if data.get("assisted_queue") else None,
        )

    async def zones(self) -> list[Zone]:
        data = await self.request("GET", "/api/v1/zones")
        return [Zone(z["code"], z["name"], tuple(z.get("queues", ())), tuple(z.get("windows", ()))) for z in data]

    async def zone_voice(self, zone: str) -> ZoneVoice:
        data = await self.request("GET", f"/api/v1/zones/{quote(zone)}/voice")
        return ZoneVoice(data["zone"], data["where"], int(data["repeat"]), bool(data["chime"]), data["template"],
                         int(data["rate"]), data["voice"])

    async def queues(self, zone: str | None = None) -> list[QueueInfo]:
        path = "/api/v1/queues" + (f"?zone={quote(zone)}" if zone else "")
        return [_queue(q) for q in await self.request("GET", path)]

    async def items(self, zone: str | None = None, queue: str | None = None, text: str | None = None, limit: int = 1000) -> list[Item]:
        query = [f"limit={limit}"]
        for key, value in (("zone", zone), ("queue", queue), ("q", text)):
            if value:
                query.append(f"{key}={quote(value)}")
        data = await self.request("GET", "/api/v1/items?" + "&".join(query))
        return [Item(i["code"], i["name"], i["zone"], i["queue"], i.get("unit"), bool(i.get("instant")),
                     bool(i.get("id_required"))) for i in data]

    async def state(self, zone: str | None = None) -> HubState:
        data = await self.request("GET", "/api/v1/state" + (f"?zone={quote(zone)}" if zone else ""))
        return HubState(int(data["last_seq"]), data["hall_day"], tuple(_queue(q) for q in data["queues"]), tuple(data["windows"]),
                        tuple(data.get("recent_calls") or ()))

    async def issue(self, spec: IssueSpec, idempotency_key: str) -> IssuedTicket:
        """Issue a ticket; every retry carries ``idempotency_key`` so the hub issues at most one."""
        data = await self.request("POST", "/api/v1/tickets", spec.body(), idempotency_key=idempotency_key)
        t = data["ticket"]
        return IssuedTicket(
            id=int(t["id"]), number=t["number"], queue=t["queue"], zone=t["zone"], item_code=t.get("item_code"),
            priority=bool(t["priority"]), appointment=bool(t["appointment"]), issued_at=float(t["issued_at"]),
            status_token=t["status_token"], people_ahead=int(data["people_ahead"]),
            estimated_wait_min=data.get("estimated_wait_min"), replayed=bool(data.get("replayed")),
        )

    async def report_printed(self, ticket_id: int, ok: bool, detail: str | None = None) -> None:
        """Tell the hub whether the paper came out; ``ok=False`` raises ticket.print_failed there."""
        body: dict[str, Any] = {"printed": ok}
        if detail:
            body["detail"] = detail[:200]
        await self.request("POST", f"/api/v1/tickets/{ticket_id}/printed", body)

    async def report_state(self, state: str, detail: str | None = None) -> None:
        """Tell the hub how this device is (its printer): the technicians' device status."""
        body: dict[str, Any] = {"state": state}
        if detail:
            body["detail"] = detail[:200]
        await self.request("POST", "/api/v1/devices/me/state", body)


def _hub_answer(status: int, text: str) -> HubError | None:
    """A retried reply's error, when it is the hub's own JSON error (not a proxy's page)."""
    try:
        data = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return _hub_error(status, data) if isinstance(data, dict) and isinstance(data.get("error"), dict) else None


NOT_A_HUB = "not_a_hub"
NOT_A_HUB_ZH = "取号服务地址设置有误，请联系工作人员"


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def _not_a_hub(method: str, url: str, status: int, content_type: str) -> HubError:
    """An answer that is not the hub's JSON: the address is wrong, no retry will mend it."""
    return HubError(status, NOT_A_HUB, NOT_A_HUB_ZH,
                    f"{method} {url}: HTTP {status} ({content_type or 'no content type'}): not a HallQ hub at this address?")


def _hub_error(status: int, data: Any) -> HubError:
    error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
    return HubError(
        status, str(error.get("code", "http_error")), str(error.get("message") or f"请求失败（{status}）"),
        str(error.get("message_en") or f"HTTP {status}"), dict(error.get("details") or {}),
    )


# ---------------------------------------------------------------- event stream
class StreamState(StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"
    REFUSED = "refused"  # the hub said no (a 44xx close: token unknown, switched off, …)
    CLOSED = "closed"


class EventStream:
    """Async iterator of hub events that survives dropped connections without loss or repeats.

    ``since`` is the last seq the caller already has (from ``HubClient.state().last_seq``); with
    ``None`` the stream starts live. ``state`` says whether the board should show "offline".
    """

    def __init__(self, base_url: str, token: str | None, zone: str | None = None, window: str | None = None,
                 since: int | None = None, ticket: str | None = None, policy: RetryPolicy | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._ssl = ssl_context
        self._token = token
        self.zone, self.window, self.ticket = zone, window, ticket
        self.last_seq = since if since is not None else -1
        self.policy = policy or RetryPolicy()
        self.state = StreamState.CONNECTING
        self.connections = 0
        self.refused = False  # the last attempts were refused by the hub (until one is accepted)
        self.tls_problem: str | None = None  # the last attempt's failed TLS handshake (untrusted certificate, …)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _url(self) -> str:
        params = {"zone": self.zone, "window": self.window, "ticket": self.ticket,
                  "token": None if self.ticket else self._token,
                  "since": str(self.last_seq) if self.last_seq >= 0 else None}
        query = "&".join(f"{k}={quote(v)}" for k, v in params.items() if v)
        # http://… → ws://…, https://… → wss://… (the device token is in the query: never in clear over TLS hubs)
        ws_base = "ws" + self.base_url[4:] if self.base_url.startswith(("http://", "https://")) else self.base_url
        return f"{ws_base}/api/v1/events" + (f"?{query}" if query else "")

    async def close(self) -> None:
        self._closed = True
        self.state = StreamState.CLOSED
        if self._session is not None:
            await self._session.close()

    def __aiter__(self) -> AsyncIterator[HubEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[HubEvent]:
        failures = 0
        outage: str | None = None  # the failure logged for the attempts failing now
        self._session = aiohttp.ClientSession(connector=_connector(self._ssl))
        try:
            while not self._closed:
                self.state = StreamState.CONNECTING
                refusal: dict[str, Any] | None = None
                close_code: int | None = None
                try:
                    async with self._session.ws_connect(self._url(), heartbeat=20) as ws:
                        self.connections += 1
                        async for message in ws:
                            if message.type != aiohttp.WSMsgType.TEXT:
                                break
                            data = json.loads(message.data)
                            if data.get("type") == "error":
                                refusal = data
                            elif data.get("type") == "hello":
                                self.last_seq = max(self.last_seq, int(data["last_seq"]))
                                if outage is not None:
                                    log.info("event stream: connected again after %d failed attempt(s)", failures)
                                    outage = None
                                self.state = StreamState.ONLINE
                                self.refused = False
                                self.tls_problem = None
                                failures = 0
                            elif data.get("type") == "event":
                                event = HubEvent.from_json(data)
                                if event.seq <= self.last_seq:
                                    continue  # already delivered before the reconnect
                                self.last_seq = event.seq
                                yield event
                    close_code = ws.close_code
                except aiohttp.ClientSSLError as exc:
                    problem = tls_problem(self.base_url, exc)
                    if problem != self.tls_problem:  # once, not at every reconnect
                        log.error("event stream: %s", problem)
                    self.tls_problem = problem
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    # Once per outage, not at every attempt: a board retries every 2 s and logged
                    # a line each time, ~43,000 a day of a hub down overnight.
                    if outage is None:
                        outage = f"{exc}{plain_http_hint(self.base_url, exc)}"
                        log.info("event stream: %s (retrying every %g s or so; logged again once connected)",
                                 outage, self.policy.max_delay_s)
                if self._closed:
                    break
                if close_code is not None and 4400 <= close_code < 4500:
                    # Refused, not dropped: say so once and try again only slowly (a technician
                    # may switch the token on again), where it reconnected as after a network drop.
                    if not self.refused:
                        log.error("event stream refused by the hub (%s): %s", close_code,
                                  (refusal or {}).get("message_en", "no reason given"))
                    self.refused = True
                    self.state = StreamState.REFUSED
                    await asyncio.sleep(self.policy.max_delay_s)
                    continue
                self.state = StreamState.OFFLINE
                delay = self.policy.delay(failures) * (0.8 + 0.4 * random.random())
                failures += 1
                await asyncio.sleep(delay)
        finally:
            if not self._closed:
                self.state = StreamState.CLOSED
            await self._session.close()
