"""Staff actions at a window. A staff member acts only at the window they are logged in at."""
from __future__ import annotations

from aiohttp import web

from server.accounts import Principal, Role
from server.api.bodies import CallBody, FinishBody, HandOverBody, NoteBody, PauseBody, TransferBody, WindowLoginBody
from server.api.keys import ACCOUNTS, CONFIG, ENGINE
from server.api.routing import Route, json_response, roles
from server.errors import HallQError
from server.seating import refuse_other_unit

STAFF = roles(Role.STAFF, Role.CHIEF, Role.MANAGER, Role.ADMIN)
OVERSEERS = (Role.MANAGER, Role.ADMIN)


def _acting(request: web.Request, principal: Principal) -> tuple[str, str | None]:
    """(window id, the staff member to hold to it): managers and admins may act at any window;
    anyone else only at the window they are logged in at, which the engine checks in the same
    transaction as the action."""
    return request.match_info["window_id"], None if principal.role in OVERSEERS else principal.name


async def login(request: web.Request, principal: Principal, body: WindowLoginBody) -> web.Response:
    staff_id = principal.name
    if body.staff_id and body.staff_id != principal.name:
        if principal.role not in OVERSEERS:
            raise HallQError("forbidden", "不能替他人登录窗口", "only a manager may log someone else in", 403)
        # A mistyped id was signed in and credited with the window's cases in the reports and the
        # assessment; a disabled one was signed out again 10 s later without a word.
        person = await request.app[ACCOUNTS].active_person(body.staff_id)
        if person is None or person.role not in STAFF:
            raise HallQError("unknown_staff", f"工号 {body.staff_id} 不存在或账号已停用，请核对",
                             f"no active staff account {body.staff_id!r}", 404, {"staff_id": body.staff_id})
        staff_id = person.name
    else:
        refuse_other_unit(request.app[CONFIG], request.match_info["window_id"], principal)
    return json_response(await request.app[ENGINE].login(request.match_info["window_id"], staff_id))


async def logout(request: web.Request, principal: Principal) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].logout(window_id, staff=staff))


async def hand_over(request: web.Request, principal: Principal, body: HandOverBody) -> web.Response:
    """交接: the colleague taking over types their own 工号 and PIN on the leaving clerk's pad, so
    nobody is put at a window without knowing it; the parked cases stay with the window."""
    window_id, staff = _acting(request, principal)
    colleague = await request.app[ACCOUNTS].sign_in(
        body.staff_id, body.password, source=f"web:{request.remote}", now=request.app[ENGINE].clock.now()
    )
    if colleague is None or colleague.role not in STAFF:
        # 403, not 401: the clerk's own session is fine (a pad takes 401 as "signed out").
        raise HallQError("bad_credentials", "接班人工号或密码错误", "wrong staff id or password of the colleague taking over", 403)
    refuse_other_unit(request.app[CONFIG], window_id, colleague)
    return json_response(await request.app[ENGINE].hand_over(window_id, colleague.name, staff=staff))


async def call_next(request: web.Request, principal: Principal) -> web.Response:
    window_id, staff = _acting(request, principal)
    ticket = await request.app[ENGINE].call_next(window_id, staff=staff)
    return json_response({"ticket": ticket, "empty": ticket is None})


async def call_number(request: web.Request, principal: Principal, body: CallBody) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].call_ticket(window_id, body.number, staff=staff))


async def recall(request: web.Request, principal: Principal) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].recall(window_id, staff=staff))


async def start(request: web.Request, principal: Principal) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].start(window_id, staff=staff))


async def finish(request: web.Request, principal: Principal, body: FinishBody) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].finish(window_id, body.outcome, staff=staff))


async def no_show(request: web.Request, principal: Principal) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].no_show(window_id, staff=staff))


async def transfer(request: web.Request, principal: Principal, body: TransferBody) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(
        await request.app[ENGINE].transfer(window_id, body.target_kind, body.target, body.note, staff=staff)
    )


async def park(request: web.Request, principal: Principal, body: NoteBody) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].park(window_id, body.note, staff=staff))


async def pause(request: web.Request, principal: Principal, body: PauseBody) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].pause(window_id, body.reason, staff=staff))


async def resume(request: web.Request, principal: Principal) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].resume(window_id, staff=staff))


async def invite_rating(request: web.Request, principal: Principal) -> web.Response:
    window_id, staff = _acting(request, principal)
    return json_response(await request.app[ENGINE].invite_rating(window_id, staff=staff))


_W = "/api/v1/windows/{window_id}"
ROUTES = [
    Route("POST", f"{_W}/login", login, "Log in at a window", STAFF, WindowLoginBody, "windows"),
    Route("POST", f"{_W}/logout", logout, "Log out of a window", STAFF, tag="windows"),
    Route("POST", f"{_W}/hand-over", hand_over, "Hand the window over to a colleague", STAFF, HandOverBody, "windows"),
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
