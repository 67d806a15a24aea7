"""The WebSocket event stream: filters, authentication and replay after a reconnect."""
from __future__ import annotations

import aiohttp
import pytest


async def receive_until_hello(ws) -> tuple[list[dict], dict]:
    events = []
    while True:
        message = await ws.receive_json(timeout=5)
        if message["type"] == "hello":
            return events, message
        events.append(message)


async def make_calls(hub, count: int, queue="C1", window="W19"):
    staff = hub.auth("staff01")
    await hub.client.post(f"/api/v1/windows/{window}/login", json={}, headers=staff)
    for _ in range(count):
        await hub.client.post("/api/v1/tickets", json={"queue": queue}, headers=hub.auth("kiosk"))
        await hub.client.post(f"/api/v1/windows/{window}/call-next", headers=staff)
        await hub.client.post(f"/api/v1/windows/{window}/finish", json={}, headers=staff)


async def test_stream_requires_a_token(hub):
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await hub.client.ws_connect("/api/v1/events")
    assert err.value.status == 401


async def test_live_events_arrive_in_sequence(hub):
    ws = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['manager']}")
    _, hello = await receive_until_hello(ws)
    await make_calls(hub, 2)
    kinds, seqs = [], []
    while len(kinds) < 7:
        message = await ws.receive_json(timeout=5)
        kinds.append(message["kind"])
        seqs.append(message["seq"])
    assert kinds[0] == "window.login" and kinds.count("ticket.called") == 2
    assert seqs == sorted(seqs) and seqs[0] > hello["last_seq"]
    await ws.close()


async def test_replay_after_reconnect_misses_nothing(hub):
    ws = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['manager']}")
    _, hello = await receive_until_hello(ws)
    await ws.close()
    await make_calls(hub, 3)  # the board is disconnected while these happen
    ws = await hub.client.ws_connect(f"/api/v1/events?since={hello['last_seq']}&token={hub.tokens['manager']}")
    missed, hello2 = await receive_until_hello(ws)
    assert [e["kind"] for e in missed].count("ticket.called") == 3
    assert all(e["replay"] for e in missed)
    assert hello2["last_seq"] == missed[-1]["seq"]
    await ws.close()


async def test_zone_filter_and_display_device_zone(hub):
    ws = await hub.client.ws_connect(f"/api/v1/events?since=0&token={hub.tokens['board-A']}")
    await make_calls(hub, 1, queue="C1", window="W19")  # zone C
    await make_calls(hub, 1, queue="A1", window="W01")  # zone A
    events, _ = await receive_until_hello(ws)
    message = await ws.receive_json(timeout=5)
    seen = events + [message]
    while len([e for e in seen if e["kind"] == "ticket.called"]) < 1:
        seen.append(await ws.receive_json(timeout=5))
    assert all(e["zone"] == "A" for e in seen), "a zone A board sees only zone A"
    await ws.close()


async def test_citizen_stream_by_ticket_token_hides_staff(hub):
    body = await (await hub.client.post("/api/v1/tickets", json={"queue": "C1"}, headers=hub.auth("kiosk"))).json()
    ws = await hub.client.ws_connect(f"/api/v1/events?ticket={body['ticket']['status_token']}")
    await receive_until_hello(ws)
    await make_calls(hub, 1)
    while True:
        message = await ws.receive_json(timeout=5)
        assert "staff_id" not in message
        if message["kind"] == "ticket.called":
            assert message["number"] == "C1001" and message["payload"]["window_name"] == "19号窗口"
            break
    await ws.close()
