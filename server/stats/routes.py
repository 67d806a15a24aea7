"""Statistics, assessment and appeal endpoints, declared as a Route table like the hub's own.

`setup(app)` adds them and, in a cleanup context after the hub's storage, starts the fact builder
on the event bus (so facts follow the hall live) and the appeals service.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from server.accounts import Principal, Role
from server.config.models import HallConfig
from server.devices.keys import devices_down
from server.engine.hours import describe_closed, issuing_state
from server.engine.views import BackOfficeLoad, QueueView, WindowView
from server.api.bodies import Body, LongReason, Note, RowId
from server.api.keys import BUS, CONFIG, DATABASE, ENGINE, SETTINGS
from server.api.routing import DAY, TEXT, Route, choice_param, int_param, json_response, one_of, roles
from server.errors import HallQError, bad_request, not_found
from server.stats.appeals import APPEAL_STATUSES, Appeals
from server.stats.assessment import MONTH_PATTERN, PersonScore, UnitScore, assess_month, month_bounds
from server.stats.assessment_cases import CASE_RULES, CASES_LIMIT, bad_ratings_of, cases_behind
from server.stats.assessment_rules import AssessmentRules, load_rules
from server.stats.facts import FactBuilder, last_finished_day
from server.stats.followups import FollowUpCounts, FollowUps, period_figures
from server.stats.months import (
    Assessed, final_cases_note, final_months_in, final_note, finalise, finalised, finalised_months, is_final, open_month,
)
from server.stats.export import Produced, ReportAbout, assessment_to_xlsx, report_fragment, to_csv, to_xlsx
from server.stats.metrics import (
    GROUPINGS, ChartSeries, Figures, TodayCounts, called_in_hall, chart_series, counts_legs, figures, today_counts,
    wait_histogram,
    with_calls_in_hall, with_open_days,
)
from server.stats.labels import GroupLabels, person_label, staff_names
from server.stats.roster import Roster, load_roster
from server.stats.staffing import staffing_advice
from server.stats.unit_scope import chief_unit, windows_of_unit

audit = logging.getLogger("hallq.audit")
FACTS = web.AppKey("stats_facts", FactBuilder)
APPEALS = web.AppKey("stats_appeals", Appeals)
FOLLOWUPS = web.AppKey("stats_followups", FollowUps)
RULES = web.AppKey("assessment_rules", AssessmentRules)
ROSTER = web.AppKey("duty_roster", Roster)
MANAGERS = roles(Role.MANAGER, Role.ADMIN)
STAFF = roles(Role.STAFF, Role.CHIEF)
REVIEWERS = roles(Role.MANAGER, Role.ADMIN, Role.CHIEF)
PERIOD = {"from": DAY, "to": DAY}
MONTH = {"type": "string", "pattern": MONTH_PATTERN}
# A report narrowed to one zone, unit, queue, window or person (several at once narrow further).
FILTERS = {"zone": TEXT, "unit": TEXT, "queue": TEXT, "window": TEXT, "staff": TEXT}
PERIOD_BY = {**PERIOD, "by": one_of(GROUPINGS), **FILTERS}
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html"


class AppealBody(Body):
    ticket_id: RowId
    reason: LongReason


class DecisionBody(Body):
    accept: bool
    reason: LongReason


class FinaliseBody(Body):
    note: Note = ""
    """The manager's remark kept with the month (e.g. 经主任办公会审定), optional."""


def parse_day(request: web.Request, name: str, default: date) -> date:
    raw = request.query.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"{name} must be a date like 2026-11-26", f"参数 {name} 应为日期，如 2026-11-26") from None


def grouping(request: web.Request) -> str:
    """How a report groups its figures; "day" when not given or given empty (as the report page
    sends it). An unknown one is refused by `figures`, with the allowed list."""
    return request.query.get("by") or "day"


