"""A unit's window is for that unit's people (server/seating.py), on every way onto a window.

The sample hall's W11 and BO-B belong to 县市场监督管理局 (U08), W12 to 县文化旅游广电体育局
(U09); W01 (综合受理) belongs to no unit. staff01 (张三) has no unit: the hall's own staff.
"""
from __future__ import annotations

from server.accounts import Role
from server.api.keys import ACCOUNTS
from tests.conftest import HUB_PASSWORD, Hub


async def _clerk(hub: Hub, username: str, unit: str) -> dict[str, str]:
    """A clerk of ``unit``, signed in through /auth/login as the web pad does."""
    await hub.app[ACCOUNTS].add_user(username, HUB_PASSWORD, Role.STAFF, "赵六", unit, now=hub.engine.clock.now())
    response = await hub.client.post("/api/v1/auth/login", json={"username": username, "password": HUB_PASSWORD})
    body = await response.json()
    assert response.status == 200 and body["unit"] == unit  # the web pad learns its clerk's unit here
    return {"Authorization": f"Bearer {body['token']}"}


async def _login(hub: Hub, window: str, headers: dict[str, str], **body: str):  # type: ignore[no-untyped-def]
    return await hub.client.post(f"/api/v1/windows/{window}/login", json=body, headers=headers)


async def test_a_clerk_signs_in_only_at_their_own_units_windows_or_a_shared_one(hub: Hub) -> None:
    """Tried: a U09 clerk signs in at U08's W11. Refused 403 other_unit naming both units, and W11
    stays closed; the same clerk at U09's W12 and at the shared W01 is let in."""
    clerk = await _clerk(hub, "u09clerk", "U09")

    refused = await _login(hub, "W11", clerk)
    error = (await refused.json())["error"]
    assert refused.status == 403 and error["code"] == "other_unit"
    assert "县市场监督管理局" in error["message"] and "县文化旅游广电体育局" in error["message"]
    assert error["details"] == {"window_unit": "U08", "staff_unit": "U09"}
    assert (await hub.engine.window("W11")).staff_id is None

    assert (await _login(hub, "W12", clerk)).status == 200
    assert (await hub.engine.window("W12")).staff_id == "u09clerk"
    assert (await _login(hub, "W01", clerk)).status == 200  # moving to a shared window is fine
    assert (await hub.engine.window("W01")).staff_id == "u09clerk"


async def test_the_halls_own_staff_and_a_managers_relief_are_not_held_to_units(hub: Hub) -> None:
    """A clerk without a unit takes any window; a manager may place a clerk at another unit's
    window (跨单位顶岗 is the manager's decision), and the windows list says whose a window is."""
    assert (await _login(hub, "W11", hub.auth("staff01"))).status == 200
    await _clerk(hub, "u09clerk", "U09")
    placed = await _login(hub, "W18", hub.auth("manager"), staff_id="u09clerk")
    assert placed.status == 200 and (await hub.engine.window("W18")).staff_id == "u09clerk"

    windows = {w["id"]: w for w in await (await hub.client.get("/api/v1/windows")).json()}
    assert (windows["W11"]["unit"], windows["W12"]["unit"], windows["W01"]["unit"]) == ("U08", "U09", None)


async def test_a_hand_over_to_another_units_clerk_is_refused_and_the_window_kept(hub: Hub) -> None:
    """Tried: staff01 at U08's W11 hands over to a U09 clerk (their id and password typed on the
    pad). Refused 403 other_unit; staff01 still holds W11."""
    assert (await _login(hub, "W11", hub.auth("staff01"))).status == 200
    await _clerk(hub, "u09clerk", "U09")
    refused = await hub.client.post(
        "/api/v1/windows/W11/hand-over", json={"staff_id": "u09clerk", "password": HUB_PASSWORD}, headers=hub.auth("staff01")
    )
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "other_unit"
    assert (await hub.engine.window("W11")).staff_id == "staff01"


async def test_a_manager_signs_in_only_an_account_that_exists_and_works_here(hub: Hub) -> None:
    """Tried: a manager signs in at W19 a mistyped staff id, a disabled account and STAFF02 (the
    id in capitals). Seen: the mistyped id sat at the window and was credited with its cases in the
    reports and the assessment; the disabled one was signed out 10 s later without a word. Kept:
    404 unknown_staff naming the id, the window still closed; STAFF02 is signed in as staff02."""
    manager = hub.auth("manager")
    await hub.app[ACCOUNTS].add_user("gone01", HUB_PASSWORD, Role.STAFF, "离职", None, now=hub.engine.clock.now())
    await hub.app[ACCOUNTS].set_user_active("gone01", False)
    for wrong in ("ghost-nobody", "gone01", "tech"):
        refused = await _login(hub, "W19", manager, staff_id=wrong)
        error = (await refused.json())["error"]
        assert (refused.status, error["code"]) == (404, "unknown_staff"), wrong
        assert error["message"] == f"工号 {wrong} 不存在或账号已停用，请核对"
        assert (await hub.engine.window("W19")).staff_id is None
    assert (await _login(hub, "W19", manager, staff_id="STAFF02")).status == 200
    assert (await hub.engine.window("W19")).staff_id == "staff02"
