"""A chief representative (首席代表) reads their own unit's tickets and events on the hall's staff
reads (`/tickets`, `/tickets/{id}`, `/tickets/{id}/events`, `/events/history`), by the unit rule
their reports count by (server/stats/unit_scope.py), and still everything a clerk needs at the
window they sit at (server/api/chief_scope.py).

The sample hall: A1 is 县民政局 U01's queue and A2 U02's, both served at the shared W01 (no unit);
B1 is 县市场监督管理局 U08's, served at U08's W11; B2 is U09's.
"""
from __future__ import annotations

import unittest.mock

from server.accounts import Principal, Role
from server.api.keys import ACCOUNTS
from server.engine.views import IssueRequest, TicketView
from tests.conftest import HUB_PASSWORD, Hub, _hub_password_hash


async def _chiefs(hub: Hub, **units: str | None) -> None:
    """Chief accounts (name → unit, None for an account with no unit), signed in."""
    accounts, now = hub.app[ACCOUNTS], hub.engine.clock.now()
    with unittest.mock.patch("server.accounts.hash_password", return_value=_hub_password_hash()):
        for name, unit in units.items():
            await accounts.add_user(name, HUB_PASSWORD, Role.CHIEF, f"首席{unit}", unit, now=now)
            hub.tokens[name] = await accounts.open_session(Principal(name, Role.CHIEF, False, name, unit), now=now)


async def _issue(hub: Hub, *queues: str) -> dict[str, TicketView]:
    return {queue: (await hub.engine.issue(IssueRequest(queue=queue))).ticket for queue in queues}


async def _get(hub: Hub, who: str, path: str) -> list[dict[str, object]]:
    response = await hub.client.get(f"/api/v1{path}", headers=hub.auth(who))
    assert response.status == 200, (who, path, await response.text())
    return await response.json()


async def _numbers(hub: Hub, who: str, path: str) -> list[str]:
    return [str(t["number"]) for t in await _get(hub, who, path)]


async def _history_tickets(hub: Hub, who: str) -> set[object]:
    return {e["ticket_id"] for e in await _get(hub, who, "/events/history")}


async def test_a_chief_reads_only_their_units_tickets_and_events(hub: Hub) -> None:
    """Tried: tickets of U01 (A1), U02 (A2), U08 (B1) and U09 (B2) in the hall; U08's chief, at
    no window, lists the tickets (with and without filters), reads one of another unit's and the
    event history. Before: every unit's, the whole hall's. Kept: U08's only (B1), another unit's
    ticket and its events refused 403; a chief's account with no unit refused 403 as its reports
    are; plain staff and the manager read the whole hall as before."""
    await _chiefs(hub, chief08="U08", chief00=None)
    issued = await _issue(hub, "A1", "A2", "B1", "B2")
    every = sorted(t.number for t in issued.values())
    b1 = issued["B1"]

    assert await _numbers(hub, "chief08", "/tickets") == [b1.number]
    assert await _numbers(hub, "chief08", "/tickets?status=waiting") == [b1.number]
    assert await _numbers(hub, "chief08", "/tickets?queue=B2") == []
    assert await _history_tickets(hub, "chief08") == {b1.id}
    for path in (f"/tickets/{issued['B2'].id}", f"/tickets/{issued['A1'].id}/events"):
        refused = await hub.client.get(f"/api/v1{path}", headers=hub.auth("chief08"))
        error = (await refused.json())["error"]
        assert (refused.status, error["code"], error["message"]) == (403, "forbidden", "首席代表只能查看本单位的号票"), path
    assert (await _get(hub, "chief08", f"/tickets/{b1.id}"))["number"] == b1.number  # type: ignore[call-overload]
    assert [e["kind"] for e in await _get(hub, "chief08", f"/tickets/{b1.id}/events")] == ["ticket.issued"]

    for path in ("/tickets", "/events/history", f"/tickets/{b1.id}"):
        refused = await hub.client.get(f"/api/v1{path}", headers=hub.auth("chief00"))
        error = (await refused.json())["error"]
        assert (refused.status, error["message"]) == (403, "首席代表账号未设置所属单位，请联系管理员"), path

    for who in ("staff01", "manager", "admin"):
        assert sorted(await _numbers(hub, who, "/tickets")) == every, who
        assert await _history_tickets(hub, who) >= {t.id for t in issued.values()}, who
        assert (await _get(hub, who, f"/tickets/{issued['A2'].id}"))["number"] == issued["A2"].number  # type: ignore[call-overload]