def period(request: web.Request) -> tuple[date, date]:
    """The `from`/`to` days (default: this month so far); a period that ends before it starts is
    refused here, for every route that takes one (staffing answered it with no advice)."""
    today = request.app[ENGINE].today()
    end = parse_day(request, "to", today)
    start = parse_day(request, "from", end.replace(day=1))
    if end < start:
        raise bad_request("the period ends before it starts", "统计结束日期早于开始日期")
    return start, end


async def file_appeal(request: web.Request, principal: Principal, body: AppealBody) -> web.Response:
    return json_response(await request.app[APPEALS].file(body.ticket_id, principal.name, body.reason), 201)


async def my_bad_ratings(request: web.Request, principal: Principal) -> web.Response:
    """A clerk's own bad ratings, each with its appeal's state (the web pad's 我的差评): of the
    month asked for, or else of this month and the last one. The month just ended is the one the
    manager assesses in the first days of the next: showing only the new month, a rating of the
    30th could no longer be appealed from the pad on the 1st."""
    today = request.app[ENGINE].today()
    month = request.query.get("month")
    start, end = month_bounds(month) if month else ((today.replace(day=1) - timedelta(days=1)).replace(day=1), today)
    await request.app[FACTS].catch_up_all()

    def read(c: Any) -> list[dict[str, Any]]:
        """Each with whether its month is finalised: the pad then says so instead of offering
        an appeal the hub would refuse."""
        rows, final = bad_ratings_of(c, principal.name, start, end), set()
        for month_of in {f"{r['hall_day']:%Y-%m}" for r in rows}:
            if is_final(c, month_of):
                final.add(month_of)
        return [r | {"month_final": f"{r['hall_day']:%Y-%m}" in final} for r in rows]

    rows = await request.app[DATABASE].read(read)
    # Each with its follow-up, read-only and the citizen's number masked: the clerk sees that the
    # complaint is being verified and what was rectified, not whom to call.
    followups = {f.ticket_id: f for f in await request.app[FOLLOWUPS].list(
        None, reveal=False, ticket_ids={r["ticket_id"] for r in rows})}
    rows = [r | {"followup": followups.get(r["ticket_id"])} for r in rows]
    return json_response({"month": month, "from": start, "to": end, "bad_ratings": rows})


async def decide_appeal(request: web.Request, principal: Principal, body: DecisionBody) -> web.Response:
    appeal_id = int_param(request, "appeal_id")
    return json_response(await request.app[APPEALS].decide(appeal_id, principal.name, body.accept, body.reason))


async def list_appeals(request: web.Request, principal: Principal) -> web.Response:
    status = choice_param(request, "status", APPEAL_STATUSES)
    if principal.role is Role.CHIEF:  # a chief sees the appeals of their unit's tickets, as their follow-ups
        unit = report_filters(request, principal)["unit"]
        await request.app[FACTS].catch_up_all()  # each appeal's ticket fact holds its unit
        appeals = await request.app[APPEALS].list(status, unit)
    else:
        appeals = await request.app[APPEALS].list(status)
    names = await request.app[DATABASE].read(staff_names)
    people = {a.staff_id for a in appeals} | {a.decided_by for a in appeals if a.decided_by}
    return json_response({"appeals": appeals, "names": {p: person_label(p, names) for p in sorted(people)}})


async def _labels(request: web.Request) -> GroupLabels:
    return GroupLabels(request.app[CONFIG], await request.app[DATABASE].read(staff_names))


async def report(request: web.Request, principal: Principal) -> web.Response:
    start, end, by, rows = await _report_rows(request, principal)
    return json_response({"from": start, "to": end, "by": by, "rows": rows})


