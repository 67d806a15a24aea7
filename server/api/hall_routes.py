"""Reading the hall: zones, queues, items, windows and today's state. Public: without a person's
sign-in the windows carry no personal data (who works there, the citizen's priority class, masked
ID or item)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from display.board.model import RECENT_CALLS
from server.accounts import PERSON_ROLES, Principal
from server.api.keys import CONFIG, DATABASE, ENGINE
from server.api.routing import TEXT, Route, error_response, int_param, json_response
from server.config.models import HallConfig
from server.devices.keys import devices_down
from server.engine.hours import describe_closed, issuing_state
from server.engine.views import WindowView
from server.errors import HallQError, not_found
from server.voice.service import VOICE, VOICE_PLAN


ITEMS_LIMIT_MAX = 1000


def zone_param(request: web.Request) -> str | None:
    """The `zone` query parameter, which must name a zone of the hall: a board set up with
    `zone=Z` (or `a` for `A`) drew an empty hall with no word of why."""
    zone = request.query.get("zone") or None
    if zone is not None and request.app[CONFIG].zone(zone) is None:
        codes = [z.code for z in request.app[CONFIG].zones]
        raise HallQError("not_found", f"分区不存在：{zone}", f"zone {zone} not found (zones: {', '.join(codes)})", 404,
                         {"key": zone, "zones": codes})
    return zone


def _assisted_queue(config: HallConfig) -> dict[str, str] | None:
    """The 帮代办 queue with its names: a kiosk standing in one zone does not load the others."""
    queue = config.queue(config.hall.assisted_queue) if config.hall.assisted_queue else None
    if queue is None:
        return None
    zone = config.zone(queue.zone)
    return {"prefix": queue.prefix, "name": queue.name, "zone": queue.zone, "zone_name": zone.name if zone else queue.zone}


async def get_hall(request: web.Request, _: Principal | None) -> web.Response:
    config = request.app[CONFIG]
    engine = request.app[ENGINE]
    state = issuing_state(config, engine.clock.now())
    zh, en = describe_closed(state) if not state.open else ("正在取号", "issuing open")
    return json_response(
        {
            "name": config.hall.name,
            "timezone": config.hall.timezone,
            "hall_day": engine.today(),
            "service_level_min": config.hall.service_level_min,
            "clock_rate": engine.clock.rate,  # hall seconds per real second: pages let shown waits grow
            "now": engine.clock.now(),  # the hall clock (epoch seconds): a demo's runs fast, and its board shows it
            "status_base_url": config.hall.status_base_url,
            "max_recalls": config.rules.max_recalls,
            "issuing": {
                "open": state.open,
                "reason": state.reason,
                "next_opening": state.next_opening,
                "message": zh,
                "message_en": en,
                "appointments": state.takes_appointments,  # closed to walk-ins, a booking still checks in
            },
            "priority_classes": config.rules.priority_classes,
            "pause_reasons": config.rules.pause_reasons,
            "finish_outcomes": config.rules.finish_outcomes,
            "units": [{"code": u.code, "name": u.name} for u in config.units],  # the resident units (进驻单位)
            "assisted_queue": _assisted_queue(config),
        }
    )


async def get_zones(request: web.Request, _: Principal | None) -> web.Response:
    config = request.app[CONFIG]
    return json_response(
        [
            {
                "code": z.code,
                "name": z.name,
                "announce": z.announce,
                "queues": [q.prefix for q in config.queues if q.zone == z.code],
                "windows": [w.id for w in config.windows if w.zone == z.code],
            }
            for z in config.zones
        ]
    )


async def get_zone_voice(request: web.Request, _: Principal | None) -> web.Response:
    """A zone's part of voice.toml, resolved: a board PC started with --voice reads it to learn
    whether the zone's speaker is its own and how calls are worded, repeated and spoken."""
    zone = request.match_info["zone"]
    plan = request.app.get(VOICE_PLAN)
    if plan is None:
        raise HallQError("voice_not_configured", "本服务未启用语音播报配置", "this hub runs without its voice plan", 404)
    if zone not in plan.zones:
        raise not_found("zone", "分区", zone)
    return json_response(asdict(plan.zones[zone]))


async def get_queues(request: web.Request, _: Principal | None) -> web.Response:
    config = request.app[CONFIG]
    zone = zone_param(request)
    prefixes = [q.prefix for q in config.queues if zone is None or q.zone == zone]
    return json_response(await request.app[ENGINE].queues(prefixes))


