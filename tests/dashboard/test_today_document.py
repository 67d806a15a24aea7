"""The dashboard's document (GET /api/v1/stats/today) read through the real hub on SQLite."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event

from server.api.keys import CONFIG, DATABASE
from server.engine.clock import ManualClock
from server.storage import statements as sql
from tests.conftest import Hub
from tests.dashboard.conftest import post


async def test_the_queues_and_back_offices_come_from_one_read_of_the_cases_sent_on(web_hub: Hub, clock: ManualClock) -> None:
    """Tried: three C1 cases: one sent to BO-C (nobody in), one sent to W20, one still in line;
    then the dashboard's document. Kept: C1 counts the one in line and the one W20 will call
    (2, 1 of them in line), BO-C its own case (not in C1's count) with its wait and the unstaffed
    alert; and the cases sent on (WAITING_FOR_WINDOWS) were read once for the document, where
    the queues and the back offices each read them (twice, in two transactions)."""
    for _ in range(3):
        await post(web_hub, "/tickets", "kiosk", {"queue": "C1"})
    await post(web_hub, "/windows/W19/login", "staff01")
    await post(web_hub, "/windows/W20/login", "staff02")
    await post(web_hub, "/windows/W19/call-next", "staff01")
    await post(web_hub, "/windows/W19/transfer", "staff01", {"target_kind": "back_office", "target": "BO-C"})
    clock.advance(600)
    await post(web_hub, "/windows/W19/call-next", "staff01")
    await post(web_hub, "/windows/W19/transfer", "staff01", {"target_kind": "window", "target": "W20"})

    database = web_hub.app[DATABASE]
    assert database.read_engine is not None  # the hub's SQLite readers
    sent_on = str(sql.WAITING_FOR_WINDOWS.compile(database.read_engine))
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(database.read_engine, "before_cursor_execute", seen)
    try:
        response = await web_hub.client.get("/api/v1/stats/today", headers=web_hub.auth("manager"))
    finally:
        event.remove(database.read_engine, "before_cursor_execute", seen)
    assert response.status == 200, await response.text()
    data = await response.json()

    c1 = next(q for z in data["zones"] if z["code"] == "C" for q in z["queues"] if q["prefix"] == "C1")
    assert (c1["waiting"], c1["in_line"]) == (2, 1)
    room = next(b for b in data["back_offices"] if b["id"] == "BO-C")
    assert (room["waiting"], room["on_hold"], room["longest_wait_s"]) == (1, 0, 600)
    assert "不动产登记后台审批室：1 件待办，无人在岗" in [a["message"] for a in data["alerts"]]
    assert statements.count(sent_on) == 1, [s for s in statements if "target_window" in s]


async def test_todays_no_show_rate_is_over_the_tickets_called(web_hub: Hub, clock: ManualClock) -> None:
    """Tried: six A1 tickets today: one served, one a no-show, one passed on to A2 and waiting
    there, one a no-show that came back late (re-queued), one in a call at W01 now, one never
    called; then the dashboard's document for the manager and for the chiefs of A1's and A2's
    units. Seen: no_show_rate 0.5, the one no-show over the two tickets that had ended (the facts
    hold ended tickets only). Kept: 0.2, the no-show over the five tickets called (HALL.md:
    no-shows / tickets called), in the totals and in zone A's card; A1's chief reads the same,
    A2's (whose queue only received the case passed on) has no rate, as it has no ticket."""
    from tests.dashboard.test_report_page import chief_of

    tickets = [(await post(web_hub, "/tickets", "kiosk", {"queue": "A1"}))["ticket"] for _ in range(6)]
    await post(web_hub, "/windows/W01/login", "staff01")

    async def step(action: str, body: dict | None = None) -> dict:
        clock.advance(60)
        return await post(web_hub, f"/windows/W01/{action}", "staff01", body)

    for action in ("call-next", "start", "finish"):  # the first: served
        await step(action, {"outcome": "completed"} if action == "finish" else None)
    await step("call-next")
    await step("no-show")  # the second: a no-show
    await step("call-next")
    await step("start")
    await step("transfer", {"target_kind": "queue", "target": "A2"})  # the third: waiting in A2
    assert (await step("call-next"))["ticket"]["number"] == tickets[3]["number"]
    await step("no-show")
    await post(web_hub, f"/late/{tickets[3]['number']}", "staff01")  # the fourth came back: waiting again
    await step("call", {"number": tickets[4]["number"]})  # the fifth: in a call now; the sixth waits

    def rates(document: dict) -> tuple:
        return document["totals"]["no_show_rate"], {z["code"]: z["no_show_rate"] for z in document["zones"]}

    whole = await (await web_hub.client.get("/api/v1/stats/today", headers=web_hub.auth("manager"))).json()
    assert whole["totals"]["no_shows"] == 1
    assert rates(whole)[0] == 0.2 and rates(whole)[1]["A"] == 0.2
    a1 = web_hub.engine.config.queue("A1").unit
    a2 = web_hub.engine.config.queue("A2").unit
    for unit, expected in ((a1, 0.2), (a2, None)):
        chief = await chief_of(web_hub, f"chief-{unit}", unit)
        document = await (await web_hub.client.get("/api/v1/stats/today", headers=web_hub.auth(chief))).json()
        assert rates(document) == (expected, {"A": expected}), unit


async def test_a_call_in_the_hall_counts_in_the_zone_that_issued_the_ticket(web_hub: Hub) -> None:
    """Tried: three C1 tickets at W19 (zone C): one a no-show, one called and passed on to queue
    A1 in zone A where it waits now, one never called; the dashboard's document for the manager
    and for the chiefs of C1's and A1's units. Kept: zone C's no-show rate is 0.5, the no-show
    over the two tickets C called, and zone A has none: the call still in the hall counts where
    the day's record and the facts put the ticket (its issuing queue's zone and unit,
    metrics.record_keys), as the cards' 取号 do, not in the zone where the citizen waits now
    (which would read 1.0 in C and 0.0 in A)."""
    from tests.dashboard.test_report_page import chief_of

    config = web_hub.app[CONFIG]
    for _ in range(3):
        await post(web_hub, "/tickets", "kiosk", {"queue": "C1"})
    await post(web_hub, "/windows/W19/login", "staff01")
    await post(web_hub, "/windows/W19/call-next", "staff01")
    await post(web_hub, "/windows/W19/no-show", "staff01")
    await post(web_hub, "/windows/W19/call-next", "staff01")
    await post(web_hub, "/windows/W19/transfer", "staff01", {"target_kind": "queue", "target": "A1"})

    async def rates(who: str) -> tuple[Any, dict[str, Any], dict[str, int]]:
        document = await (await web_hub.client.get("/api/v1/stats/today", headers=web_hub.auth(who))).json()
        zones = {z["code"]: z for z in document["zones"]}
        return (document["totals"]["no_show_rate"], {code: z["no_show_rate"] for code, z in zones.items()},
                {code: z["waiting"] for code, z in zones.items()})

    total, by_zone, waiting = await rates("manager")
    assert (total, by_zone["C"], by_zone["A"]) == (0.5, 0.5, None)
    assert (waiting["C"], waiting["A"]) == (1, 1)  # where citizens wait now: one in each
    c_unit, a_unit = config.queue("C1").unit, config.queue("A1").unit
    assert c_unit != a_unit
    total, by_zone, _ = await rates(await chief_of(web_hub, "chief-c", c_unit))
    assert (total, by_zone["C"]) == (0.5, 0.5)
    total, by_zone, _ = await rates(await chief_of(web_hub, "chief-a", a_unit))
    assert (total, by_zone) == (None, {"A": None})
