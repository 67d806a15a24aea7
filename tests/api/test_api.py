"""The HTTP API: contract, roles, errors on bad input, idempotency and the OpenAPI document."""
from __future__ import annotations

import asyncio
import re

import pytest

from server.api.keys import CONFIG
from server.app import api_routes
from tests.conftest import HUB_PASSWORD


async def issue(hub, queue="A1", key=None, who="kiosk", **extra):
    headers = hub.auth(who) | ({"Idempotency-Key": key} if key else {})
    return await hub.client.post("/api/v1/tickets", json={"queue": queue, **extra}, headers=headers)


async def test_full_visit_through_the_api(hub):
    r = await issue(hub, "C1")
    assert r.status == 201
    body = await r.json()
    assert body["ticket"]["number"] == "C1001" and body["people_ahead"] == 0
    staff = hub.auth("staff01")
    w = "/api/v1/windows/W19"
    assert (await hub.client.post(f"{w}/login", json={}, headers=staff)).status == 200
    called = await (await hub.client.post(f"{w}/call-next", headers=staff)).json()
    assert called["ticket"]["number"] == "C1001" and called["ticket"]["status"] == "called"
    assert (await hub.client.post(f"{w}/recall", headers=staff)).status == 200
    assert (await (await hub.client.post(f"{w}/start", headers=staff)).json())["status"] == "serving"
    done = await (await hub.client.post(f"{w}/finish", json={"outcome": "completed"}, headers=staff)).json()
    assert done["status"] == "finished" and done["outcome"] == "completed"
    events = await (await hub.client.get(f"/api/v1/tickets/{done['id']}/events", headers=staff)).json()
    assert [e["kind"] for e in events] == [
        "ticket.issued", "ticket.called", "ticket.recalled", "ticket.serving", "ticket.finished"
    ]
    empty = await (await hub.client.post(f"{w}/call-next", headers=staff)).json()
    assert empty == {"ticket": None, "empty": True}


async def test_state_changes_need_authentication_and_the_right_role(hub):
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1"})
    assert r.status == 401 and (await r.json())["error"]["code"] == "unauthorized"
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers={"Authorization": "Bearer nonsense"})
    assert r.status == 401
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=hub.auth("board-A"))
    error = (await r.json())["error"]
    assert r.status == 403 and (error["code"], error["message"]) == ("forbidden", "无权进行此操作")
    assert error["message_en"] == "role display may not use POST /api/v1/tickets (Issue a ticket)"
    r = await hub.client.post("/api/v1/windows/W01/login", json={}, headers=hub.auth("kiosk"))
    assert r.status == 403
    r = await hub.client.post("/api/v1/users", json={"username": "x", "password": "12345", "role": "staff"}, headers=hub.auth("manager"))
    assert r.status == 403
    # Nothing was issued by any refused request.
    assert (await hub.engine.queues(["A1"]))[0].issued_today == 0


async def test_staff_act_only_at_their_own_window(hub):
    await issue(hub, "A1")
    await hub.client.post("/api/v1/windows/W01/login", json={}, headers=hub.auth("staff01"))
    r = await hub.client.post("/api/v1/windows/W01/call-next", headers=hub.auth("staff02"))
    assert r.status == 403 and (await r.json())["error"]["code"] == "not_your_window"
    r = await hub.client.post("/api/v1/windows/W01/call-next", headers=hub.auth("manager"))
    assert r.status == 200, "a manager may act at any window"


async def test_errors_carry_code_and_chinese_and_english_messages(hub):
    await hub.client.post("/api/v1/windows/W01/login", json={}, headers=hub.auth("staff01"))
    r = await hub.client.post("/api/v1/windows/W01/recall", headers=hub.auth("staff01"))
    assert r.status == 409
    error = (await r.json())["error"]
    assert error["code"] == "invalid_state"
    assert re.search(r"[\u4e00-\u9fff]", error["message"]) and error["message_en"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"[1,2]", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b'{"queue": 7}', "invalid_body"),
        (b'{"queue": "A1", "colour": "red"}', "invalid_body"),
        (b'{"queue": "ZZ"}', "not_found"),
        (b"{}", "bad_request"),
        (b'{"queue": "A1", "priority_class": "vip"}', "bad_request"),
        (b'{"queue": "A1", "person_id": "1"}', "invalid_body"),
        ('{"queue": "A1", "person_id": "abcd"}'.encode(), "invalid_body"),
    ],
)
async def test_malformed_issue_requests_are_refused_clearly_and_issue_nothing(hub, body, code):
    r = await hub.client.post(
        "/api/v1/tickets", data=body, headers=hub.auth("kiosk") | {"Content-Type": "application/json"}
    )
    assert 400 <= r.status < 500
    assert (await r.json())["error"]["code"] == code
    assert sum(q.issued_today for q in await hub.engine.queues()) == 0


