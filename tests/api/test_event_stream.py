"""The WebSocket event stream: filters, authentication and replay after a reconnect."""
from __future__ import annotations

import aiohttp

from server.api.event_stream import SHUTDOWN_MESSAGE


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


async def refusal_of(ws) -> tuple[dict, int | None]:
    """The one error message of a refused stream and the code it was closed with."""
    message = await ws.receive_json(timeout=5)
    closing = await ws.receive(timeout=5)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    return message, ws.close_code


async def test_stream_requires_a_token(hub):
    """Tried: a plain GET and a WebSocket without a token. Kept: the GET gets the API's JSON 401;
    the WebSocket is told why and closed with 4401, which a page can read (a refused handshake's
    status is invisible to a browser) and does not retry."""
    plain = await hub.client.get("/api/v1/events")
    assert plain.status == 401 and (await plain.json())["error"]["code"] == "unauthorized"
    ws = await hub.client.ws_connect("/api/v1/events")
    message, code = await refusal_of(ws)
    assert message["type"] == "error" and message["code"] == "unauthorized" and message["message"] == "请先登录"
    assert code == 4401


async def test_stream_refusals_carry_their_status_in_the_close_code(hub):
    """Tried: an unknown ticket token, a `since` that is not a number, a device token switched off
    while its board was away. Kept: 4404, 4400, 4401, each after an error message naming why."""
    ws = await hub.client.ws_connect("/api/v1/events?ticket=no-such-ticket")
    message, code = await refusal_of(ws)
    assert (message["code"], code) == ("not_found", 4404)
    ws = await hub.client.ws_connect(f"/api/v1/events?since=abc&token={hub.tokens['manager']}")
    message, code = await refusal_of(ws)
    assert (message["code"], code) == ("bad_request", 4400)
    ws = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['board-A']}")
    await receive_until_hello(ws)
    await ws.close()
    off = await hub.client.post("/api/v1/devices/board-A/active", json={"active": False}, headers=hub.auth("tech"))
    assert off.status == 200
    ws = await hub.client.ws_connect(f"/api/v1/events?since=0&token={hub.tokens['board-A']}")
    message, code = await refusal_of(ws)
    assert (message["code"], code) == ("unauthorized", 4401)


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
    # Asking for another zone with zone A's token: refused (it was streamed zone C).
    ws = await hub.client.ws_connect(f"/api/v1/events?zone=C&token={hub.tokens['board-A']}")
    message, code = await refusal_of(ws)
    assert (message["code"], code) == ("forbidden", 4403) and message["message"] == "本屏只能显示所属分区"


async def test_a_board_stream_carries_no_staff_id_or_personal_data(hub):
    """Tried: a disabled citizen with an ID number issued, called and finished, followed by a
    board's stream and a manager's. Kept: the board's events name no staff id and carry only the
    payload a screen uses (where the call goes, how it is spoken); the manager's carry both."""
    board = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['board-A']}")
    manager = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['manager']}")
    await receive_until_hello(board)
    await receive_until_hello(manager)
    issued = await hub.client.post("/api/v1/tickets", json={"queue": "A1", "priority_class": "disabled",
                                   "person_id": "430224199001011231"}, headers=hub.auth("kiosk"))
    assert issued.status == 201
    await make_calls(hub, 0, window="W01")  # staff01 logs in at W01
    await hub.client.post("/api/v1/windows/W01/call-next", headers=hub.auth("staff01"))
    seen = {"board": [], "manager": []}
    for name, ws in (("board", board), ("manager", manager)):
        while not any(e["kind"] == "ticket.called" for e in seen[name]):
            seen[name].append(await ws.receive_json(timeout=5))
    for event in seen["board"]:
        assert "staff_id" not in event and set(event["payload"]) <= {"window_number", "window_name", "silent", "call_count", "was"}
    called = next(e for e in seen["board"] if e["kind"] == "ticket.called")
    assert (called["number"], called["payload"]["window_number"]) == ("A1001", 1)
    history = await (await hub.client.get("/api/v1/events/history?since=0", headers=hub.auth("board-A"))).json()
    assert history and all("staff_id" not in e and "type" not in e for e in history)
    assert all(set(e["payload"]) <= {"window_number", "window_name", "silent", "call_count", "was"} for e in history)
    by_kind = {e["kind"]: e for e in seen["manager"]}
    assert by_kind["ticket.called"]["staff_id"] == "staff01" and by_kind["ticket.issued"]["payload"]["priority"] is True
    await board.close()
    await manager.close()