async def assessment(request: web.Request, principal: Principal) -> web.Response:
    """The month's ranking; a finalised month as it was stored (with who finalised it and the
    digest), an open one computed now, with what still keeps it from being finalised."""
    month = request.query.get("month") or f"{request.app[ENGINE].today():%Y-%m}"
    assessed = await _assessed(request, month)
    staff = request.match_info.get("staff_id")
    if staff is not None:
        person = next((p for p in assessed.people if p.staff_id == staff), None)
        if person is None:
            raise HallQError("not_found", f"{month} 没有 {staff} 的考核数据", f"no figures for {staff} in {month}", 404,
                             {"key": staff})
        return json_response({"month": month, "person": person, "final": assessed.final})
    state = None
    if assessed.final is None:
        await request.app[FOLLOWUPS].sync()  # every bad rating's follow-up counted in the blockers
        config, now = request.app[CONFIG], request.app[ENGINE].clock.now()
        state = await request.app[DATABASE].read(lambda c: open_month(c, config, month, now))
    # the pages show 县公安局, not U29
    return json_response({"month": month, "people": assessed.people, "units": assessed.units,
                          "unit_names": assessed.unit_names, "final": assessed.final, "open": state})


async def _assessed(request: web.Request, month: str) -> Assessed:
    """The month's people and units, with the people's names from their accounts; a finalised
    month's as stored when it was finalised."""
    month_bounds(month)
    stored = await request.app[DATABASE].read(lambda c: finalised(c, month))
    if stored is not None:
        return stored
    await request.app[FACTS].catch_up_all()
    config, rules, roster = request.app[CONFIG], request.app[RULES], request.app[ROSTER]
    last_day = last_finished_day(config, request.app[ENGINE].clock.now())  # whole-day absence only for days over

    def read(c: Any) -> tuple[list[PersonScore], list[UnitScore], dict[str, str]]:
        return *assess_month(c, config, rules, month, roster, last_day), staff_names(c)

    people, units, names = await request.app[DATABASE].read(read)
    for person in people:
        person.name = person_label(person.staff_id, names)
    return Assessed(month, people, units, {u.code: u.name for u in config.units}, None)


async def finalise_month(request: web.Request, principal: Principal, body: FinaliseBody) -> web.Response:
    """考核归档: store the month's assessment as it stands and refuse its appeals from now on."""
    month = request.match_info["month"]
    month_bounds(month)
    await request.app[FACTS].catch_up_all()  # every decided appeal in the facts the result is read from
    await request.app[FOLLOWUPS].sync()  # and every bad rating's follow-up made, for the blocker
    config, rules, roster = request.app[CONFIG], request.app[RULES], request.app[ROSTER]
    now = request.app[ENGINE].clock.now()
    final = await request.app[DATABASE].write_long(
        lambda c: finalise(c, config, rules, roster, month, principal.name, body.note or None, now))
    audit.info("%s finalised the assessment of %s (digest %s)", principal.name, month, final.digest)
    return json_response(final, 201)


async def list_final_months(request: web.Request, principal: Principal) -> web.Response:
    return json_response({"months": await request.app[DATABASE].read(finalised_months)})


async def assessment_cases(request: web.Request, principal: Principal) -> web.Response:
    """The tickets behind one of a person's lines (rule=service_time|waits|no_shows|bad_ratings)."""
    month = request.query.get("month") or f"{request.app[ENGINE].today():%Y-%m}"
    staff, rule = request.match_info["staff_id"], choice_param(request, "rule", CASE_RULES) or ""
    await request.app[FACTS].catch_up_all()
    config, rules = request.app[CONFIG], request.app[RULES]
    # A finalised month's archive keeps each line's figure, not its tickets: the list is read
    # from the data as it is now, and says so (it was served as if it were the archive's).
    cases, final = await request.app[DATABASE].read(
        lambda c: (cases_behind(c, config, rules, staff, month, rule), is_final(c, month)))
    return json_response({"month": month, "staff_id": staff, "rule": rule, "cases": cases, "limit": CASES_LIMIT,
                          "final": final, "note": final_cases_note(month) if final else None})