async def test_json_nested_past_the_stack_is_refused_as_malformed(hub):
    """Tried: 30,000 nested arrays (60 KB, under the body limit) posted to the sign-in, which
    anyone may reach. Kept: a 400 malformed_json like any unreadable body (it was a 500 with a
    traceback in the log), and the hub answers the next request as before."""
    nested = b"[" * 30000 + b"]" * 30000
    r = await hub.client.post("/api/v1/auth/login", data=nested, headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert (await r.json())["error"]["code"] == "malformed_json"
    r = await hub.client.post("/api/v1/auth/login", json={"username": "admin", "password": "pass-1234"})
    assert r.status == 200


@pytest.mark.parametrize(("person_id", "reason"), [
    ("430224199001011234", "身份证号校验位不符"),   # one digit mistyped: the check digit catches it
    ("430224199013011239", "出生日期不对"),         # month 13, with a matching check digit
    ("43022419900101123", "号码位数不对"),          # a digit missing
    ("1381234567", "号码位数不对"),                 # a phone a digit short
    ("abcd", "不是有效的证件号码"),
    ("43022419900101123!", "只能含数字和字母"),
])
async def test_a_mistyped_person_id_is_refused_in_chinese_and_uses_no_number(hub, person_id, reason):
    """Tried: document numbers a kiosk keypad or a clerk can get wrong. Kept: no ticket and no
    number used; the reason in Chinese, naming the field (it was accepted and counted as someone
    else for the per-person daily cap)."""
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1", "person_id": person_id}, headers=hub.auth("kiosk"))
    error = (await r.json())["error"]
    assert (r.status, error["code"]) == (400, "invalid_body")
    assert "person_id" in error["message"] and reason in error["message"], error
    assert error["details"]["problems"][0]["type"] == "person_id"
    r = await hub.client.post("/api/v1/appointments", json={
        "code": "YY-2001", "day": "2026-11-27", "queue": "A1", "slot_start": "09:00", "slot_end": "09:30", "person_id": person_id,
    }, headers=hub.auth("manager"))
    assert r.status == 400 and reason in (await r.json())["error"]["message"]
    assert sum(q.issued_today for q in await hub.engine.queues()) == 0
    # a full-width digit from an input method is that digit (it was refused as 只能含数字和字母)
    for good in ("430224199001011231", "43022419900101108x", "430224 1990 0101 1231", "13812345678", "E12345678", "H12345678",
                 "4302241990０1011231"):
        ok = await hub.client.post("/api/v1/tickets", json={"queue": "B1", "person_id": good}, headers=hub.auth("kiosk"))
        assert ok.status == 201, (good, await ok.json())


async def test_every_post_route_refuses_garbage_with_a_json_error(hub):
    """Bad input on every route: a JSON error, never a crash, never a state change."""
    before = await hub.engine.last_seq()
    for route in api_routes():
        if route.method != "POST":
            continue
        path = re.sub(r"{ticket_id}", "1", route.path)
        path = re.sub(r"{window_id}", "W01", path)
        path = re.sub(r"{\w+}", "X", path)
        r = await hub.client.post(path, data=b"\x00garbage", headers=hub.auth("admin") | {"Content-Type": "application/json"})
        assert 400 <= r.status < 500, (path, r.status)
        assert "error" in await r.json(), path
    assert await hub.engine.last_seq() == before


async def test_a_refused_body_names_each_field_and_what_is_wrong_with_it(hub):
    """Tried: a cancel without its reason, an issue with a number for the queue and an unknown
    field. Kept: the Chinese message names each field and the problem (not just 请求参数不正确),
    the English one too, and the details list them; fields in Chinese with the name as sent
    ("reason 太短" told a manager nothing); nothing was issued or cancelled."""
    r = await hub.client.post("/api/v1/tickets/1/cancel", json={}, headers=hub.auth("manager"))
    error = (await r.json())["error"]
    assert r.status == 400 and error["message"] == "请求参数不正确：理由（reason）缺少此项"
    assert error["message_en"] == "invalid request body: reason: Field required"
    r = await issue(hub, 7, colour="red")
    error = (await r.json())["error"]
    assert error["message"] == "请求参数不正确：队列（queue）类型不对；colour 不支持此项"
    assert [p["field"] for p in error["details"]["problems"]] == ["queue", "colour"]
    assert sum(q.issued_today for q in await hub.engine.queues()) == 0


async def test_oversized_body_is_refused(hub):
    r = await hub.client.post("/api/v1/tickets", data=b"{" + b" " * 70000 + b"}", headers=hub.auth("kiosk"))
    assert r.status == 413


async def test_unknown_api_path_and_method_are_json_errors(hub):
    r = await hub.client.get("/api/v1/nothing-here")
    error = (await r.json())["error"]
    assert r.status == 404 and (error["code"], error["message"], error["message_en"]) == ("not_found", "没有这个接口，请核对地址", "Not Found")
    r = await hub.client.delete("/api/v1/tickets", headers=hub.auth("admin"))
    error = (await r.json())["error"]
    assert r.status == 405 and (error["code"], error["message"]) == ("method_not_allowed", "该接口不支持这种请求方法")
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["Allow"].split(",")}  # RFC 9110: a 405 names them


async def test_numbers_too_large_for_the_database_are_refused_not_crashed(hub):
    """Tried: numbers past 64 bits in a path and in a query (a fuzzer's find: the database driver
    raised and the client got a 500). Kept: a 400 naming the parameter, nothing written."""
    before = await hub.engine.last_seq()
    for path in ("/api/v1/tickets/99999999999999999999999", "/api/v1/events/history?since=-99999999999999999999999",
                 "/api/v1/items?limit=99999999999999999999999"):
        r = await hub.client.get(path, headers=hub.auth("admin"))
        assert r.status == 400, path
        assert "out of range" in (await r.json())["error"]["message_en"]
    r = await hub.client.post("/api/v1/appeals", json={"ticket_id": 2**64, "reason": "评价不实"}, headers=hub.auth("staff01"))
    assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_body"
    assert await hub.engine.last_seq() == before