async def test_a_chief_at_a_window_reads_what_their_window_works(hub: Hub) -> None:
    """Tried: U01's chief signs in at the shared W01 (A1-A7), calls and parks an A2 case (U02's)
    with a note, finds a B1 case (U08's) sent to W01 by W11's clerk, and opens 指定叫号 (A2's
    line). Kept: as for any clerk at W01, the parked A2 case, its events (the 挂起 note), the case
    sent there and A2's waiting line, and their events in the history; once W01 is handed
    over to a colleague, the chief reads U01's tickets only again."""
    await _chiefs(hub, chief01="U01")
    first_a2, second_a2 = (await _issue(hub, "A2"))["A2"], (await _issue(hub, "A2"))["A2"]
    b1, a1 = (await _issue(hub, "B1", "A1")).values()
    chief = hub.auth("chief01")
    assert (await hub.client.post("/api/v1/windows/W01/login", json={}, headers=chief)).status == 200
    called = await hub.client.post("/api/v1/windows/W01/call", json={"number": first_a2.number}, headers=chief)
    assert called.status == 200
    parked = await hub.client.post("/api/v1/windows/W01/park", json={"note": "市民回家取户口本"}, headers=chief)
    assert parked.status == 200
    await hub.engine.login("W11", "staff02")
    await hub.engine.call_ticket("W11", b1.number)
    await hub.engine.transfer("W11", "window", "W01", "需综合窗口受理")

    assert await _numbers(hub, "chief01", "/tickets?status=on_hold&window=W01") == [first_a2.number]
    events = await _get(hub, "chief01", f"/tickets/{first_a2.id}/events")
    assert [e["payload"].get("note") for e in events if e["kind"] == "ticket.parked"] == ["市民回家取户口本"]  # type: ignore[union-attr]
    assert await _numbers(hub, "chief01", "/tickets?status=waiting&target_window=W01") == [b1.number]
    assert await _numbers(hub, "chief01", "/tickets?status=waiting&queue=A2") == [second_a2.number]
    assert await _history_tickets(hub, "chief01") >= {first_a2.id, second_a2.id, b1.id, a1.id}

    await hub.engine.hand_over("W01", "staff03")  # 交接: W01 and its parked case are staff03's now
    assert await _numbers(hub, "chief01", "/tickets?status=on_hold&window=W01") == []
    assert await _numbers(hub, "chief01", "/tickets") == [a1.number]
    assert await _history_tickets(hub, "chief01") - {None} == {a1.id}


async def test_a_chiefs_stream_gives_other_units_events_as_a_board_shows_them(hub: Hub) -> None:
    """Tried: U08's chief opens the event stream with since=0 (a reconnecting dashboard does), and
    keeps it open, while W01 calls and parks another unit's A1 case with a note. It was: every
    unit's events whole, staff and notes, in the replay and live, round /events/history's scope.
    Kept: every event still comes (the stream is what tells the dashboard and the pad to read
    again), another unit's as a board shows them, without staff or payload beyond a board's; their
    own unit's B1 whole."""
    await _chiefs(hub, chief08="U08")
    issued = await _issue(hub, "A1", "A2", "B1", "B2")
    await hub.engine.login("W01", "staff01")
    await hub.engine.call_ticket("W01", issued["A1"].number)
    ws = await hub.client.ws_connect(f"/api/v1/events?since=0&token={hub.tokens['chief08']}")
    try:
        replayed = []
        while (message := await ws.receive_json(timeout=10))["type"] != "hello":
            replayed.append(message)
        assert {m["ticket_id"] for m in replayed if m["ticket_id"]} == {t.id for t in issued.values()}
        own = [m["payload"] for m in replayed if m["ticket_id"] == issued["B1"].id]
        assert own == [e.payload for e in await hub.engine.ticket_events(issued["B1"].id)]  # whole
        assert any(set(p) - {"window_number", "window_name", "silent", "call_count", "was", "target_kind"} for p in own)
        called = next(m for m in replayed if m["kind"] == "ticket.called")
        assert called["number"] == issued["A1"].number and "staff_id" not in called
        await hub.engine.park("W01", "回去取材料，电话13812345678")
        parked = await ws.receive_json(timeout=10)
        while parked["kind"] != "ticket.parked":
            parked = await ws.receive_json(timeout=10)
        assert parked["number"] == issued["A1"].number
        assert "staff_id" not in parked and "note" not in parked["payload"]
    finally:
        await ws.close()


async def test_a_chief_at_a_shared_window_reads_its_line_not_the_queues_whole_day(hub: Hub) -> None:
    """Tried: U01's chief signs in at the shared W01 (it serves U02's A2) after W02 finished one A2
    case and marked another no-show, with a third waiting. It was: every A2 ticket of the day was
    theirs, the one finished at W02 with its events and notes too. Kept: the waiting one and the
    no-show (过号重排 may put it back at W01) are listed, the finished one is not and is a 403."""
    await _chiefs(hub, chief01="U01")
    done, late, waiting = (await _issue(hub, "A2"))["A2"], (await _issue(hub, "A2"))["A2"], (await _issue(hub, "A2"))["A2"]
    await hub.engine.login("W02", "staff02")
    await hub.engine.call_ticket("W02", done.number)
    await hub.engine.finish("W02")
    await hub.engine.call_ticket("W02", late.number)
    await hub.engine.no_show("W02")
    assert (await hub.client.post("/api/v1/windows/W01/login", json={}, headers=hub.auth("chief01"))).status == 200
    assert await _numbers(hub, "chief01", "/tickets") == [late.number, waiting.number]
    refused = await hub.client.get(f"/api/v1/tickets/{done.id}/events", headers=hub.auth("chief01"))
    assert refused.status == 403
