"""Changing a password: one's own (the current one first), or anyone's by an admin. Either way
whoever held the old password is out: the account's other sessions end."""
from __future__ import annotations

from tests.conftest import HUB_PASSWORD, Hub


async def login(hub: Hub, username: str, password: str) -> tuple[int, str | None]:
    r = await hub.client.post("/api/v1/auth/login", json={"username": username, "password": password})
    return r.status, (await r.json()).get("token") if r.status == 200 else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_person_changes_their_own_pin(hub: Hub) -> None:
    """Tried: staff01 changing their PIN with a wrong current one, then with the right one, while
    a second session of theirs is open elsewhere; a kiosk trying the same route. Kept: the wrong
    one refused and nothing changed; then the new PIN signs in and the old does not, this session
    goes on and the other one ended; the kiosk refused (devices have tokens, not passwords)."""
    _, elsewhere = await login(hub, "staff01", HUB_PASSWORD)
    assert elsewhere
    mine = hub.auth("staff01")
    wrong = await hub.client.post("/api/v1/auth/password", json={"current_password": "nope", "new_password": "5678"}, headers=mine)
    assert wrong.status == 401 and (await wrong.json())["error"]["message"] == "当前密码错误"
    assert (await login(hub, "staff01", HUB_PASSWORD))[0] == 200
    r = await hub.client.post("/api/v1/auth/password", json={"current_password": HUB_PASSWORD, "new_password": "5678"}, headers=mine)
    assert r.status == 200
    assert (await login(hub, "staff01", HUB_PASSWORD))[0] == 401
    assert (await login(hub, "staff01", "5678"))[0] == 200
    assert (await hub.client.get("/api/v1/auth/me", headers=mine)).status == 200
    assert (await hub.client.get("/api/v1/auth/me", headers=bearer(elsewhere))).status == 401
    device = await hub.client.post("/api/v1/auth/password", json={"current_password": "x", "new_password": "12345678"},
                                   headers=hub.auth("kiosk"))
    assert device.status == 403


async def test_an_admin_gives_an_account_a_new_password(hub: Hub) -> None:
    """Tried: a manager resetting staff02's password, the admin doing it, the admin giving the
    manager account a 4-digit password, and an unknown account. Kept: the manager refused (403);
    the admin's reset works and ends staff02's session; the short password for a manager refused
    (400, 8 characters for those who run the hall); the unknown account 404."""
    old_session = hub.auth("staff02")
    assert (await hub.client.post("/api/v1/users/staff02/password", json={"password": "9999"}, headers=hub.auth("manager"))).status == 403
    r = await hub.client.post("/api/v1/users/staff02/password", json={"password": "9999"}, headers=hub.auth("admin"))
    assert r.status == 200
    assert (await hub.client.get("/api/v1/auth/me", headers=old_session)).status == 401
    assert (await login(hub, "staff02", "9999"))[0] == 200
    short = await hub.client.post("/api/v1/users/manager/password", json={"password": "1234"}, headers=hub.auth("admin"))
    assert short.status == 400 and "至少8位" in (await short.json())["error"]["message"]
    assert (await login(hub, "manager", HUB_PASSWORD))[0] == 200
    missing = await hub.client.post("/api/v1/users/nobody/password", json={"password": "12345678"}, headers=hub.auth("admin"))
    assert missing.status == 404