async def test_filters_refuse_unknown_values_and_take_empty_ones_as_not_given(hub):
    """A misspelt filter used to answer with an empty list, as if nothing matched; the hall's own
    pages send empty form fields, which still mean "not given"."""
    await issue(hub, "A1")
    r = await hub.client.get("/api/v1/tickets?status=waitng", headers=hub.auth("admin"))
    body = await r.json()
    assert r.status == 400 and "waiting" in body["error"]["details"]["allowed"]
    r = await hub.client.get("/api/v1/tickets?status=", headers=hub.auth("admin"))
    assert r.status == 200 and len(await r.json()) == 1
    r = await hub.client.get("/api/v1/appeals?status=open", headers=hub.auth("manager"))
    assert r.status == 400 and (await r.json())["error"]["details"]["allowed"] == ["pending", "accepted", "rejected"]
    r = await hub.client.get("/api/v1/stats/report?from=&to=&by=", headers=hub.auth("manager"))
    assert r.status == 200 and (await r.json())["by"] == "day"
    r = await hub.client.get("/api/v1/items?limit=many", headers=hub.auth("admin"))
    assert r.status == 400 and (await r.json())["error"]["message_en"] == "limit must be an integer"
    for limit in ("-5", "0", "1001"):
        r = await hub.client.get(f"/api/v1/items?limit={limit}")
        assert r.status == 400 and (await r.json())["error"]["message"] == "参数 limit 应在 1 至 1000 之间", limit
    assert len(await (await hub.client.get("/api/v1/items?limit=3")).json()) == 3
    r = await hub.client.get("/api/v1/stats/assessment?month=2026-13", headers=hub.auth("manager"))
    assert r.status == 400
    for path in ("report", "staffing", "report.csv"):  # a period that ends before it starts, on each route taking one
        r = await hub.client.get(f"/api/v1/stats/{path}?from=2026-11-30&to=2026-11-01", headers=hub.auth("manager"))
        assert r.status == 400 and (await r.json())["error"]["message"] == "统计结束日期早于开始日期", path


async def test_a_date_in_a_body_is_a_date_not_a_number(hub):
    """Tried: closing the day with {"day": 0}, which pydantic's lax mode read as 1970-01-01 (Unix
    time). Kept: refused as an invalid body, no day closed, no event written."""
    before = await hub.engine.last_seq()
    r = await hub.client.post("/api/v1/day/close", json={"day": 0}, headers=hub.auth("manager"))
    body = await r.json()
    assert r.status == 400 and body["error"]["code"] == "invalid_body"
    assert body["error"]["details"]["problems"][0]["field"] == "day"
    assert await hub.engine.last_seq() == before


@pytest.mark.parametrize(("day", "allowed"), [
    ("0001-01-01", False), ("9999-12-31", False), ("2026-11-27", False),  # tomorrow has not begun
    ("2026-11-26", True), ("2026-11-25", True),
])
async def test_only_a_day_that_has_begun_and_is_not_absurdly_old_can_be_closed(hub, day, allowed):
    """Tried: a manager closing the year 1 (`day - 45 days` overflowed: a 500), the year 9999 and
    tomorrow (it would close today's open tickets early). Kept: a 400 naming the allowed range,
    nothing closed; today and yesterday still close (the clock says 2026-11-26)."""
    waiting = await issue(hub, "A1")
    before = await hub.engine.last_seq()
    r = await hub.client.post("/api/v1/day/close", json={"day": day}, headers=hub.auth("manager"))
    body = await r.json()
    if allowed:
        assert r.status == 200, body
        return
    assert (r.status, body["error"]["code"]) == (400, "bad_request"), body
    assert "结束日期应在" in body["error"]["message"] and body["error"]["details"]["latest"] == "2026-11-26"
    assert await hub.engine.last_seq() == before
    assert (await hub.engine.ticket((await waiting.json())["ticket"]["id"])).status == "waiting"


@pytest.mark.parametrize(("day", "allowed"), [
    ("0001-01-01", False), ("2026-11-25", False), ("2028-01-01", False), ("2026-11-26", True), ("2027-06-30", True),
])
async def test_an_appointment_is_booked_for_today_or_ahead_only(hub, day, allowed):
    """Tried: booking the year 1 (it was accepted: a slot starting at -62135589943 s), yesterday and
    a day more than a year ahead. Kept: a 400 naming the allowed range and nothing stored; today
    and half a year ahead are booked."""
    r = await hub.client.post("/api/v1/appointments", json={
        "code": "YY-3001", "day": day, "queue": "A1", "slot_start": "15:00", "slot_end": "15:30",
    }, headers=hub.auth("manager"))
    body = await r.json()
    if allowed:
        assert r.status == 201 and body["hall_day"] == day, body
        return
    assert (r.status, body["error"]["code"]) == (400, "bad_request"), body
    assert "预约日期应在" in body["error"]["message"] and body["error"]["details"]["earliest"] == "2026-11-26"
    again = await hub.client.post("/api/v1/appointments", json={
        "code": "YY-3001", "day": "2026-11-26", "queue": "A1", "slot_start": "15:00", "slot_end": "15:30",
    }, headers=hub.auth("manager"))
    assert again.status == 201, "the refused booking left no appointment behind"


