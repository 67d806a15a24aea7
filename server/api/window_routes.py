"""Staff actions at a window. A staff member acts only at the window they are logged in at."""
from __future__ import annotations

from aiohttp import web

from server.accounts import Principal, Role
from server.api.bodies import CallBody, FinishBody, NoteBody, PauseBody, TransferBody, WindowLoginBody
from server.api.keys import ENGINE
from server.api.routing import Route, json_response, roles
from server.errors import HallQError

STAFF = roles(Role.STAFF, Role.CHIEF, Role.MANAGER, Role.ADMIN)
OVERSEERS = (Role.MANAGER, Role.ADMIN)


async def _authorise(request: web.Request, principal: Principal) -> str:
    """The window id, once we know this person may act there."""
    window_id = request.match_info["window_id"]
    if principal.role in OVERSEERS:
        return window_id
    window = await request.app[ENGINE].window(window_id)
    if window.staff_id != principal.name:
        raise HallQError("not_your_window", "您未登录该窗口", f"{principal.name} is not logged in at {window_id}", 403)
    return window_id


async def login(request: web.Request, principal: Principal, body: WindowLoginBody) -> web.Response:
    staff_id = principal.name
    if body.staff_id and body.staff_id != principal.name:
        if principal.role not in OVERSEERS:
            raise HallQError("forbidden", "不能替他人登录窗口", "only a manager may log someone else in", 403)
        staff_id = body.staff_id
    return json_response(await request.app[ENGINE].login(request.match_info["window_id"], staff_id))


async def logout(request: web.Request, principal: Principal) -> web.Response:
    return json_response(await request.app[ENGINE].logout(await _authorise(request, principal)))


async def call_next(request: web.Request, principal: Principal) -> web.Response:
    ticket = await request.app[ENGINE].call_next(await _authorise(request, principal))
    return json_response({"ticket": ticket, "empty": ticket is None})


async def call_number(request: web.Request, principal: Principal, body: CallBody) -> web.Response:
    return json_response(await request.app[ENGINE].call_ticket(await _authorise(request, principal), body.number))


async def recall(request: web.Request, principal: Principal) -> web.Response:
    return json_response(await request.app[ENGINE].recall(await _authorise(request, principal)))


async def start(request: web.Request, principal: Principal) -> web.Response:
    return json_response(await request.app[ENGINE].start(await _authorise(request, principal)))


async def finish(request: web.Request, principal: Principal, body: FinishBody) -> web.Response:
    return json_response(await request.app[ENGINE].finish(await _authorise(request, principal), body.outcome))


async def no_show(request: web.Request, principal: Principal) -> web.Response:
    return json_response(await request.app[ENGINE].no_show(await _authorise(request, principal)))


async def transfer(request: web.Request, principal: Principal, body: TransferBody) -> web.Response:
    window_id = await _authorise(request, principal)
    return json_response(await request.app[ENGINE].transfer(window_id, body.target_kind, body.target, body.note))


async def park(request: web.Request, principal: Principal, body: NoteBody) -> web.Response:
    return json_response(await request.app[ENGINE].park(await _authorise(request, principal), body.note))


async def pause(request: web.Request, principal: Principal, body: PauseBody) -> web.Response:
    return json_response(await request.app[ENGINE].pause(await _authorise(request, principal), body.reason))


async def resume(request: web.Request, principal: Principal) -> web.Response:
    return json_response(await request.app[ENGINE].resume(await _authorise(request, principal)))


async def invite_rating(request: web.Request, principal: Principal) -> web.Response:
    return json_response(await request.app[ENGINE].invite_rating(await _authorise(request, principal)))


_W = "/api/v1/windows/{window_id}"
ROUTES = [
    Route("POST", f"{_W}/login", login, "Log in at a window", STAFF, WindowLoginBody, "windows"),
    Route("POST", f"{_W}/logout", logout, "Log out of a window", STAFF, tag="windows"),
    Route("POST", f"{_W}/call-next", call_next, "Call the next ticket", STAFF, tag="windows"),
    Route("POST", f"{_W}/call", call_number, "Call a specific ticket", STAFF, CallBody, "windows"),
    Route("POST", f"{_W}/recall", recall, "Recall the current ticket", STAFF, tag="windows"),
    Route("POST", f"{_W}/start", start, "Start service", STAFF, tag="windows"),
    Route("POST", f"{_W}/finish", finish, "Finish service", STAFF, FinishBody, "windows"),
    Route("POST", f"{_W}/no-show", no_show, "Mark a no-show", STAFF, tag="windows"),
    Route("POST", f"{_W}/transfer", transfer, "Transfer the current case", STAFF, TransferBody, "windows"),
    Route("POST", f"{_W}/park", park, "Put the current case on hold", STAFF, NoteBody, "windows"),
    Route("POST", f"{_W}/pause", pause, "Pause the window", STAFF, PauseBody, "windows"),
    Route("POST", f"{_W}/resume", resume, "Resume the window", STAFF, tag="windows"),
    Route("POST", f"{_W}/invite-rating", invite_rating, "Invite the citizen to rate", STAFF, tag="windows"),
]
