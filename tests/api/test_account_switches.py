"""Switching accounts and device tokens off and on, and replacing a device's token.

A kiosk PC is stolen, a board's token is seen on a photo, a member of staff leaves the hall: the
technician or the admin must be able to stop that token or account at once, without editing the
database, and without configuring the device again when it gets a new token.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from server.account_sweep import sign_off_switched_off
from server.accounts import Accounts
from server.api.keys import ACCOUNTS
from tests.conftest import HUB_PASSWORD
from tests.hub_process import HALLQ


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def issue_with(hub, token: str) -> int:
    response = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=bearer(token))
    return response.status


async def test_a_new_device_token_stops_the_old_one_and_keeps_the_device(hub):
    old = hub.tokens["board-A"]
    assert (await hub.client.get("/api/v1/auth/me", headers=bearer(old))).status == 200  # cached by the hub now
    response = await hub.client.post("/api/v1/devices/board-A/token", headers=hub.auth("tech"))
    assert response.status == 200
    new = (await response.json())["token"]
    assert new.startswith("dev_") and new != old
    assert (await hub.client.get("/api/v1/auth/me", headers=bearer(old))).status == 401  # at once, cache or not
    me = await (await hub.client.get("/api/v1/auth/me", headers=bearer(new))).json()
    assert (me["name"], me["role"], me["zone"]) == ("board-A", "display", "A")  # nothing to configure again
    kiosk = (await (await hub.client.post("/api/v1/devices/kiosk-1/token", headers=hub.auth("admin"))).json())["token"]
    assert await issue_with(hub, hub.tokens["kiosk"]) == 401
    assert await issue_with(hub, kiosk) == 201


async def test_a_device_switched_off_is_refused_at_once_and_back_when_switched_on(hub):
    token = hub.tokens["kiosk"]
    assert await issue_with(hub, token) == 201  # in the hub's token cache now
    off = await hub.client.post("/api/v1/devices/kiosk-1/active", json={"active": False}, headers=hub.auth("tech"))
    assert off.status == 200 and await off.json() == {"name": "kiosk-1", "active": False}
    assert await issue_with(hub, token) == 401
    listed = await (await hub.client.get("/api/v1/devices", headers=hub.auth("tech"))).json()
    assert {"name": "kiosk-1", "kind": "kiosk", "zone": None, "active": False} in listed
    on = await hub.client.post("/api/v1/devices/kiosk-1/active", json={"active": True}, headers=hub.auth("tech"))
    assert on.status == 200
    assert await issue_with(hub, token) == 201  # the same token works again


async def test_a_new_token_for_a_switched_off_device_leaves_it_off(hub):
    """Tried: a technician switching kiosk-1 off, then giving it a new token through the API. It
    was: the new token switched the device back on (a kiosk switched off as stolen issued tickets
    again with it). Kept: the answer says it is off, the new token is refused and the list shows it
    off until the technician switches it on; then the new token works and the old one does not."""
    off = await hub.client.post("/api/v1/devices/kiosk-1/active", json={"active": False}, headers=hub.auth("tech"))
    assert off.status == 200
    response = await hub.client.post("/api/v1/devices/kiosk-1/token", headers=hub.auth("tech"))
    answer = await response.json()
    assert response.status == 200 and answer["active"] is False and answer["token"].startswith("dev_")
    assert await issue_with(hub, answer["token"]) == 401
    listed = await (await hub.client.get("/api/v1/devices", headers=hub.auth("tech"))).json()
    assert {"name": "kiosk-1", "kind": "kiosk", "zone": None, "active": False} in listed
    assert (await hub.client.post("/api/v1/devices/kiosk-1/active", json={"active": True}, headers=hub.auth("tech"))).status == 200
    assert await issue_with(hub, answer["token"]) == 201
    assert await issue_with(hub, hub.tokens["kiosk"]) == 401
    again = await (await hub.client.post("/api/v1/devices/kiosk-1/token", headers=hub.auth("tech"))).json()
    assert again["active"] is True


async def test_an_account_switched_off_loses_its_sessions_and_its_sign_in(hub):
    signed_in = hub.auth("staff02")
    assert (await hub.client.get("/api/v1/auth/me", headers=signed_in)).status == 200
    off = await hub.client.post("/api/v1/users/staff02/active", json={"active": False}, headers=hub.auth("admin"))
    assert off.status == 200
    assert (await hub.client.get("/api/v1/auth/me", headers=signed_in)).status == 401  # the pad left signed in
    login = {"username": "staff02", "password": HUB_PASSWORD}
    refused = await hub.client.post("/api/v1/auth/login", json=login)
    assert refused.status == 401 and (await refused.json())["error"]["code"] == "bad_credentials"
    users = await (await hub.client.get("/api/v1/users", headers=hub.auth("admin"))).json()
    assert next(u for u in users if u["username"] == "staff02")["active"] is False
    assert (await hub.client.post("/api/v1/users/staff02/active", json={"active": True}, headers=hub.auth("admin"))).status == 200
    assert (await hub.client.post("/api/v1/auth/login", json=login)).status == 200


async def test_switching_an_account_off_frees_its_windows_unless_a_ticket_is_open(hub):
    """Tried: staff02 idle at W01 and staff01 with a called ticket at W19 both switched off. Kept:
    W01 is free for someone else at once (its logout event says why); W19 keeps staff01 and the
    ticket, and the answer names it, since a window is left only with nothing open."""
    staff = {"staff01": hub.auth("staff01"), "staff02": hub.auth("staff02")}
    await hub.client.post("/api/v1/windows/W01/login", json={}, headers=staff["staff02"])
    await hub.client.post("/api/v1/windows/W19/login", json={}, headers=staff["staff01"])
    assert await issue_with(hub, hub.tokens["kiosk"]) == 201  # A1 for zone A; C1 below for W19
    await hub.client.post("/api/v1/tickets", json={"queue": "C1"}, headers=hub.auth("kiosk"))
    called = await hub.client.post("/api/v1/windows/W19/call-next", headers=staff["staff01"])
    assert called.status == 200
    off = await hub.client.post("/api/v1/users/staff02/active", json={"active": False}, headers=hub.auth("admin"))
    assert await off.json() == {"username": "staff02", "active": False, "still_at_windows": []}
    w01 = await hub.engine.window("W01")
    assert (w01.staff_id, w01.state) == (None, "closed")
    events = await hub.engine.events_since(0)
    assert [e.payload for e in events if e.kind == "window.logout" and e.window_id == "W01"] == [{"reason": "account_off"}]
    assert (await hub.client.post("/api/v1/windows/W01/login", json={}, headers=hub.auth("staff03"))).status == 200
    off = await hub.client.post("/api/v1/users/staff01/active", json={"active": False}, headers=hub.auth("admin"))
    assert (await off.json())["still_at_windows"] == ["W19"]
    w19 = await hub.engine.window("W19")
    assert w19.staff_id == "staff01" and w19.current_ticket is not None and w19.current_ticket.number == "C1001"


async def test_an_account_of_a_unit_the_hall_lacks_is_refused(hub):
    body = {"username": "staff98", "password": "9816", "role": "staff", "unit": "NOPE"}
    r = await hub.client.post("/api/v1/users", json=body, headers=hub.auth("admin"))
    assert r.status == 404 and (await r.json())["error"]["message"] == "单位不存在：NOPE"
    assert (await hub.client.post("/api/v1/users", json=body | {"unit": "U01"}, headers=hub.auth("admin"))).status == 201


async def test_switches_are_refused_to_the_wrong_people_and_for_unknown_names(hub):
    """Tried: staff and a kiosk switching a device off, a technician switching an account off, an
    admin switching off their own account, unknown names, a body that is not a boolean. Kept:
    403, 403, 403, 409, 404, 400; every token and account still works afterwards."""
    off = {"active": False}
    assert (await hub.client.post("/api/v1/devices/kiosk-1/active", json=off, headers=hub.auth("staff01"))).status == 403
    assert (await hub.client.post("/api/v1/devices/kiosk-1/token", headers=hub.auth("kiosk"))).status == 403
    assert (await hub.client.post("/api/v1/users/staff01/active", json=off, headers=hub.auth("tech"))).status == 403
    own = await hub.client.post("/api/v1/users/admin/active", json=off, headers=hub.auth("admin"))
    assert own.status == 409 and (await own.json())["error"]["code"] == "own_account"
    for path in ("/api/v1/devices/no-such/active", "/api/v1/users/no-such/active"):
        missing = await hub.client.post(path, json=off, headers=hub.auth("admin"))
        assert missing.status == 404 and (await missing.json())["error"]["code"] == "not_found"
    assert (await hub.client.post("/api/v1/devices/no-such/token", headers=hub.auth("tech"))).status == 404
    wrong = await hub.client.post("/api/v1/devices/kiosk-1/active", json={"active": "no"}, headers=hub.auth("tech"))
    assert wrong.status == 400
    assert await issue_with(hub, hub.tokens["kiosk"]) == 201
    for who in ("admin", "staff01", "board-A"):
        assert (await hub.client.get("/api/v1/auth/me", headers=hub.auth(who))).status == 200


async def test_a_switch_made_by_another_process_reaches_the_hub_within_the_cache_time(hub, clock):
    """`hallq device disable` runs in its own process: the hub's few seconds of token cache are
    the delay it may take (the routes above act at once)."""
    token = hub.tokens["kiosk"]
    assert await issue_with(hub, token) == 201
    elsewhere = Accounts(hub.app[ACCOUNTS].database)  # another process's view of the same database
    await elsewhere.set_device_active("kiosk-1", False)
    clock.advance(Accounts.TOKEN_CACHE_SECONDS + 1)
    assert await issue_with(hub, token) == 401


async def test_an_account_switched_off_by_another_process_leaves_its_windows(hub, caplog):
    """Tried: `hallq user disable` (another process, the database only) for staff02 idle at W01
    and for staff01 serving at W19; then the hub's look for such windows, twice; then W19's case
    finished. Kept: W01 freed at the first look (its pad no longer acts as staff02); W19 kept
    with its case, said once in the log, and freed at the first look after the case closed."""
    await hub.client.post("/api/v1/windows/W01/login", json={}, headers=hub.auth("staff02"))
    await hub.client.post("/api/v1/windows/W19/login", json={}, headers=hub.auth("staff01"))
    await hub.client.post("/api/v1/tickets", json={"queue": "C1"}, headers=hub.auth("kiosk"))
    for step in ("call-next", "start"):
        assert (await hub.client.post(f"/api/v1/windows/W19/{step}", headers=hub.auth("staff01"))).status == 200
    elsewhere = Accounts(hub.app[ACCOUNTS].database)
    for staff_id in ("staff01", "staff02"):
        await elsewhere.set_user_active(staff_id, False)
    told: set[tuple[str, str]] = set()
    for _ in range(2):
        await sign_off_switched_off(hub.app[ACCOUNTS], hub.engine, told)
    assert (await hub.engine.window("W01")).staff_id is None
    assert (await hub.engine.window("W19")).staff_id == "staff01"
    kept = [r.getMessage() for r in caplog.records if "still has their open case" in r.getMessage()]
    assert len(kept) == 1 and "W19" in kept[0]
    await hub.engine.finish("W19", "completed")
    await sign_off_switched_off(hub.app[ACCOUNTS], hub.engine, told)
    assert (await hub.engine.window("W19")).staff_id is None
    assert await hub.app[ACCOUNTS].switched_off_at_windows() == []


def test_technicians_switch_devices_and_accounts_from_the_command_line(tmp_path: Path) -> None:
    env = dict(os.environ, HALLQ_PASSWORD="cli-pass-1")
    data = ["--data", str(tmp_path / "data")]

    def hallq(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        run = subprocess.run([HALLQ, *args, *data], capture_output=True, text=True, env=env, timeout=120)
        assert (run.returncode == 0) == ok, run.stdout + run.stderr
        return run

    made = hallq("device", "add", "kiosk-2", "--role", "kiosk")
    first = made.stdout.strip()
    # The first command of a new hall says where its database went (the README's `hallq user add`
    # without --data put the accounts in ./data while the hub served /var/lib/hallq: nobody signed in).
    new_hall = f"note: a new hall database was made at {(tmp_path / 'data' / 'hallq.db').resolve()}; the hub must run with --data"
    assert made.stderr.startswith(new_hall) and first.startswith("dev_"), made
    assert "new hall database" not in hallq("device", "add", "board-C", "--role", "display", "--zone", "C").stderr
    second = hallq("device", "new-token", "kiosk-2").stdout.strip()
    assert second.startswith("dev_") and second != first
    hallq("device", "disable", "board-C")
    listed = hallq("device", "list").stdout
    assert listed.splitlines() == ["board-C  display  C  disabled", "kiosk-2  kiosk  active"]
    assert first not in listed and second not in listed
    hallq("user", "add", "staff07", "--role", "staff", "--name", "周七")
    hallq("user", "disable", "staff07")
    assert "staff07  周七  staff  disabled" in hallq("user", "list").stdout
    hallq("user", "enable", "staff07")
    assert "staff07  周七  staff  active" in hallq("user", "list").stdout
    missing = hallq("device", "disable", "no-such", ok=False)
    assert "device not found: no-such" in missing.stderr
    typo = subprocess.run([HALLQ, "user", "list", "--data", str(tmp_path / "dta")], capture_output=True, text=True, env=env, timeout=120)
    assert typo.returncode == 1 and "no hall database at" in typo.stderr and not (tmp_path / "dta").exists()
    closed = subprocess.run([HALLQ, "device", "list", "--db", "postgresql://nobody:secret@127.0.0.1:1/none"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert closed.returncode == 1 and "cannot use the database postgresql://nobody:***@127.0.0.1:1/none" in closed.stderr
    assert "Traceback" not in typo.stderr + closed.stderr and "secret" not in closed.stderr
    no_password = subprocess.run([HALLQ, "user", "add", "staff08", "--role", "staff", *data], capture_output=True,
                                 text=True, env={k: v for k, v in env.items() if k != "HALLQ_PASSWORD"}, stdin=subprocess.DEVNULL, timeout=120)
    assert no_password.returncode != 0 and "--password-stdin" in no_password.stderr and "Traceback" not in no_password.stderr
    for bad_name in ("", "bad name!", "张三", "x" * 65):  # names sign-in would refuse: no account nobody can use
        refused = hallq("user", "add", bad_name, "--role", "staff", ok=False)
        assert "a staff id is 1 to 64 letters" in refused.stderr and "Traceback" not in refused.stderr
    for bad_name in ("", "   ", "收费 1号", "x" * 65):  # as the API refuses them: a blank row in the list
        refused = hallq("device", "add", bad_name, "--role", "kiosk", ok=False)
        assert "a device name is 1 to 64 letters" in refused.stderr and "设备名称只能由" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert hallq("device", "list").stdout.splitlines() == ["board-C  display  C  disabled", "kiosk-2  kiosk  active"]
    no_unit = hallq("user", "add", "staff09", "--role", "staff", "--unit", "ZZZ", ok=False)
    assert "unit ZZZ not found" in no_unit.stderr and "staff09" not in hallq("user", "list").stdout
    nowhere = hallq("device", "add", "board-Z", "--role", "display", "--zone", "Z", ok=False)
    assert "zone Z not found (zones: A, B, C, D, E, F, G, H, J, K) (分区不存在：Z)" in nowhere.stderr
    assert "board-Z" not in hallq("device", "list").stdout


def test_new_token_on_the_command_line_keeps_a_disabled_device_disabled(tmp_path: Path) -> None:
    """Tried: `hallq device disable board-C`, then `hallq device new-token board-C` (real
    processes, a real SQLite file). It was: the device listed active again, and nothing said so.
    Kept: the token alone on stdout (as `device add` prints it), one note on stderr that the device
    stays disabled and the command that enables it; `device list` still says disabled. For an
    active device the note is not printed."""
    data = ["--data", str(tmp_path / "data")]

    def hallq(*args: str) -> subprocess.CompletedProcess[str]:
        run = subprocess.run([HALLQ, *args, *data], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run
        return run

    hallq("device", "add", "board-C", "--role", "display", "--zone", "C")
    hallq("device", "disable", "board-C")
    renewed = hallq("device", "new-token", "board-C")
    assert renewed.stdout.strip().startswith("dev_") and len(renewed.stdout.splitlines()) == 1
    assert "device board-C stays disabled" in renewed.stderr and "hallq device enable board-C" in renewed.stderr
    assert "仍处于停用状态" in renewed.stderr
    assert hallq("device", "list").stdout.splitlines() == ["board-C  display  C  disabled"]
    hallq("device", "enable", "board-C")
    assert "stays disabled" not in hallq("device", "new-token", "board-C").stderr
    assert hallq("device", "list").stdout.splitlines() == ["board-C  display  C  active"]


async def test_changes_to_accounts_and_devices_are_logged_with_who_made_them(hub, caplog):
    """Tried: an admin switching an account off, a technician giving a kiosk a new token and
    switching a board off, an admin resetting a password. Kept: one line each in the hub's log,
    naming who did it and to what, and never the new token or password."""
    import logging

    caplog.set_level(logging.INFO, logger="hallq.audit")
    await hub.client.post("/api/v1/users/staff02/active", json={"active": False}, headers=hub.auth("admin"))
    token = (await (await hub.client.post("/api/v1/devices/kiosk-1/token", headers=hub.auth("tech"))).json())["token"]
    await hub.client.post("/api/v1/devices/board-A/active", json={"active": False}, headers=hub.auth("tech"))
    await hub.client.post("/api/v1/users/staff03/password", json={"password": "secret-4321"}, headers=hub.auth("admin"))
    lines = [r.getMessage() for r in caplog.records if r.name == "hallq.audit"]
    assert lines == [
        "admin switched account staff02 off",
        "tech gave device kiosk-1 a new token (the old one stops)",
        "tech switched device board-A off",
        "admin gave account staff03 a new password",
    ]
    assert all(token not in line and "secret-4321" not in line for line in lines)