async def test_body_fields_take_only_their_own_json_type(hub):
    """Tried (the long API fuzzing's find): a kiosk's print report with "printed": 0, which
    pydantic's lax mode read as false. Kept: refused, naming the field; the ticket untouched."""
    ticket = (await (await issue(hub, "A1")).json())["ticket"]
    for bad in ({"printed": 0}, {"printed": "false"}):
        r = await hub.client.post(f"/api/v1/tickets/{ticket['id']}/printed", json=bad, headers=hub.auth("kiosk"))
        body = await r.json()
        assert r.status == 400 and body["error"]["details"]["problems"][0]["field"] == "printed", bad
    r = await hub.client.post(f"/api/v1/tickets/{ticket['id']}/printed", json={"printed": False}, headers=hub.auth("kiosk"))
    assert r.status == 200 and (await r.json())["printed"] is False


async def test_a_kiosk_reports_printing_only_of_its_own_tickets(hub):
    """Tried: a second kiosk reporting "not printed" for a ticket the first issued (walking ids
    rewrote any ticket's print state and read its masked ID), the first kiosk changing its
    report afterwards, and a retry of the same report. Kept: the other kiosk is told no such
    ticket and the state is untouched; the change is refused; the retry is answered the same;
    no answer carries the citizen's masked ID."""
    from server.accounts import Role
    from server.api.keys import ACCOUNTS

    other = await hub.app[ACCOUNTS].add_device("kiosk-2", Role.KIOSK, now=hub.engine.clock.now())
    ticket = (await (await issue(hub, "A1", person_id="430224199001011231")).json())["ticket"]
    url = f"/api/v1/tickets/{ticket['id']}/printed"
    r = await hub.client.post(url, json={"printed": False, "detail": "x"}, headers={"Authorization": f"Bearer {other}"})
    assert r.status == 404
    assert (await hub.engine.ticket(ticket["id"])).printed is None
    for _ in range(2):  # the report, then its retry
        r = await hub.client.post(url, json={"printed": True}, headers=hub.auth("kiosk"))
        assert r.status == 200 and await r.json() == {"id": ticket["id"], "number": "A1001", "printed": True}
    r = await hub.client.post(url, json={"printed": False}, headers=hub.auth("kiosk"))
    assert r.status == 409
    assert (await hub.engine.ticket(ticket["id"])).printed is True
    events = [e.kind for e in await hub.engine.ticket_events(ticket["id"])]
    assert events.count("ticket.printed") == 1 and "ticket.print_failed" not in events


async def test_assessment_of_someone_without_figures_is_not_found(hub):
    r = await hub.client.get("/api/v1/stats/assessment/nobody", headers=hub.auth("manager"))
    assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"


async def test_the_event_stream_answers_a_plain_get_with_what_it_needs(hub):
    r = await hub.client.get("/api/v1/events", headers=hub.auth("admin"))
    assert r.status == 400 and (await r.json())["error"]["code"] == "websocket_required"


async def test_get_routes_change_nothing(hub):
    await issue(hub, "A1")
    before = await hub.engine.last_seq()
    for route in api_routes():
        if route.method == "GET" and "{" not in route.path and not route.path.endswith("/events"):
            r = await hub.client.get(route.path, headers=hub.auth("admin"))
            assert r.status == 200, route.path
    assert await hub.engine.last_seq() == before


async def test_a_query_parameter_a_route_does_not_take_is_refused(hub):
    """Tried: a manager looking a ticket up by `?number=` (the tickets list takes status and queue),
    a misspelt filter, and an unknown parameter on every route. Kept: a 400 naming the parameter
    and the ones the route takes, where the list used to come back whole as if it had filtered."""
    await issue(hub, "A1")
    await issue(hub, "C1")
    r = await hub.client.get("/api/v1/tickets?number=A1001", headers=hub.auth("manager"))
    error = (await r.json())["error"]
    assert r.status == 400 and error["message"] == "不支持的查询参数：number"
    assert error["details"] == {"unknown": ["number"], "allowed": ["status", "queue", "window", "target_window"]}
    r = await hub.client.get("/api/v1/tickets?queue=A1", headers=hub.auth("manager"))
    assert r.status == 200 and [t["number"] for t in await r.json()] == ["A1001"]
    r = await hub.client.get("/api/v1/state?zone=A&zones=B", headers=hub.auth("manager"))
    assert r.status == 400 and (await r.json())["error"]["details"]["unknown"] == ["zones"]
    before = await hub.engine.last_seq()
    who_has = {"admin": "admin", "manager": "manager", "technician": "tech", "staff": "staff01", "kiosk": "kiosk", "display": "board-A"}
    for route in api_routes():
        path = re.sub(r"{window_id}", "W01", re.sub(r"{ticket_id}", "1", route.path))
        path = re.sub(r"{\w+}", "X", path)
        who = "admin" if route.roles is None else next(w for role, w in who_has.items() if role in route.roles)
        r = await hub.client.request(route.method, f"{path}?no_such_parameter=1", json={}, headers=hub.auth(who))
        assert r.status == 400, (route.method, path, r.status)
        assert (await r.json())["error"]["details"]["unknown"] == ["no_such_parameter"], path
    assert await hub.engine.last_seq() == before


