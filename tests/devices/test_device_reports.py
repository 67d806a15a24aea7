"""Kiosks say how they are, and the technician sees it at the hub (server/devices/reports.py)."""
from __future__ import annotations


async def status(hub) -> dict:  # type: ignore[no-untyped-def]
    r = await hub.client.get("/api/v1/devices/status", headers=hub.auth("tech"))
    assert r.status == 200
    return {d["name"]: d for d in (await r.json())["devices"]}


async def test_a_kiosk_low_on_paper_shows_at_the_hub_and_one_gone_quiet_too(hub, clock) -> None:
    """Tried: the kiosk reporting paper near end twice, then paper out; the board never
    reporting; then three minutes without a word from the kiosk. Kept: the technician's status
    lists both devices, the kiosk with its latest state and detail, the board as never reported;
    each change is one device.state event (a repeat is none); after three silent minutes the kiosk
    shows as silent with its last state."""
    url = "/api/v1/devices/me/state"
    for _ in range(2):
        r = await hub.client.post(url, json={"state": "paper_near_end", "detail": "纸将尽"}, headers=hub.auth("kiosk"))
        assert r.status == 200
    seen = await status(hub)
    assert (seen["kiosk-1"]["state"], seen["kiosk-1"]["detail"], seen["kiosk-1"]["kind"]) == ("paper_near_end", "纸将尽", "kiosk")
    assert seen["board-A"]["state"] == "never_reported" and seen["board-A"]["last_seen"] is None
    await hub.client.post(url, json={"state": "paper_out"}, headers=hub.auth("kiosk"))
    events = [e.payload for e in await hub.engine.events_since(0) if e.kind == "device.state"]
    assert events == [{"device": "kiosk-1", "state": "paper_near_end", "detail": "纸将尽"},
                      {"device": "kiosk-1", "state": "paper_out", "detail": ""}]
    clock.advance(181)
    quiet = (await status(hub))["kiosk-1"]
    assert quiet["state"] == "silent" and "paper_out" in quiet["detail"]


async def test_only_devices_report_and_only_known_states(hub) -> None:
    """Tried: staff posting a device state, a kiosk posting a made-up state, a kiosk reading the
    technicians' status. Kept: 403, 400 and 403; nothing recorded."""
    url = "/api/v1/devices/me/state"
    assert (await hub.client.post(url, json={"state": "ok"}, headers=hub.auth("staff01"))).status == 403
    assert (await hub.client.post(url, json={"state": "on_fire"}, headers=hub.auth("kiosk"))).status == 400
    assert (await hub.client.get("/api/v1/devices/status", headers=hub.auth("kiosk"))).status == 403
    assert not [e for e in await hub.engine.events_since(0) if e.kind == "device.state"]