async def get_items(request: web.Request, _: Principal | None) -> web.Response:
    config = request.app[CONFIG]
    zone, queue, text = zone_param(request), request.query.get("queue"), request.query.get("q", "").strip()
    limit = int_param(request, "limit", default=200)
    if not 1 <= limit <= ITEMS_LIMIT_MAX:  # -5 answered one item, as if it meant something
        raise HallQError("bad_request", f"参数 limit 应在 1 至 {ITEMS_LIMIT_MAX} 之间", f"limit must be 1 to {ITEMS_LIMIT_MAX}", 400)
    found = [
        {"code": i.code, "name": i.name, "zone": i.zone, "queue": i.queue, "unit": i.unit, "instant": i.instant,
         "id_required": config.id_required(i.queue, i.code)}
        for i in config.items
        if (zone is None or i.zone == zone) and (queue is None or i.queue == queue) and (not text or text in i.name)
    ]
    return json_response(found[:limit])


def _rendered(windows: list[WindowView], principal: Principal | None) -> list[dict[str, Any]]:
    """Windows as the caller may see them: people signed in (staff, managers, …) see who works
    where and the ticket in full; anyone else (a board's browser, a kiosk, no token at all) the
    public part (`WindowView.to_public_json`)."""
    if principal is not None and principal.role in PERSON_ROLES:
        return [w.to_json() for w in windows]
    return [w.to_public_json() for w in windows]


async def get_windows(request: web.Request, principal: Principal | None) -> web.Response:
    zone = zone_param(request)
    windows = await request.app[ENGINE].windows()
    return json_response(_rendered([w for w in windows if zone is None or w.zone == zone], principal))


async def get_window(request: web.Request, principal: Principal | None) -> web.Response:
    return json_response(_rendered([await request.app[ENGINE].window(request.match_info["window_id"])], principal)[0])


async def get_state(request: web.Request, principal: Principal | None) -> web.Response:
    """Everything a board or pad needs to draw itself, plus the sequence to stream from: the
    zone's queues and windows and its latest calls (a board's recent list, RECENT_CALLS long)."""
    engine = request.app[ENGINE]
    config = request.app[CONFIG]
    zone = zone_param(request)
    last_seq = await engine.last_seq()
    prefixes = [q.prefix for q in config.queues if zone is None or q.zone == zone]
    windows = [w for w in await engine.windows() if zone is None or w.zone == zone]
    return json_response(
        {"last_seq": last_seq, "hall_day": engine.today(), "queues": await engine.queues(prefixes),
         "windows": _rendered(windows, principal), "recent_calls": await engine.recent_calls(zone, RECENT_CALLS)}
    )


async def health(request: web.Request, _: Principal | None) -> web.Response:
    """ok with the last event's number, or 503 `database_down` while the database cannot be
    reached (a monitor tells the two apart by status; it was a 500 `internal` like any bug), or
    503 `storage_full` from a write refused for a full disk until a write goes through again.
    `degraded` (still 200: tickets are issued and called) names each zone the hub speaks whose
    calls are not heard (`speech_down`), each device bus not online and each kiosk that cannot
    print (`devices_down`), and why: it said ok while speakers, call-pads or screens were dark."""
    try:
        last_seq = await request.app[ENGINE].last_seq()
    except HallQError as error:
        if error.code != "database_unavailable":
            raise
        return error_response(error, status="database_down")
    if request.app[DATABASE].full:  # reads went on, so health said ok while every write was refused
        return error_response(HallQError(
            "storage_full", "服务器存储空间已满，取号、叫号等操作无法保存，请释放磁盘空间",
            "the hub's disk is full: writes are refused until one goes through again", 503), status="storage_full")
    voice = request.app.get(VOICE)
    speech = [{"zone": zone, "reason": reason} for zone, reason in sorted((voice.speech_down() if voice else {}).items())]
    devices = devices_down(request.app, request.app[ENGINE].clock.now())
    problems = {name: found for name, found in (("speech_down", speech), ("devices_down", devices)) if found}
    return json_response({"status": "degraded" if problems else "ok", "last_seq": last_seq, **problems})


ROUTES = [
    Route("GET", "/api/v1/health", health, "Health check", None, tag="hall"),
    Route("GET", "/api/v1/hall", get_hall, "The hall and whether issuing is open", None),
    Route("GET", "/api/v1/zones", get_zones, "Zones with their queues and windows", None),
    Route("GET", "/api/v1/zones/{zone}/voice", get_zone_voice, "How a zone's calls are spoken (voice.toml)", None),
    Route("GET", "/api/v1/queues", get_queues, "Queues with waiting counts", None, query={"zone": TEXT}),
    Route("GET", "/api/v1/items", get_items, "Search the item catalogue", None,
          query={"zone": TEXT, "queue": TEXT, "q": TEXT, "limit": {"type": "integer", "minimum": 1, "maximum": ITEMS_LIMIT_MAX, "description": "default 200"}}),
    Route("GET", "/api/v1/windows", get_windows, "Windows and their state", None, query={"zone": TEXT}),
    Route("GET", "/api/v1/windows/{window_id}", get_window, "One window", None),
    Route("GET", "/api/v1/state", get_state, "Today's state of a zone or the hall", None, query={"zone": TEXT}),
]