async def test_a_zone_the_hall_does_not_have_is_refused_not_drawn_empty(hub):
    """Tried: zone=Z and zone=a (for A) on the public reads a board makes, and on the event
    stream. Kept: 404 naming the zone and listing the hall's zones; a real zone still answers."""
    for path in ("/api/v1/state?zone=Z", "/api/v1/queues?zone=a", "/api/v1/windows?zone=Z", "/api/v1/items?zone=Z"):
        r = await hub.client.get(path)
        error = (await r.json())["error"]
        assert r.status == 404 and error["code"] == "not_found", path
        assert error["message"].startswith("分区不存在：") and error["details"]["zones"][:3] == ["A", "B", "C"]
    assert (await hub.client.get("/api/v1/state?zone=A")).status == 200
    ws = await hub.client.ws_connect(f"/api/v1/events?zone=Z&token={hub.tokens['manager']}")
    message = await ws.receive_json(timeout=5)
    await ws.receive(timeout=5)
    assert (message["code"], ws.close_code) == ("not_found", 4404)


async def test_idempotency_key_makes_kiosk_retries_safe(hub):
    first = await issue(hub, "A1", key="kiosk-1-0001")
    retry = await issue(hub, "A1", key="kiosk-1-0001")
    assert first.status == 201 and retry.status == 200
    a, b = await first.json(), await retry.json()
    assert a["ticket"]["id"] == b["ticket"]["id"] and b["replayed"] is True
    r = await issue(hub, "A1", key="x" * 101)
    assert r.status == 400


async def test_an_idempotency_key_replays_only_the_same_request_of_the_same_day(hub, clock):
    """Tried: a key sent again for another queue, with a priority class, with another person's ID,
    then the exact retry, then the same key the next day. Kept: the three different requests are
    refused (409, naming what differs) and issue nothing; the exact retry gets its ticket back;
    the next day's reuse is refused too (it was answered with yesterday's closed ticket)."""
    first = await issue(hub, "A1", key="kiosk-retry-1", person_id="430224199001011231")
    assert first.status == 201
    number = (await first.json())["ticket"]["number"]
    for extra, differs in (({"queue": "A2"}, ["queue"]), ({"priority_class": "elderly"}, ["priority_class"]),
                           ({"person_id": "13812345678"}, ["person_key"])):
        body = {"queue": "A1", "person_id": "430224199001011231"} | extra
        r = await issue(hub, body.pop("queue"), key="kiosk-retry-1", **body)
        error = (await r.json())["error"]
        assert r.status == 409 and error["code"] == "idempotency_conflict" and error["details"]["differs"] == differs, extra
    assert len(await hub.engine.tickets_today()) == 1
    retry = await issue(hub, "A1", key="kiosk-retry-1", person_id="430224199001011231")
    assert retry.status == 200 and (await retry.json())["ticket"]["number"] == number
    clock.advance(24 * 3600)
    reused = await issue(hub, "A1", key="kiosk-retry-1", person_id="430224199001011231")
    assert reused.status == 409 and (await reused.json())["error"]["details"]["differs"] == ["hall_day"]


async def test_a_body_not_sent_as_json_is_refused(hub):
    """Tried: a sign-in and a ticket sent as text/plain and as a form (what a page on another
    site can make a hall PC's browser send without asking). Kept: 415 naming the type, nothing
    signed in or issued; the same bodies as application/json work."""
    body = '{"username": "staff01", "password": "pass-1234"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        r = await hub.client.post("/api/v1/auth/login", data=body, headers={"Content-Type": content_type})
        error = (await r.json())["error"]
        assert r.status == 415 and error["code"] == "unsupported_media_type" and content_type in error["message_en"]
        r = await hub.client.post("/api/v1/tickets", data='{"queue": "A1"}', headers=hub.auth("kiosk") | {"Content-Type": content_type})
        assert r.status == 415
    assert await hub.engine.tickets_today() == []
    r = await hub.client.post("/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"})
    assert r.status == 200


async def test_concurrent_kiosks_never_get_the_same_number(hub):
    results = await asyncio.gather(*(issue(hub, "D1", key=f"k{i}") for i in range(60)))
    numbers = [(await r.json())["ticket"]["number"] for r in results]
    assert len(set(numbers)) == 60
    assert sorted(numbers) == [f"D1{i:03d}" for i in range(1, 61)]


async def test_public_status_page_and_citizen_rating(hub):
    body = await (await issue(hub, "A1")).json()
    token = body["ticket"]["status_token"]
    status = await (await hub.client.get(f"/api/v1/status/{token}")).json()
    assert status["number"] == "A1001" and status["status"] == "waiting" and "person_masked" not in status
    r = await hub.client.post(f"/api/v1/status/{token}/rating", json={"score": 5})
    assert r.status == 409, "a ticket not yet served cannot be rated"
    assert (await hub.client.get("/api/v1/status/not-a-token")).status == 404