async def assessment_xlsx(request: web.Request, principal: Principal) -> web.Response:
    """The month's ranking and every person's lines as an Excel workbook (考核 and 单位 sheets), with
    the month's bad-rating follow-up figures (差评回访 sheet)."""
    month = request.query.get("month") or f"{request.app[ENGINE].today():%Y-%m}"
    assessed = await _assessed(request, month)
    await request.app[FOLLOWUPS].sync()
    config = request.app[CONFIG]
    start, end = month_bounds(month)
    today = request.app[ENGINE].today()
    followed = await request.app[DATABASE].read(lambda c: period_figures(c, config, start, end, today))
    return _download(assessment_to_xlsx(assessed, _produced(request, principal), followed), XLSX,
                     f"hallq-assessment-{month}.xlsx")


async def staffing(request: web.Request, principal: Principal) -> web.Response:
    start, end = period(request)
    level = request.app[CONFIG].hall.service_level_min
    await request.app[FACTS].catch_up_all()
    config = request.app[CONFIG]
    advice = await request.app[DATABASE].read(lambda c: staffing_advice(c, start, end, level, config=config))
    return json_response({"from": start, "to": end, "service_level_min": level, "advice": advice})


def report_filters(request: web.Request, principal: Principal) -> dict[str, str]:
    """The report's filters; a zone, unit, queue or window the hall does not have is a 404 (an
    empty report would read as "nothing happened there"). A chief representative's reports are
    their own unit's (HALL.md: they see their unit's windows and figures), whatever they ask."""
    config = request.app[CONFIG]
    known: dict[str, tuple[Any, str, str]] = {
        "zone": (config.zone, "zone", "分区"), "unit": (config.unit, "unit", "单位"),
        "queue": (config.queue, "queue", "队列"), "window": (config.window, "window", "窗口"),
    }
    filters = {name: request.query[name] for name in FILTERS if request.query.get(name)}
    if principal.role is Role.CHIEF:
        unit = chief_unit(principal)
        if filters.get("unit", unit) != unit:
            raise HallQError("forbidden", "首席代表只能查看本单位的统计", "a chief sees only their own unit's figures", 403)
        filters["unit"] = unit
    for name, value in filters.items():
        if name in known and known[name][0](value) is None:
            raise not_found(known[name][1], known[name][2], value)
    return filters


async def _report_rows(request: web.Request, principal: Principal) -> tuple[date, date, str, list[Figures]]:
    start, end = period(request)
    by = grouping(request)
    filters = report_filters(request, principal)
    await request.app[FACTS].ready_for(start, end)
    level = request.app[CONFIG].hall.service_level_min
    rows = await request.app[DATABASE].read(lambda c: figures(c, start, end, by, filters or None, service_level_min=level))
    return start, end, by, (await _labels(request)).apply(rows, by)


