"""What staff and kiosks do through the real API, for the board and voice tests."""
from __future__ import annotations

from typing import Any

from server.accounts import Role
from server.api.keys import ACCOUNTS


async def api(hub: Any, method: str, path: str, who: str, body: dict | None = None) -> dict:
    response = await hub.client.request(method, f"/api/v1{path}", json=body, headers=hub.auth(who))
    data = await response.json()
    assert response.status in (200, 201), data
    return data


async def issue(hub: Any, queue: str) -> str:
    return (await api(hub, "POST", "/tickets", "kiosk", {"queue": queue}))["ticket"]["number"]


async def login(hub: Any, window: str, who: str) -> None:
    await api(hub, "POST", f"/windows/{window}/login", who, {})


async def call_next(hub: Any, window: str, who: str) -> str:
    data = await api(hub, "POST", f"/windows/{window}/call-next", who)
    assert data["ticket"] is not None, f"nobody waiting for {window}"
    return data["ticket"]["number"]


async def board_token(hub: Any, zone: str) -> str:
    """A display device bound to ``zone`` (the hub fixture only has board-A)."""
    name = f"board-{zone}"
    if name not in hub.tokens:
        hub.tokens[name] = await hub.app[ACCOUNTS].add_device(name, Role.DISPLAY, zone, now=hub.engine.clock.now())
    return hub.tokens[name]


async def silent_back_office_call(hub: Any) -> str:
    """W19 (zone C) accepts a C1 case and transfers it to BO-C, whose staff call it: a silent call."""
    number = await issue(hub, "C1")
    await login(hub, "W19", "staff02")
    assert await call_next(hub, "W19", "staff02") == number
    await api(hub, "POST", "/windows/W19/transfer", "staff02", {"target_kind": "back_office", "target": "BO-C"})
    await login(hub, "BO-C", "staff03")
    assert await call_next(hub, "BO-C", "staff03") == number
    return number