async def test_only_the_citizen_rates_a_visit(hub):
    """Tried: rating a served visit 1 star by its ticket id with a TV board's token, a kiosk's, the
    clerk's own and a manager's (ticket ids are public on /windows; a board's token sits in a TV
    browser's history), then by the citizen's status token. Kept: nobody but the holder of the
    status token (the QR code) rated it; the clerk's assessment took no rating until the citizen
    gave one."""
    body = await (await issue(hub, "A1")).json()
    ticket_id, token = body["ticket"]["id"], body["ticket"]["status_token"]
    await hub.client.post("/api/v1/windows/W01/login", json={}, headers=hub.auth("staff01"))
    for step in ("call-next", "start"):
        assert (await hub.client.post(f"/api/v1/windows/W01/{step}", headers=hub.auth("staff01"))).status == 200
    for who in ("board-A", "kiosk", "staff01", "manager"):
        r = await hub.client.post(f"/api/v1/tickets/{ticket_id}/rating", json={"score": 1}, headers=hub.auth(who))
        assert r.status in (404, 405), (who, r.status)
        assert (await hub.engine.ticket(ticket_id)).rating is None, who
    r = await hub.client.post(f"/api/v1/status/{token}/rating", json={"score": 4})
    assert r.status == 200
    assert (await hub.engine.ticket(ticket_id)).rating == 4


async def test_staff_cannot_issue_green_channel_tickets(hub):
    """Tried: a clerk issuing an 'elderly' ticket (an acquaintance put first; chiefs are held to
    the same rule). Kept: 403 and no ticket; their plain 帮代办 ticket is issued; a manager's
    green-channel one too."""
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1", "priority_class": "elderly"}, headers=hub.auth("staff02"))
    assert r.status == 403 and "绿色通道" in (await r.json())["error"]["message"]
    assert await hub.engine.tickets_today() == []
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=hub.auth("staff02"))
    assert r.status == 201 and (await r.json())["ticket"]["priority"] is False
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1", "priority_class": "elderly"}, headers=hub.auth("manager"))
    assert r.status == 201 and (await r.json())["ticket"]["priority"] is True


async def test_numbers_written_in_notes_are_masked_and_technicians_read_no_tickets(hub):
    """Tried: a clerk writing a citizen's ID and mobile numbers into a transfer note (the note
    reaches every signed-in person's stream and stays in the event log), then a technician
    listing today's tickets and that ticket's events. Kept: the note as written with both numbers
    masked; the technician refused (403): they look after devices, not citizens."""
    await issue(hub, "A1")
    await hub.client.post("/api/v1/windows/W01/login", json={}, headers=hub.auth("staff01"))
    for step in ("call-next", "start"):
        await hub.client.post(f"/api/v1/windows/W01/{step}", headers=hub.auth("staff01"))
    note = "身份证430223199001011235 电话13812345678，材料齐"
    r = await hub.client.post("/api/v1/windows/W01/transfer", json={"target_kind": "queue", "target": "A2", "note": note},
                              headers=hub.auth("staff01"))
    assert r.status == 200, await r.text()
    ticket_id = (await r.json())["id"]
    events = await (await hub.client.get(f"/api/v1/tickets/{ticket_id}/events", headers=hub.auth("manager"))).json()
    notes = [e["payload"]["note"] for e in events if e["kind"] == "ticket.transferred"]
    assert notes == ["身份证4302**********1235 电话138****5678，材料齐"]
    assert "430223199001011235" not in str(await hub.engine.events_since(0))
    for path in ("/api/v1/tickets", f"/api/v1/tickets/{ticket_id}", f"/api/v1/tickets/{ticket_id}/events"):
        assert (await hub.client.get(path, headers=hub.auth("tech"))).status == 403, path


async def test_staff_listing_masks_personal_ids(hub):
    await issue(hub, "A1", person_id="430224199001011231")
    tickets = await (await hub.client.get("/api/v1/tickets", headers=hub.auth("staff01"))).json()
    assert tickets[0]["person_masked"] == "4302**********1231"
    assert "430224199001011231" not in str(tickets)
    assert "status_token" not in tickets[0]


async def test_public_reads_of_windows_carry_no_personal_data(hub):
    """Tried: reading the windows and the state with no token, with a board's and a kiosk's token,
    and as a manager, while a disabled citizen with an ID number is called at W01. Kept: without
    a person's sign-in neither the staff id at the window, nor the citizen's priority class,
    masked ID or item, nor the pause reason; the ticket's number, status and call time stay (the
    boards draw from them). The manager sees everything."""
    issued = await issue(hub, "A1", person_id="430224199001011231", priority_class="disabled", item_code="4302240900407")
    assert issued.status == 201, await issued.text()
    await hub.client.post("/api/v1/windows/W01/login", json={}, headers=hub.auth("staff01"))
    await hub.client.post("/api/v1/windows/W01/call-next", headers=hub.auth("staff01"))
    hidden = {"staff_id", "logged_in_at", "paused_reason"}
    hidden_of_ticket = {"person_masked", "priority_class", "item_code", "appointment", "outcome", "rating", "printed"}
    for headers in ({}, hub.auth("board-A"), hub.auth("kiosk")):
        listed = await (await hub.client.get("/api/v1/windows?zone=A", headers=headers)).json()
        one = await (await hub.client.get("/api/v1/windows/W01", headers=headers)).json()
        state = await (await hub.client.get("/api/v1/state?zone=A", headers=headers)).json()
        for w01 in (listed[0], one, state["windows"][0]):
            assert w01["id"] == "W01" and w01["state"] == "called" and not hidden & w01.keys()
            ticket = w01["current_ticket"]
            assert (ticket["number"], ticket["status"]) == ("A1001", "called") and ticket["called_at"]
            assert not hidden_of_ticket & ticket.keys()
        assert "staff01" not in str(state) and "**********" not in str(state) and "disabled" not in str(state)
    full = await (await hub.client.get("/api/v1/windows/W01", headers=hub.auth("manager"))).json()
    assert full["staff_id"] == "staff01"
    assert (full["current_ticket"]["priority_class"], full["current_ticket"]["person_masked"]) == ("disabled", "4302**********1231")


