"""Statistics, assessment and appeal endpoints, declared as a Route table like the hub's own.

`setup(app)` adds them and, in a cleanup context after the hub's storage, starts the fact builder
on the event bus (so facts follow the hall live) and the appeals service.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from server.accounts import Principal, Role
from server.api.keys import BUS, CONFIG, DATABASE, ENGINE, SETTINGS
from server.api.routing import Route, int_param, json_response, roles
from server.errors import bad_request
from server.stats.appeals import Appeals
from server.stats.assessment import assess_month
from server.stats.assessment_rules import AssessmentRules, load_rules
from server.stats.facts import FactBuilder
from server.stats.metrics import figures
from server.stats.staffing import staffing_advice

FACTS = web.AppKey("stats_facts", FactBuilder)
APPEALS = web.AppKey("stats_appeals", Appeals)
RULES = web.AppKey("assessment_rules", AssessmentRules)
MANAGERS = roles(Role.MANAGER, Role.ADMIN)
STAFF = roles(Role.STAFF, Role.CHIEF)
REVIEWERS = roles(Role.MANAGER, Role.ADMIN, Role.CHIEF)


class AppealBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket_id: int
    reason: Annotated[str, Field(min_length=2, max_length=500)]


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accept: bool
    reason: Annotated[str, Field(min_length=2, max_length=500)]


def parse_day(request: web.Request, name: str, default: date) -> date:
    raw = request.query.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"{name} must be a date like 2026-11-26", f"参数 {name} 应为日期，如 2026-11-26") from None


def period(request: web.Request) -> tuple[date, date]:
    today = request.app[ENGINE].today()
    end = parse_day(request, "to", today)
    return parse_day(request, "from", end.replace(day=1)), end


async def file_appeal(request: web.Request, principal: Principal, body: AppealBody) -> web.Response:
    return json_response(await request.app[APPEALS].file(body.ticket_id, principal.name, body.reason), 201)


async def decide_appeal(request: web.Request, principal: Principal, body: DecisionBody) -> web.Response:
    appeal_id = int_param(request, "appeal_id")
    return json_response(await request.app[APPEALS].decide(appeal_id, principal.name, body.accept, body.reason))


async def list_appeals(request: web.Request, principal: Principal) -> web.Response:
    return json_response({"appeals": await request.app[APPEALS].list(request.query.get("status"))})


async def report(request: web.Request, principal: Principal) -> web.Response:
    start, end = period(request)
    by = request.query.get("by", "day")
    await request.app[FACTS].catch_up_all()
    rows = await request.app[DATABASE].read(lambda c: figures(c, start, end, by))
    return json_response({"from": start, "to": end, "by": by, "rows": rows})


async def assessment(request: web.Request, principal: Principal) -> web.Response:
    month = request.query.get("month") or f"{request.app[ENGINE].today():%Y-%m}"
    await request.app[FACTS].catch_up_all()
    config, rules = request.app[CONFIG], request.app[RULES]
    people, units = await request.app[DATABASE].read(lambda c: assess_month(c, config, rules, month))
    staff = request.match_info.get("staff_id")
    if staff is not None:
        person = next((p for p in people if p.staff_id == staff), None)
        if person is None:
            raise bad_request(f"no figures for {staff} in {month}", f"{month} 没有 {staff} 的考核数据")
        return json_response({"month": month, "person": person})
    return json_response({"month": month, "people": people, "units": units})


async def staffing(request: web.Request, principal: Principal) -> web.Response:
    start, end = period(request)
    level = request.app[CONFIG].hall.service_level_min
    await request.app[FACTS].catch_up_all()
    advice = await request.app[DATABASE].read(lambda c: staffing_advice(c, start, end, level))
    return json_response({"from": start, "to": end, "service_level_min": level, "advice": advice})


ROUTES = [
    Route("POST", "/api/v1/appeals", file_appeal, "File a rating appeal", STAFF, AppealBody, "stats"),
    Route("GET", "/api/v1/appeals", list_appeals, "Rating appeals", REVIEWERS, tag="stats", query=("status",)),
    Route("POST", "/api/v1/appeals/{appeal_id}/decision", decide_appeal, "Decide a rating appeal", MANAGERS,
          DecisionBody, "stats"),
    Route("GET", "/api/v1/stats/report", report, "Figures for a period", MANAGERS, tag="stats", query=("from", "to", "by")),
    Route("GET", "/api/v1/stats/assessment", assessment, "Monthly assessment", MANAGERS, tag="stats", query=("month",)),
    Route("GET", "/api/v1/stats/assessment/{staff_id}", assessment, "One person's assessment detail", MANAGERS,
          tag="stats", query=("month",)),
    Route("GET", "/api/v1/stats/staffing", staffing, "Staffing advice (Erlang C)", MANAGERS, tag="stats", query=("from", "to")),
]


async def stats_ctx(app: web.Application) -> AsyncIterator[None]:
    """Keep the fact tables current from the event bus; part of every hub (server/app.py)."""
    engine = app[ENGINE]
    app[RULES] = load_rules(app[SETTINGS].config_dir)
    app[FACTS] = FactBuilder(app[DATABASE], app[CONFIG], engine.clock)
    app[APPEALS] = Appeals(app[DATABASE], app[CONFIG], engine.clock, app[BUS])
    app[FACTS].attach(app[BUS])
    yield
    await app[FACTS].close()
