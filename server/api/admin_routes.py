"""Sessions, accounts, devices and end-of-day: the routes of managers, technicians and admins."""
from __future__ import annotations

import logging

from aiohttp import web

from server.accounts import Principal, Role
from server.api.bodies import ActiveBody, CloseDayBody, DeviceBody, LoginBody, OwnPasswordBody, PasswordBody, UserBody
from server.api.days import check_day_to_close
from server.api.keys import ACCOUNTS, CONFIG, ENGINE
from server.api.routing import Route, bearer_token, json_response, roles
from server.errors import HallQError

ANYONE_SIGNED_IN = frozenset(Role)
# Who changed which account or device, in the hub's log: a technician asked why a kiosk stopped,
# or an admin asked who reset a password, had nothing to go by.
audit = logging.getLogger("hallq.audit")


async def login(request: web.Request, _: Principal | None, body: LoginBody) -> web.Response:
    accounts = request.app[ACCOUNTS]
    now = request.app[ENGINE].clock.now()
    principal = await accounts.sign_in(body.username, body.password, source=f"web:{request.remote}", now=now)
    if principal is None:
        raise HallQError("bad_credentials", "工号或密码错误", "wrong staff id or password", 401)
    token = await accounts.open_session(principal, now=now)
    return json_response(
        {"token": token, "username": principal.name, "role": principal.role.value, "display_name": principal.display_name,
         "unit": principal.unit}
    )


async def logout(request: web.Request, principal: Principal) -> web.Response:
    if not principal.is_device:
        await request.app[ACCOUNTS].close_session(bearer_token(request))
    return json_response({"ok": True})


async def change_own_password(request: web.Request, principal: Principal, body: OwnPasswordBody) -> web.Response:
    """A person changes their own password or PIN: the current one first (a session left open on
    a shared PC must not be enough), throttled as a sign-in is. Their other sessions end."""
    if principal.is_device:
        raise HallQError("forbidden", "设备没有密码", "devices have tokens, not passwords", 403)
    accounts = request.app[ACCOUNTS]
    now = request.app[ENGINE].clock.now()
    if await accounts.sign_in(principal.name, body.current_password, source=f"web:{request.remote}", now=now) is None:
        raise HallQError("bad_credentials", "当前密码错误", "the current password is wrong", 401)
    await accounts.set_password(principal.name, body.new_password, keep_session=bearer_token(request))
    audit.info("%s changed their own password", principal.name)
    return json_response({"ok": True})


async def reset_password(request: web.Request, principal: Principal, body: PasswordBody) -> web.Response:
    """An admin gives someone a new password (forgotten, or seen by someone else); every session
    of that account ends."""
    username = request.match_info["username"]
    await request.app[ACCOUNTS].set_password(username, body.password)
    audit.info("%s gave account %s a new password", principal.name, username)
    return json_response({"username": username})


async def me(request: web.Request, principal: Principal) -> web.Response:
    return json_response(
        {"name": principal.name, "role": principal.role.value, "display_name": principal.display_name,
         "is_device": principal.is_device, "unit": principal.unit, "zone": principal.zone}
    )


async def list_users(request: web.Request, _: Principal) -> web.Response:
    return json_response(await request.app[ACCOUNTS].list_users())


async def add_user(request: web.Request, principal: Principal, body: UserBody) -> web.Response:
    if body.unit is not None and request.app[CONFIG].unit(body.unit) is None:
        raise HallQError("not_found", f"单位不存在：{body.unit}", f"unit {body.unit} not found", 404, {"key": body.unit})
    await request.app[ACCOUNTS].add_user(
        body.username, body.password, Role(body.role), body.display_name, body.unit, now=request.app[ENGINE].clock.now()
    )
    audit.info("%s added account %s (%s)", principal.name, body.username, body.role)
    return json_response({"username": body.username, "role": body.role}, status=201)


async def list_devices(request: web.Request, _: Principal) -> web.Response:
    return json_response(await request.app[ACCOUNTS].list_devices())