async def test_login_refuses_wrong_password(hub):
    r = await hub.client.post("/api/v1/auth/login", json={"username": "staff01", "password": "wrong"})
    assert r.status == 401 and (await r.json())["error"]["code"] == "bad_credentials"
    r = await hub.client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong"})
    assert r.status == 401


async def test_logout_ends_the_session(hub):
    headers = hub.auth("staff02")
    assert (await hub.client.post("/api/v1/auth/logout", headers=headers)).status == 200
    assert (await hub.client.get("/api/v1/auth/me", headers=headers)).status == 401


async def test_a_colleague_takes_over_a_window_with_its_parked_case(hub):
    """交接 at lunch: staff01 has a case parked (the citizen fetching a document). They could not
    log out, nor could staff02 log in there; now staff02 signs in on staff01's pad and the window,
    parked case included, is theirs. Nothing else moves: not the case, not staff01's session."""
    post = hub.client.post
    await post("/api/v1/tickets", json={"queue": "C1"}, headers=hub.auth("kiosk"))
    mine = hub.auth("staff01")
    for step in ("login", "call-next", "start"):
        assert (await post(f"/api/v1/windows/W19/{step}", json={} if step == "login" else None, headers=mine)).status == 200
    parked = await (await post("/api/v1/windows/W19/park", json={"note": "回家取户口本"}, headers=mine)).json()
    refused = await post("/api/v1/windows/W19/logout", headers=mine)
    assert refused.status == 409 and "交接" in (await refused.json())["error"]["message"]

    # staff02 is still at W20 with a citizen called: the refusal speaks of the colleague, to the
    # clerk handing over (it said 您在20号窗口…再到其他窗口登录 to staff01, who is at W19).
    await post("/api/v1/tickets", json={"queue": "C1"}, headers=hub.auth("kiosk"))
    hers = hub.auth("staff02")
    for step in ("login", "call-next"):
        assert (await post(f"/api/v1/windows/W20/{step}", json={} if step == "login" else None, headers=hers)).status == 200
    busy = await post("/api/v1/windows/W19/hand-over", json={"staff_id": "staff02", "password": HUB_PASSWORD}, headers=mine)
    assert busy.status == 409 and (await busy.json())["error"]["message"] == "接班同事在20号窗口还有正在办理的号，请先办结或转移再来接班"
    assert (await post("/api/v1/windows/W20/no-show", headers=hers)).status == 200
    wrong = await post("/api/v1/windows/W19/hand-over", json={"staff_id": "staff02", "password": "nope"}, headers=mine)
    assert wrong.status == 403 and (await wrong.json())["error"]["message"] == "接班人工号或密码错误"
    not_hers = await post("/api/v1/windows/W19/hand-over", json={"staff_id": "staff03", "password": HUB_PASSWORD},
                          headers=hub.auth("staff02"))
    assert not_hers.status == 403, "only the person at the window hands it over"
    assert (await hub.engine.window("W19")).staff_id == "staff01"

    r = await post("/api/v1/windows/W19/hand-over", json={"staff_id": "staff02", "password": HUB_PASSWORD}, headers=mine)
    assert r.status == 200 and (await r.json())["staff_id"] == "staff02"
    assert (await hub.engine.ticket(parked["id"])).status == "on_hold"
    resumed = await post("/api/v1/windows/W19/call", json={"number": parked["number"]}, headers=hub.auth("staff02"))
    assert resumed.status == 200, await resumed.text()
    kinds = [(e.kind, e.staff_id) for e in await hub.engine.events_since(0) if e.kind.startswith("window.")]
    assert kinds[-2:] == [("window.logout", "staff01"), ("window.login", "staff02")]
    assert (await hub.client.get("/api/v1/auth/me", headers=mine)).status == 200