def _download(body: bytes, content_type: str, name: str) -> web.Response:
    response = web.Response(body=body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _produced(request: web.Request, principal: Principal) -> Produced:
    config = request.app[CONFIG]
    by = person_label(principal.name, {principal.name: principal.display_name})
    return Produced(config.hall.name, request.app[ENGINE].clock.now(), by, config.hall.timezone)


FILTERS_ZH = {"zone": "分区", "unit": "单位", "queue": "队列", "window": "窗口", "staff": "工作人员"}


async def _report_file(request: web.Request, principal: Principal) -> tuple[list[Figures], ReportAbout]:
    """A report's rows and what the file says it is: period, grouping, filters by name (a chief's
    own unit among them), when and by whom it was made."""
    start, end, by, rows = await _report_rows(request, principal)
    labels = await _labels(request)
    asked = report_filters(request, principal)
    filters = [(FILTERS_ZH[name], labels.label(name, value)) for name, value in asked.items()]
    today = request.app[ENGINE].today()
    note = final_note(await request.app[DATABASE].read(lambda c: final_months_in(c, start, end)))
    return rows, ReportAbout(_produced(request, principal), start, end, by, filters, start <= today <= end, note,
                             counts_legs(by, asked or None))


async def report_csv(request: web.Request, principal: Principal) -> web.Response:
    rows, about = await _report_file(request, principal)
    return _download(to_csv(rows, about.by, about), CSV, f"hallq-report-{about.start}-{about.end}-{about.by}.csv")


async def report_xlsx(request: web.Request, principal: Principal) -> web.Response:
    rows, about = await _report_file(request, principal)
    return _download(to_xlsx(rows, about.by, about), XLSX, f"hallq-report-{about.start}-{about.end}-{about.by}.xlsx")


async def report_html(request: web.Request, principal: Principal) -> web.Response:
    """The report page's table and its four charts, drawn here so the browser needs no chart code.
    The charts need counts and means only: two grouped scans, not three more full reports."""
    start, end = period(request)
    by = grouping(request)
    filters = report_filters(request, principal)
    await request.app[FACTS].ready_for(start, end)
    labels = await _labels(request)
    level = request.app[CONFIG].hall.service_level_min

    def read(c: Any) -> tuple[list[Figures], ChartSeries, list[tuple[str, int]], list[str]]:
        return (figures(c, start, end, by, filters or None, service_level_min=level), chart_series(c, start, end, filters or None),
                wait_histogram(c, start, end, filters=filters or None), final_months_in(c, start, end))

    rows, series, histogram, finals = await request.app[DATABASE].read(read)
    today = request.app[ENGINE].today()
    includes_today = start <= today <= end
    config = request.app[CONFIG]
    open_days = [start + timedelta(days=n) for n in range((min(end, today) - start).days + 1)]
    series = with_open_days(series, [day for day in open_days if config.sessions_on(day)])
    fragment = report_fragment(labels.apply(rows, by), by, series, histogram, includes_today=includes_today,
                               final_note=final_note(finals), legs=counts_legs(by, filters or None))
    return web.Response(text=fragment, content_type=HTML)


def _figures_json(f: Figures | None) -> dict[str, Any]:
    if f is None:
        return {"wait_mean_s": None, "wait_p90_s": None, "over_kpi_share": None, "no_show_rate": None}
    return {"wait_mean_s": f.wait_mean_s, "wait_p90_s": f.wait_p90_s, "over_kpi_share": f.over_kpi_share,
            "no_show_rate": f.no_show_rate}


def _window_json(config: HallConfig, w: WindowView, staff: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": w.id, "name": w.name, "zone": w.zone, "kind": w.kind, "state": w.state, "staff_id": w.staff_id,
        "staff_name": staff.get(w.staff_id, w.staff_id) if w.staff_id else None,
        "paused_reason": w.paused_reason, "paused_label": config.rules.pause_reasons.get(w.paused_reason or "", w.paused_reason),
        "paused_at": w.paused_at, "current": w.current_ticket.number if w.current_ticket else None,
    }


def _back_offices_json(config: HallConfig, now: float, windows: list[WindowView], load: Mapping[str, BackOfficeLoad],
                       staff: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The back offices among `windows` with their cases (sent there and waiting, parked there,
    in hand), and an alert for each holding cases with nobody signed in there. No service-level
    alert: a back office's handling is measured in the days an item promises, not minutes."""
    rows, alerts = [], []
    for w in windows:
        if w.kind != "back_office":
            continue
        cases = load.get(w.id, BackOfficeLoad())
        longest = now - cases.oldest_queued_at if cases.oldest_queued_at is not None else None
        rows.append({**_window_json(config, w, staff), "waiting": cases.waiting, "longest_wait_s": longest,
                     "on_hold": cases.on_hold})
        if cases.waiting and w.state == "closed":
            alerts.append({
                "kind": "back_office_unstaffed", "zone": w.zone, "queue": None, "window": w.id, "wait_s": longest,
                "message": f"{w.name}：{cases.waiting} 件待办，无人在岗",
            })
    return rows, alerts


def today_overview(
    config: HallConfig, now: float, day: date, queues: list[QueueView], windows: list[WindowView],
    counts: dict[str, TodayCounts], by_zone: list[Figures], overall: list[Figures], staff: Mapping[str, str],
    only_zones: set[str] | None = None, *, clock_rate: float, back_office_load: Mapping[str, BackOfficeLoad],
    followups: FollowUpCounts = FollowUpCounts(0, 0), devices: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The dashboard's one JSON document: per zone and queue, the windows, the back offices' cases,
    today's figures, alerts.

    Alerts are decided here, not in the page, so every dashboard (and any other client) agrees on
    them: a queue whose longest wait passed hall.service_level_min, a zone with people waiting
    but no open (logged-in, unpaused) counter window, a back office with cases but nobody in, and
    a device that is down (a pad or screen line, a kiosk out of paper): the technician's status
    was the only place that said so, and the floor manager, who sends someone with a paper roll,
    saw nothing."""
    level_s = config.hall.service_level_min * 60
    zone_figures = {f.key: f for f in by_zone}
    alerts: list[dict[str, Any]] = []
    zones = []
    for zone in config.zones:
        if only_zones is not None and zone.code not in only_zones:
            continue
        zq = [q for q in queues if q.zone == zone.code]
        zw = [w for w in windows if w.zone == zone.code]
        counters = [w for w in zw if w.kind != "back_office"]
        states = {"open": sum(w.state not in ("closed", "paused") for w in counters),
                  "paused": sum(w.state == "paused" for w in counters),
                  "closed": sum(w.state == "closed" for w in counters)}
        waiting = sum(q.waiting for q in zq)
        longest = max((q.longest_wait_s for q in zq if q.longest_wait_s is not None), default=None)
        c = counts.get(zone.code, TodayCounts(zone.code))
        for q in zq:
            if q.longest_wait_s is not None and q.longest_wait_s > level_s:
                alerts.append({
                    "kind": "over_level", "zone": zone.code, "queue": q.prefix, "wait_s": q.longest_wait_s,
                    "message": f"{zone.name} {q.prefix} {q.name}：最长等候 {int(q.longest_wait_s // 60)} 分钟，"
                               f"超过服务标准 {config.hall.service_level_min} 分钟",
                })
        if waiting and counters and states["open"] == 0:
            alerts.append({
                "kind": "no_window", "zone": zone.code, "queue": None, "wait_s": longest,
                "message": f"{zone.name}：{waiting} 人等候，但没有开放的窗口",
            })
        zones.append({
            "code": zone.code, "name": zone.name, "waiting": waiting, "longest_wait_s": longest,
            "estimated_wait_min": max((q.estimated_wait_min or 0 for q in zq if q.waiting), default=0)
            if all(q.estimated_wait_min is not None for q in zq if q.waiting) else None,
            # 等候 and 在办 are where citizens are now; 取号, 办结 and 过号 follow the tickets' issuing
            # queues (TodayCounts), so they add up to the queue rows and agree with today's report.
            "windows": states, **c.to_json(),
            **_figures_json(zone_figures.get(zone.code)),
            "queues": [q.to_json() for q in zq],
        })
    back_offices, unstaffed = _back_offices_json(config, now, windows, back_office_load, staff)
    alerts += unstaffed
    if followups.overdue:
        # A bad rating not called back or not rectified in time (国办发〔2019〕51号 deadlines).
        alerts.append({"kind": "followup_overdue", "zone": None, "queue": None, "wait_s": None,
                       "message": f"差评回访：{followups.overdue} 件已超期未办结，请尽快回访整改"})
    alerts += [_device_alert(device) for device in devices]
    total = counts.get("all", TodayCounts("all"))
    # Whether citizens can take tickets now, said as the kiosks say it: on a Saturday or a holiday
    # the page was all zeros and dashes, as if the hall were broken or empty on a working day.
    issuing = issuing_state(config, now)
    return {
        "now": now, "day": day, "time": datetime.fromtimestamp(now, ZoneInfo(config.hall.timezone)).strftime("%H:%M:%S"),
        "hall": config.hall.name, "service_level_min": config.hall.service_level_min,
        "issuing": {"open": issuing.open, "message": "正在取号" if issuing.open else describe_closed(issuing)[0]},
        # Between two readings the page lets every shown wait grow at this many hall seconds per
        # real second, and reads again when one crosses the service level: a quiet hall raises
        # its alert on time, not at the next event.
        "clock_rate": clock_rate,
        "totals": {**total.to_json(), **_figures_json(overall[0] if overall else None),
                   "windows_open": sum(z["windows"]["open"] for z in zones),
                   "windows_paused": sum(z["windows"]["paused"] for z in zones),
                   "windows_closed": sum(z["windows"]["closed"] for z in zones)},
        "zones": zones,
        "windows": [_window_json(config, w, staff) for w in windows],
        "back_offices": back_offices,
        "followups": followups.to_json(),
        "alerts": sorted(alerts, key=lambda a: -(a["wait_s"] or 0)),
    }


async def today(request: web.Request, principal: Principal) -> web.Response:
    """GET /api/v1/stats/today: reads only today's rows (every index used leads with hall_day)."""
    engine, config = request.app[ENGINE], request.app[CONFIG]
    day, now = engine.today(), engine.clock.now()
    # A chief representative's dashboard is their unit's: its queues, the windows that serve
    # them, the zones they are in, and figures of its tickets (report_filters' rule).
    unit = report_filters(request, principal).get("unit") if principal.role is Role.CHIEF else None
    own = {q.prefix for q in config.queues if q.unit == unit} if unit else None
    await request.app[FACTS].ready_for(day, day)
    every_queue, back_office_load = await engine.queues_and_back_offices()
    queues = [q for q in every_queue if own is None or q.prefix in own]
    # A unit's back offices too (they have no queues: cases reach them by transfer): unit_scope.
    shown = windows_of_unit(config, unit) if unit else None
    windows = [w for w in await engine.windows() if shown is None or w.id in shown]
    narrowed = {"unit": unit} if unit else None

    def read(c: Any) -> tuple[dict[str, TodayCounts], list[Figures], list[Figures], dict[str, str], Counter[str]]:
        return (today_counts(c, config, day, unit), figures(c, day, day, "zone", narrowed), figures(c, day, day, "all", narrowed),
                staff_names(c), called_in_hall(c, config, day, unit))

    counts, by_zone, overall, staff, called = await request.app[DATABASE].read(read)
    # The no-show rate is over the tickets called (HALL.md), those still in the hall too: the
    # facts' figures hold ended tickets only. Keyed as the facts are (the issue queue's zone and
    # the ticket's unit), so each rate's no-shows and calls are of the same tickets.
    by_zone = with_calls_in_hall(by_zone, Counter({key: n for key, n in called.items() if key != "all"}))
    overall = with_calls_in_hall(overall, Counter({"all": called["all"]} if called["all"] else {}))
    zones = {q.zone for q in queues} if own is not None else None
    return json_response(today_overview(config, now, day, queues, windows, counts, by_zone, overall, staff, zones,
                                         clock_rate=engine.clock.rate, back_office_load=back_office_load,
                                         followups=await request.app[FOLLOWUPS].counts(unit), devices=devices_down(request.app, now)))


_DEVICE_KINDS_ZH = {"pads": "呼叫器线路", "screens": "LED屏线路", "device": "设备"}
_DEVICE_STATES_ZH = {
    "offline": "离线", "degraded": "部分设备无响应", "paper_out": "打印纸用完，无法出票", "cover_open": "打印机盖未关好",
    "printer_offline": "打印机未连接", "printer_error": "打印机故障",
}


def _device_alert(device: Mapping[str, str]) -> dict[str, Any]:
    """A device that is down, as the dashboard says it (the technician's detail beside it)."""
    kind = _DEVICE_KINDS_ZH.get(device["kind"], device["kind"])
    state = _DEVICE_STATES_ZH.get(device["state"], device["state"])
    return {"kind": "device_down", "zone": None, "queue": None, "wait_s": None, "device": device["name"],
            "detail": device.get("detail", ""), "message": f"{kind} {device['name']}：{state}"}


ROUTES = [
    Route("POST", "/api/v1/appeals", file_appeal, "File a rating appeal", STAFF, AppealBody, "stats"),
    Route("GET", "/api/v1/appeals", list_appeals, "Rating appeals", REVIEWERS, tag="stats",
          query={"status": one_of(APPEAL_STATUSES)}),
    Route("GET", "/api/v1/my/bad-ratings", my_bad_ratings, "My bad ratings (of a month; default this and last month) and their appeals",
          roles(Role.STAFF, Role.CHIEF, Role.MANAGER, Role.ADMIN), tag="stats", query={"month": MONTH}),  # whoever works a pad
    Route("POST", "/api/v1/appeals/{appeal_id}/decision", decide_appeal, "Decide a rating appeal", MANAGERS,
          DecisionBody, "stats"),
    Route("GET", "/api/v1/stats/report", report, "Figures for a period", REVIEWERS, tag="stats", query=PERIOD_BY),
    Route("GET", "/api/v1/stats/assessment", assessment, "Monthly assessment", MANAGERS, tag="stats", query={"month": MONTH}),
    Route("GET", "/api/v1/stats/assessment/{staff_id}", assessment, "One person's assessment detail", MANAGERS,
          tag="stats", query={"month": MONTH}),
    Route("GET", "/api/v1/stats/assessment/{staff_id}/cases", assessment_cases, "The tickets behind one assessment line",
          MANAGERS, tag="stats", query={"month": MONTH, "rule": one_of(CASE_RULES)}),
    Route("GET", "/api/v1/stats/assessment.xlsx", assessment_xlsx, "Monthly assessment as an Excel workbook", MANAGERS,
          tag="stats", query={"month": MONTH}, media_type=XLSX),
    Route("GET", "/api/v1/stats/assessment-months", list_final_months, "Finalised assessment months (考核归档)", MANAGERS,
          tag="stats"),
    Route("POST", "/api/v1/stats/assessment-months/{month}/finalise", finalise_month,
          "Finalise a month's assessment: store it as it stands, refuse its appeals from now on", MANAGERS, FinaliseBody, "stats"),
    Route("GET", "/api/v1/stats/staffing", staffing, "Staffing advice (Erlang C)", MANAGERS, tag="stats", query=PERIOD),
    Route("GET", "/api/v1/stats/report.csv", report_csv, "Figures for a period as CSV (UTF-8 with BOM)", REVIEWERS,
          tag="stats", query=PERIOD_BY, media_type=CSV),
    Route("GET", "/api/v1/stats/report.xlsx", report_xlsx, "Figures for a period as an Excel workbook", REVIEWERS,
          tag="stats", query=PERIOD_BY, media_type=XLSX),
    Route("GET", "/api/v1/stats/report.html", report_html, "Figures for a period as an HTML table with SVG charts",
          REVIEWERS, tag="stats", query=PERIOD_BY, media_type=HTML),
    Route("GET", "/api/v1/stats/today", today, "Everything the live dashboard shows, for today", REVIEWERS, tag="stats"),
]


async def stats_ctx(app: web.Application) -> AsyncIterator[None]:
    """Keep the fact tables current from the event bus; part of every hub (server/app.py)."""
    engine = app[ENGINE]
    app[RULES] = load_rules(app[SETTINGS].config_dir)
    app[ROSTER] = load_roster(app[SETTINGS].config_dir)
    app[FACTS] = FactBuilder(app[DATABASE], app[CONFIG], engine.clock)
    app[APPEALS] = Appeals(app[DATABASE], app[CONFIG], engine.clock, app[BUS])
    app[FOLLOWUPS] = FollowUps(app[DATABASE], app[CONFIG], engine.clock, app[BUS])
    app[FACTS].attach(app[BUS])
    yield
    await app[FACTS].close()