async def test_a_zones_board_reads_only_its_zones_history(hub):
    """Tried: zone A's board token reading the event history while tickets are issued in zones A
    and C. Kept: only zone A's events (its stream refuses zone C; the history gave it every
    zone's calls); a manager reads both zones."""
    for queue in ("A1", "C1", "A1"):
        assert (await hub.client.post("/api/v1/tickets", json={"queue": queue}, headers=hub.auth("kiosk"))).status == 201
    board = await (await hub.client.get("/api/v1/events/history?since=0", headers=hub.auth("board-A"))).json()
    assert [e["number"] for e in board] == ["A1001", "A1002"] and {e["zone"] for e in board} == {"A"}
    manager = await (await hub.client.get("/api/v1/events/history?since=0", headers=hub.auth("manager"))).json()
    assert {e["zone"] for e in manager} >= {"A", "C"}


async def test_a_technician_reads_the_events_a_board_reads(hub):
    """Tried: a technician's token on the event history and the stream, after a call and a parked
    case whose note names the citizen's need. Seen: every event with staff ids and notes (the
    ticket reads refuse a technician). Kept: what a board reads, no staff id, no note; a manager
    still reads both."""
    await make_calls(hub, 0, window="W19")
    await hub.client.post("/api/v1/tickets", json={"queue": "C1"}, headers=hub.auth("kiosk"))
    await hub.client.post("/api/v1/windows/W19/call-next", headers=hub.auth("staff01"))
    parked = await hub.client.post("/api/v1/windows/W19/park", json={"note": "回家取户口本"}, headers=hub.auth("staff01"))
    assert parked.status == 200
    tech = await (await hub.client.get("/api/v1/events/history?since=0", headers=hub.auth("tech"))).json()
    assert {e["kind"] for e in tech} >= {"ticket.issued", "ticket.called"}
    assert all("staff_id" not in e and "note" not in e["payload"] for e in tech)
    assert "回家取户口本" not in str(tech)
    ws = await hub.client.ws_connect(f"/api/v1/events?since=0&token={hub.tokens['tech']}")
    replayed, _hello = await receive_until_hello(ws)
    assert replayed and all("staff_id" not in e for e in replayed) and "回家取户口本" not in str(replayed)
    await ws.close()
    manager = await (await hub.client.get("/api/v1/events/history?since=0", headers=hub.auth("manager"))).json()
    assert "回家取户口本" in str(manager) and any(e.get("staff_id") == "staff01" for e in manager)


async def test_a_zones_stream_and_history_carry_its_windows_calls_to_another_zones_tickets(aiohttp_client, tmp_path,
                                                                                             clock):
    """Tried: W01 (zone A) also serving C1 calls a C1 ticket while zone A's board listens; then
    zone A's and zone B's board tokens read the history. Kept: zone A's stream and history carry
    the call (zone A's speaker and LED board announce it, its TV board missed it: the stream went
    by the ticket's zone only), but not the C1 ticket's issue, which is zone C's; zone B's carry
    none of it."""
    from tests.board.hall_actions import board_token
    from tests.conftest import sample_hall_serving, start_hub

    hub = await start_hub(aiohttp_client, tmp_path / "data", clock, config=sample_hall_serving({"W01": "C1"}))
    ws = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['board-A']}")
    await receive_until_hello(ws)
    await make_calls(hub, 1, queue="C1", window="W01")
    seen = [await ws.receive_json(timeout=5)]
    while seen[-1]["kind"] != "ticket.called":
        seen.append(await ws.receive_json(timeout=5))
    called = seen[-1]
    assert (called["number"], called["zone"], called["window_id"]) == ("C1001", "C", "W01")
    assert [e["kind"] for e in seen] == ["window.login", "ticket.called"]  # not C1's issue
    await ws.close()
    history = await (await hub.client.get("/api/v1/events/history?since=0", headers=hub.auth("board-A"))).json()
    assert [(e["kind"], e["number"]) for e in history if e["number"]] == [("ticket.called", "C1001")]
    board_b = {"Authorization": f"Bearer {await board_token(hub, 'B')}"}
    assert await (await hub.client.get("/api/v1/events/history?since=0", headers=board_b)).json() == []


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