async def test_admin_adds_users_and_technician_registers_devices(hub):
    r = await hub.client.post(
        "/api/v1/users", json={"username": "staff99", "password": "9182", "role": "staff", "display_name": "赵六"},
        headers=hub.auth("admin"),
    )
    assert r.status == 201
    r = await hub.client.post("/api/v1/auth/login", json={"username": "staff99", "password": "9182"})
    assert r.status == 200
    r = await hub.client.post("/api/v1/devices", json={"name": "board-C", "role": "display", "zone": "C"}, headers=hub.auth("tech"))
    token = (await r.json())["token"]
    me = await (await hub.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["role"] == "display" and me["zone"] == "C"
    r = await hub.client.post("/api/v1/devices", json={"name": "board-C", "role": "display"}, headers=hub.auth("tech"))
    assert r.status == 409


async def test_openapi_document_matches_the_routes(hub):
    doc = await (await hub.client.get("/api/v1/openapi.json")).json()
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    registered = {
        (route.method, route.resource.canonical)
        for route in hub.app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/") and route.method != "HEAD"
    }
    assert documented == registered
    issue_op = doc["paths"]["/api/v1/tickets"]["post"]
    assert issue_op["security"] == [{"bearer": []}]
    schema = doc["components"]["schemas"][issue_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    assert "queue" in schema["properties"]
    assert [alt["required"] for alt in schema["anyOf"]] == [["queue"], ["item_code"], ["appointment_code"]]
    # Types, choices and formats as the handlers check them; the hall's own outcomes and reasons.
    ticket = doc["paths"]["/api/v1/tickets/{ticket_id}"]["get"]["parameters"][0]
    assert ticket["schema"]["type"] == "integer"
    listing = {p["name"]: p for p in doc["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    assert "waiting" in listing["status"]["schema"]["enum"] and listing["status"]["allowEmptyValue"]
    schemas = doc["components"]["schemas"]
    assert schemas["FinishBody"]["properties"]["outcome"]["enum"] == sorted(hub.app[CONFIG].rules.finish_outcomes)
    assert schemas["PauseBody"]["properties"]["reason"]["enum"] == sorted(hub.app[CONFIG].rules.pause_reasons)
    assert "text/csv" in doc["paths"]["/api/v1/stats/report.csv"]["get"]["responses"]["200"]["content"]
    close = doc["paths"]["/api/v1/day/close"]["post"]["requestBody"]
    assert close["required"] is False  # every field has a default


async def test_appointment_booking_and_check_in(hub):
    r = await hub.client.post(
        "/api/v1/appointments",
        json={"code": "YY2026001", "day": "2026-11-26", "queue": "C1", "slot_start": "09:00", "slot_end": "09:30"},
        headers=hub.auth("manager"),
    )
    assert r.status == 201
    r = await hub.client.post("/api/v1/tickets", json={"appointment_code": "YY2026001"}, headers=hub.auth("kiosk"))
    ticket = (await r.json())["ticket"]
    assert ticket["appointment"] and ticket["priority"]


async def test_repeated_wrong_passwords_lock_the_staff_id_for_a_while(hub, clock):
    """Tried: guessing a PIN. Kept: after five wrong tries even the right password waits."""
    for _ in range(5):
        r = await hub.client.post("/api/v1/auth/login", json={"username": "staff03", "password": "0000"})
        assert r.status == 401
    r = await hub.client.post("/api/v1/auth/login", json={"username": "staff03", "password": "pass-1234"})
    assert r.status == 429 and (await r.json())["error"]["code"] == "locked_out"
    other = await hub.client.post("/api/v1/auth/login", json={"username": "staff02", "password": "pass-1234"})
    assert other.status == 200, "other staff ids are not affected"
    clock.advance(301)
    r = await hub.client.post("/api/v1/auth/login", json={"username": "staff03", "password": "pass-1234"})
    assert r.status == 200


async def test_staff_who_issue_a_ticket_do_not_get_its_status_token(hub):
    """Tried: staff01 issuing a ticket (帮代办), then serving it and rating it through the
    citizen's status route. Kept: the answer carries no status token (staff rated their own
    service 5 with it: HALL.md, staff may invite a rating, never make one); a kiosk's answer
    still carries it, for the QR code it prints."""
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=hub.auth("staff01"))
    assert r.status == 201
    staff_issued = (await r.json())["ticket"]
    assert "status_token" not in staff_issued and staff_issued["number"] == "A1001"
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=hub.auth("kiosk"))
    assert len((await r.json())["ticket"]["status_token"]) >= 16


async def test_only_the_clerk_the_late_citizen_comes_back_to_re_queues_them(hub):
    """Tried: a no-show of A1 at W01 re-queued by staff02 signed in nowhere, by the technician, by
    staff02 at a window of another zone, then by staff02 at a window serving A1; and a waiting
    ticket cancelled by staff and by the technician. Kept: refused (403) until a clerk of the
    queue does it (anyone staff or up could, from anywhere); cancelling is the managers'."""
    r = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=hub.auth("kiosk"))
    ticket = (await r.json())["ticket"]
    number = ticket["number"]
    staff01, staff02 = hub.auth("staff01"), hub.auth("staff02")
    for path in ("login", "call-next", "no-show"):
        assert (await hub.client.post(f"/api/v1/windows/W01/{path}", json={} if path == "login" else None, headers=staff01)).status == 200
    for who in (staff02, hub.auth("tech")):
        assert (await hub.client.post(f"/api/v1/late/{number}", headers=who)).status == 403
    assert (await hub.client.post("/api/v1/windows/W19/login", json={}, headers=staff02)).status == 200
    refused = await hub.client.post(f"/api/v1/late/{number}", headers=staff02)
    assert refused.status == 403 and (await refused.json())["error"]["message"] == f"请在办理{number}号业务的窗口登录后再重新排队"
    assert (await hub.client.post("/api/v1/windows/W19/logout", json={}, headers=staff02)).status == 200
    assert (await hub.client.post("/api/v1/windows/W02/login", json={}, headers=staff02)).status == 200
    requeued = await hub.client.post(f"/api/v1/late/{number}", headers=staff02)
    assert requeued.status == 200 and (await requeued.json())["status"] == "waiting"

    r = await hub.client.post("/api/v1/tickets", json={"queue": "B1"}, headers=hub.auth("kiosk"))
    waiting = (await r.json())["ticket"]["id"]
    for who in ("staff01", "tech"):
        r = await hub.client.post(f"/api/v1/tickets/{waiting}/cancel", json={"reason": "测试"}, headers=hub.auth(who))
        assert r.status == 403
    r = await hub.client.post(f"/api/v1/tickets/{waiting}/cancel", json={"reason": "群众离开"}, headers=hub.auth("manager"))
    assert r.status == 200 and (await r.json())["status"] == "cancelled"
