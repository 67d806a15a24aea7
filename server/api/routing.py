"""Declared routes: one table drives the router, the role checks, body validation and OpenAPI.

Declaring each endpoint once (method, path, roles, body model, summary) keeps the OpenAPI document
honest: it is generated from the same table that registers the handlers, and a test compares the
two. Handlers receive the authenticated principal and an already validated body.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from server.access_log import TOLD_ONCE
from server.accounts import Principal, Role
from server.api.keys import ACCOUNTS, ENGINE
from server.errors import HallQError
from server.storage.outage import told_by_the_storage

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[web.StreamResponse]]
PRINCIPAL = web.RequestKey("principal", Principal)
MAX_BODY_BYTES = 64 * 1024
JSON = "application/json"

Schema = Mapping[str, Any]
"""The JSON Schema of a query parameter, as the OpenAPI document states it."""
INTEGER_RANGE = (-(2**63), 2**63 - 1)  # what the databases store; a larger number names nothing
TEXT: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer", "minimum": INTEGER_RANGE[0], "maximum": INTEGER_RANGE[1]}
DAY: Schema = {"type": "string", "format": "date"}


def one_of(values: Iterable[str]) -> Schema:
    return {"type": "string", "enum": list(values)}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    roles: frozenset[Role] | None  # None: public
    body: type[BaseModel] | None = None
    tag: str = "hall"
    query: Mapping[str, Schema] = field(default_factory=dict)
    media_type: str = JSON  # of a successful answer


def _default(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"cannot serialise {type(value).__name__}")


# Dataclasses and dates still go through _default (their to_json and isoformat), exactly as
# with the json module; orjson encodes the rest several times faster (responses were a twentieth
# of the hub's time while issuing).
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def encode_json(data: Any) -> bytes:
    """UTF-8 JSON, Chinese unescaped, as every HallQ answer and event is sent."""
    return orjson.dumps(data, default=_default, option=_ORJSON_OPTIONS)


def json_text(data: Any) -> str:
    """The same, as text: WebSocket text frames (boards and pages read text frames)."""
    return encode_json(data).decode("utf-8")


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=encode_json(data), status=status, content_type="application/json", charset="utf-8")


def error_response(error: HallQError, **extra: Any) -> web.Response:
    """The error's JSON body (after `extra` fields) with its status."""
    response = json_response({**extra, **error.to_json()}, status=error.status)
    if told_by_the_storage(error):  # the log has it once per outage, not once per request
        response[TOLD_ONCE] = True
    return response


def bearer_token(request: web.Request) -> str:
    """The token of `Authorization: Bearer …`, or "" (a route that ends or keeps a session reads
    it here, as authentication does)."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


async def principal_of(request: web.Request) -> Principal | None:
    token = bearer_token(request)
    if not token:
        return None
    engine = request.app[ENGINE]
    return await request.app[ACCOUNTS].authenticate(token, now=engine.clock.now())


class _NoBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _wrap(route: Route) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        if "\x00" in request.path or "\x00" in request.query_string:
            raise _nul_refused()
        principal = await principal_of(request)
        if route.roles is not None:
            if principal is None:
                raise HallQError("unauthorized", "请先登录", "authentication required", 401)
            if principal.role not in route.roles:
                raise HallQError(
                    "forbidden", "无权进行此操作",
                    f"role {principal.role} may not use {route.method} {route.path} ({route.summary})", 403,
                )
        if principal is not None:
            request[PRINCIPAL] = principal
        if request.query:  # most requests (issuing, calling) carry none: no sets built for them
            _refuse_unknown_query(request, route)
        kwargs: dict[str, Any] = {}
        if route.body is not None:
            kwargs["body"] = await parse_body(request, route.body)
        elif request.can_read_body and request.method == "POST":
            await parse_body(request, _NoBody)  # a stray body is refused, not silently ignored
        return await route.handler(request, principal, **kwargs)

    return handler


def _nul_refused() -> HallQError:
    """A NUL character (U+0000) is in no name, note or code anyone types, and PostgreSQL stores
    none: a sign-in with one answered 500 and logged a traceback per request (the resilience
    review), where SQLite took it."""
    return HallQError("bad_request", "请求中含有空字符（\\u0000），请删除后重试", "the request holds a NUL character (U+0000)", 400)


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _refuse_unknown_query(request: web.Request, route: Route) -> None:
    """A query parameter the route does not take is refused, as an unknown body field is: a
    manager's `GET /tickets?number=A1001` was answered with every ticket of the day."""
    unknown = sorted(set(request.query) - set(route.query))
    if unknown:
        names = ", ".join(unknown)
        takes = ", ".join(route.query) or "none"
        raise HallQError("bad_request", f"不支持的查询参数：{names}", f"unknown query parameter(s): {names} (this route takes: {takes})",
                         400, {"unknown": unknown, "allowed": list(route.query)})