async def test_a_citizen_stream_follows_its_ticket_into_another_queue(hub):
    """Tried: a C1 ticket's stream, the ticket transferred at W19 to queue A1 and called at W01,
    with traffic in an unrelated queue in between. Kept: the window's opening and the call at W01
    reach the phone (the stream stayed on C1 and missed them); B1's tickets never do."""
    body = await (await hub.client.post("/api/v1/tickets", json={"queue": "C1"}, headers=hub.auth("kiosk"))).json()
    ws = await hub.client.ws_connect(f"/api/v1/events?ticket={body['ticket']['status_token']}")
    await receive_until_hello(ws)
    w19, w01 = hub.auth("staff01"), hub.auth("staff02")
    for path, who, payload in (("/windows/W19/login", w19, {}), ("/windows/W19/call-next", w19, None),
                               ("/windows/W19/transfer", w19, {"target_kind": "queue", "target": "A1"}),
                               ("/tickets", hub.auth("kiosk"), {"queue": "B1"}), ("/windows/W01/login", w01, {}),
                               ("/windows/W01/call-next", w01, None)):
        response = await hub.client.post(f"/api/v1{path}", json=payload, headers=who)
        assert response.status in (200, 201), await response.text()
    seen = []
    while not seen or seen[-1][0] != "ticket.called" or seen[-1][1] != "A1":
        message = await ws.receive_json(timeout=5)
        seen.append((message["kind"], message["queue"], message["window_id"], message["number"]))
    assert ("ticket.transferred", "A1", "W19", "C1001") in seen
    assert ("window.login", None, "W01", None) in seen  # A1's estimate changes with it
    assert seen[-1] == ("ticket.called", "A1", "W01", "C1001")
    assert all(queue != "B1" for _, queue, _, _ in seen)
    await ws.close()


async def test_a_live_stream_ends_when_its_token_is_switched_off(hub, clock):
    """Tried: a zone board listening while its device token is switched off, then a kiosk issuing
    in its zone, before and after the stream's recheck time. Kept: within the recheck time the
    event still arrives; after it the board receives no further event but the refusal (4401).
    A manager's stream alongside goes on receiving."""
    board = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['board-A']}")
    manager = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['manager']}")
    await receive_until_hello(board)
    await receive_until_hello(manager)
    off = await hub.client.post("/api/v1/devices/board-A/active", json={"active": False}, headers=hub.auth("tech"))
    assert off.status == 200
    await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=hub.auth("kiosk"))
    assert (await board.receive_json(timeout=5))["kind"] == "ticket.issued"  # checked less than 10 s ago
    assert (await manager.receive_json(timeout=5))["kind"] == "ticket.issued"
    clock.advance(11)
    await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=hub.auth("kiosk"))
    message, code = await refusal_of(board)
    assert (message["type"], message["code"], code) == ("error", "unauthorized", 4401)
    issued = await manager.receive_json(timeout=5)
    assert issued["kind"] == "ticket.issued" and issued["number"] == "A1002"
    await manager.close()


async def test_a_stream_declines_compression_a_browser_offers(hub):
    """Tried: a phone's or board's browser offering permessage-deflate, as Chromium does. Kept: the
    stream carries its events uncompressed (each compressed stream held ~100 KB more of the hub's
    memory for a few hundred bytes an event; bench/stream_memory.py) and still delivers them."""
    ws = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['board-A']}", compress=15)
    assert ws.compress == 0
    await receive_until_hello(ws)
    await make_calls(hub, 1, queue="A1", window="W01")
    kinds = [(await ws.receive_json(timeout=5))["kind"] for _ in range(3)]
    assert kinds == ["window.login", "ticket.issued", "ticket.called"]
    await ws.close()


async def test_a_stream_opened_while_the_hub_stops_is_closed_at_once(hub):
    """Tried: a board whose connection arrives after the hub began to stop (its handshake was in
    flight when the open streams were closed). Kept: it is closed at once with 1001 going away and
    the reconnect-with-since reason, as the open ones were, not held open until the shutdown
    timeout; a stream open before the stop got the same."""
    before = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['board-A']}")
    await receive_until_hello(before)
    await hub.app.shutdown()  # the hub's on_shutdown: the open streams are closed
    closing = await before.receive(timeout=5)
    assert (closing.type, before.close_code, closing.extra) == (aiohttp.WSMsgType.CLOSE, 1001, SHUTDOWN_MESSAGE.decode())

    late = await hub.client.ws_connect(f"/api/v1/events?token={hub.tokens['board-A']}")
    closing = await late.receive(timeout=5)
    assert closing.type == aiohttp.WSMsgType.CLOSE, f"the late stream was served: {closing}"
    assert (late.close_code, closing.extra) == (1001, SHUTDOWN_MESSAGE.decode())