async def add_device(request: web.Request, principal: Principal, body: DeviceBody) -> web.Response:
    if body.zone is not None and request.app[CONFIG].zone(body.zone) is None:
        raise HallQError("not_found", f"分区不存在：{body.zone}", f"zone {body.zone} not found", 404, {"key": body.zone})
    token = await request.app[ACCOUNTS].add_device(body.name, Role(body.role), body.zone, now=request.app[ENGINE].clock.now())
    audit.info("%s registered device %s (%s)", principal.name, body.name, body.role)
    return json_response({"name": body.name, "role": body.role, "token": token}, status=201)


async def new_device_token(request: web.Request, principal: Principal) -> web.Response:
    name = request.match_info["name"]
    token, active = await request.app[ACCOUNTS].new_device_token(name)
    audit.info("%s gave device %s a new token (the old one stops)%s", principal.name, name, "" if active else "; it stays switched off")
    return json_response({"name": name, "token": token, "active": active})


async def set_device_active(request: web.Request, principal: Principal, body: ActiveBody) -> web.Response:
    name = request.match_info["name"]
    await request.app[ACCOUNTS].set_device_active(name, body.active)
    audit.info("%s switched device %s %s", principal.name, name, "on" if body.active else "off")
    return json_response({"name": name, "active": body.active})


async def set_user_active(request: web.Request, principal: Principal, body: ActiveBody) -> web.Response:
    username = request.match_info["username"]
    if username == principal.name and not body.active:
        raise HallQError("own_account", "不能停用自己正在使用的账号", "you cannot switch off the account you are signed in with", 409)
    await request.app[ACCOUNTS].set_user_active(username, body.active)
    # Their windows are freed for others; one with a ticket still open stays theirs until a
    # manager finishes or transfers it (named in the answer).
    still_at = [] if body.active else await request.app[ENGINE].sign_off(username)
    audit.info("%s switched account %s %s%s", principal.name, username, "on" if body.active else "off",
               f" (still at {', '.join(still_at)} with an open case)" if still_at else "")
    return json_response({"username": username, "active": body.active, "still_at_windows": still_at})


async def close_day(request: web.Request, principal: Principal, body: CloseDayBody) -> web.Response:
    engine = request.app[ENGINE]
    day = body.day or engine.today()
    check_day_to_close(day, engine.today())
    closed = await engine.close_day(day)
    audit.info("%s closed the day %s: %d open tickets closed", principal.name, day, closed)
    return json_response({"closed": closed})


ROUTES = [
    Route("POST", "/api/v1/auth/login", login, "Log in", None, LoginBody, "auth"),
    Route("POST", "/api/v1/auth/logout", logout, "Log out", ANYONE_SIGNED_IN, tag="auth"),
    Route("GET", "/api/v1/auth/me", me, "Who am I", ANYONE_SIGNED_IN, tag="auth"),
    Route("POST", "/api/v1/auth/password", change_own_password, "Change my own password", ANYONE_SIGNED_IN, OwnPasswordBody, "auth"),
    Route("POST", "/api/v1/users/{username}/password", reset_password, "Give an account a new password", roles(Role.ADMIN),
          PasswordBody, "admin"),
    Route("GET", "/api/v1/users", list_users, "List accounts", roles(Role.ADMIN), tag="admin"),
    Route("POST", "/api/v1/users", add_user, "Add an account", roles(Role.ADMIN), UserBody, "admin"),
    Route("POST", "/api/v1/users/{username}/active", set_user_active, "Switch an account off or on", roles(Role.ADMIN), ActiveBody, "admin"),
    Route("GET", "/api/v1/devices", list_devices, "List devices", roles(Role.TECHNICIAN, Role.ADMIN), tag="admin"),
    Route("POST", "/api/v1/devices", add_device, "Register a device", roles(Role.TECHNICIAN, Role.ADMIN), DeviceBody, "admin"),
    Route("POST", "/api/v1/devices/{name}/token", new_device_token, "Give a device a new token (the old one stops; a device switched off stays off)", roles(Role.TECHNICIAN, Role.ADMIN), tag="admin"),
    Route("POST", "/api/v1/devices/{name}/active", set_device_active, "Switch a device's token off or on", roles(Role.TECHNICIAN, Role.ADMIN), ActiveBody, "admin"),
    Route("POST", "/api/v1/day/close", close_day, "Close the day", roles(Role.MANAGER, Role.ADMIN), CloseDayBody, "admin"),
]