async def parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise HallQError("too_large", "请求内容过大", "request body too large", 413)
    raw = await request.read()
    if len(raw) > MAX_BODY_BYTES:
        raise HallQError("too_large", "请求内容过大", "request body too large", 413)
    if raw.strip() and request.content_type != "application/json":
        # A body the hub did not ask for as JSON: a form or text/plain is what a page on another
        # site can send to the hub from a hall PC's browser without asking (CSRF), sign-ins too.
        raise HallQError("unsupported_media_type", "请求内容应为JSON（Content-Type: application/json）",
                         f"the body must be sent as application/json, not {request.content_type}", 415)
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HallQError("malformed_json", "请求格式错误（JSON无法解析）", f"malformed JSON: {exc}", 400) from None
    except RecursionError:  # nesting deeper than Python's stack (30,000 brackets fit in 64 KB): no request of ours nests
        raise HallQError("malformed_json", "请求格式错误（JSON嵌套过深）", "malformed JSON: nested too deeply", 400) from None
    if not isinstance(data, dict):
        raise HallQError("malformed_json", "请求内容应为JSON对象", "the body must be a JSON object", 400)
    if _holds_nul(data):
        raise _nul_refused()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "reason": err["msg"], "type": err["type"]}
            for err in exc.errors()
        ]
        zh = "；".join(f"{_field_zh(p['field'])}{_problem_zh(p['type'], err.get('ctx'))}" for p, err in zip(problems[:5], exc.errors()))
        en = "; ".join(f"{p['field']}: {p['reason']}" for p in problems[:5])
        raise HallQError("invalid_body", f"请求参数不正确：{zh}", f"invalid request body: {en}", 400, {"problems": problems}) from None


# pydantic's error types, as the person at the screen reads them (the field names stay as sent).
_PROBLEMS_ZH = {
    "missing": "缺少此项", "extra_forbidden": "不支持此项", "literal_error": "取值无效", "enum": "取值无效",
    "string_too_short": "太短", "string_too_long": "太长", "string_pattern_mismatch": "格式不对",
    "greater_than_equal": "太小", "greater_than": "太小", "less_than_equal": "太大", "less_than": "太大",
}


# The bodies' field names as the person at the screen knows them; the name as sent follows in
# brackets for the technician ("reason 太短" told a manager nothing about the box to fill in).
_FIELDS_ZH = {
    "queue": "队列", "item_code": "事项编码", "priority_class": "优先类别", "appointment_code": "预约码",
    "person_id": "证件号码", "printed": "出票结果", "detail": "说明", "reason": "理由", "staff_id": "工号",
    "number": "号码", "outcome": "办理结果", "target_kind": "转办类型", "target": "转办目标", "note": "备注",
    "score": "评分", "code": "编码", "day": "日期", "slot_start": "开始时间", "slot_end": "结束时间",
    "username": "用户名", "password": "密码", "role": "角色", "display_name": "姓名", "unit": "单位",
    "accept": "复核结论", "ticket_id": "号票", "zone": "分区", "name": "名称", "active": "启用状态",
}


def _field_zh(field: str) -> str:
    named = _FIELDS_ZH.get(field)
    return f"{named}（{field}）" if named else f"{field} "


def _problem_zh(kind: str, context: dict[str, Any] | None = None) -> str:
    """A validator of ours carries its own Chinese reason (context "zh"); pydantic's own by type."""
    if context and isinstance(context.get("zh"), str):
        return context["zh"]
    if kind in _PROBLEMS_ZH:
        return _PROBLEMS_ZH[kind]
    return "类型不对" if kind.endswith("_type") or kind.endswith("_parsing") else "不正确"


# The router's own refusals (no such path, a method the path lacks), in the hall's language too.
_ROUTER_REFUSALS = {404: ("not_found", "没有这个接口，请核对地址"), 405: ("method_not_allowed", "该接口不支持这种请求方法")}


def _page_not_found() -> web.Response:
    body = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>页面不存在</title></head>'
            '<body><h1>页面不存在</h1><p>请核对地址。大厅的各个页面见<a href="/">首页</a>。</p>'
            '<p lang="en">Page not found: check the address; the hall\'s pages are listed at /.</p></body></html>')
    return web.Response(status=404, text=body, content_type="text/html", charset="utf-8")


async def nosniff(_request: web.Request, response: web.StreamResponse) -> None:
    """Every answer is read as the type it says (a JSON error or an export never run as a page)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HallQError as error:
        return error_response(error)
    except web.HTTPException as exc:
        if exc.status in (403, 404) and not request.path.startswith("/api/") and request.method in ("GET", "HEAD"):
            return _page_not_found()  # a mistyped page address read "404: Not Found" in English
        if exc.status >= 400 and request.path.startswith("/api/"):
            code, message_zh = _ROUTER_REFUSALS.get(exc.status, ("http_error", "请求无法处理"))
            response = error_response(HallQError(code, message_zh, exc.reason, exc.status))
            if "Allow" in exc.headers:  # a 405 names the methods that are allowed (RFC 9110)
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        raise
    except Exception:  # noqa: BLE001 - the client gets a JSON error, the log gets the trace
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(HallQError("internal", "系统内部错误", "internal error", 500))


def add_routes(app: web.Application, routes: Iterable[Route]) -> None:
    for route in routes:
        app.router.add_route(route.method, route.path, _wrap(route))


def roles(*names: Role) -> frozenset[Role]:
    return frozenset(names)


def int_param(request: web.Request, name: str, default: int | None = None) -> int:
    """A path or query parameter that must be an integer; `default` when a query omits it."""
    raw = request.match_info.get(name) or request.query.get(name, "")
    if not raw and default is not None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HallQError("bad_request", f"参数 {name} 应为整数", f"{name} must be an integer", 400) from None
    if not INTEGER_RANGE[0] <= value <= INTEGER_RANGE[1]:  # the database driver would fail on it (a 500)
        raise HallQError("bad_request", f"参数 {name} 超出范围", f"{name} is out of range", 400)
    return value


def choice_param(request: web.Request, name: str, allowed: Iterable[str]) -> str | None:
    """A query parameter that must be one of `allowed` (None when omitted): a misspelt filter is
    refused, not answered with an empty list."""
    raw = request.query.get(name)
    if not raw:
        return None
    choices = list(allowed)
    if raw not in choices:
        raise HallQError("bad_request", f"参数 {name} 的取值无效", f"{name} must be one of {', '.join(choices)}", 400,
                         {"allowed": choices})
    return raw
