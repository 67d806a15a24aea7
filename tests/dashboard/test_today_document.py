"""The dashboard's document (GET /api/v1/stats/today) read through the real hub on SQLite."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event

from server.api.keys import DATABASE
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
