"""Bad-rating follow-up (差评回访整改) over the real HTTP API and the real database: the steps in
order and every refusal of a step out of order, by the wrong person or with bad input; the
citizen's call-back number masked, and erased on close; deadlines in the hall's working days; the
dashboard's counts and alert, the month's blocker and the assessment workbook's figures."""
from __future__ import annotations

import io
import unittest.mock
from datetime import date
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select, update

from server.accounts import Principal, Role
from server.api.keys import ACCOUNTS, DATABASE
from server.engine.hours import working_days_after
from server.engine.views import IssueRequest
from server.stats.followups import WATERMARK, FollowUps, mask_phone, normalise_phone, period_figures
from server.stats.watermarks import read_watermark
from server.errors import HallQError
from server.storage.schema import rating_followups, ticket_events, users
from tests.conftest import THURSDAY, _hub_password_hash, at, start_hub
from tests.stats.conftest import ON_BOTH_BACKENDS


async def _visit(engine, clock, staff: str, window: str, score: int) -> tuple[int, str]:
    """A served visit rated `score` by the citizen; (ticket id, the ticket's status token)."""
    queue = next(iter(engine.config.window(window).queues))
    ticket = (await engine.issue(IssueRequest(queue=queue))).ticket
    if (await engine.window(window)).staff_id is None:
        await engine.login(window, staff)
    clock.advance(120)
    await engine.call_next(window)
    clock.advance(30)
    await engine.start(window)
    clock.advance(300)
    await engine.finish(window)
    await engine.rate(ticket.id, score, "status_page")
    return ticket.id, ticket.status_token


async def _people(hub) -> None:
    """staff01 of U01, staff02 of U02; a chief of each unit, signed in."""
    accounts, database = hub.app[ACCOUNTS], hub.app[DATABASE]
    await database.write(lambda c: c.execute(update(users).where(users.c.username == "staff01").values(unit="U01")))
    await database.write(lambda c: c.execute(update(users).where(users.c.username == "staff02").values(unit="U02")))
    with unittest.mock.patch("server.accounts.hash_password", return_value=_hub_password_hash()):
        for name, unit in (("chief01", "U01"), ("chief02", "U02")):
            await accounts.add_user(name, "pass-1234", Role.CHIEF, f"首席{unit}", unit, now=at("08:00"))
            hub.tokens[name] = await accounts.open_session(Principal(name, Role.CHIEF, False, name, unit), now=at("08:00"))


async def _error(response) -> tuple[int, str, str]:
    body = await response.json()
    return response.status, body["error"]["code"], body["error"]["message"]


async def _row(hub, followup_id: int) -> dict[str, Any]:
    row = await hub.app[DATABASE].read(
        lambda c: c.execute(select(rating_followups).where(rating_followups.c.id == followup_id)).one())
    return dict(row._mapping)


async def test_a_bad_rating_is_called_back_verified_rectified_and_its_number_erased(aiohttp_client, tmp_path, clock):
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    client, engine = hub.client, hub.engine
    await _people(hub)
    bad, token = await _visit(engine, clock, "staff01", "W01", 2)
    good, good_token = await _visit(engine, clock, "staff01", "W01", 5)

    # The citizen's page offers the call-back after the bad rating only.
    r = await client.get(f"/api/v1/status/{token}/callback")
    assert await r.json() == {"offered": True, "calling": False, "unreachable": False, "phone": None, "state": "contact",
                              "state_zh": "待回访", "due": "2026-11-27", "overdue": False}  # one working day on
    r = await client.get(f"/api/v1/status/{good_token}/callback")
    assert (await r.json())["offered"] is False

    # Refused, nothing kept: no consent, a malformed number, a good rating, a made-up token.
    r = await client.post(f"/api/v1/status/{token}/callback", json={"phone": "13812345678", "consent": False})
    assert (await _error(r))[:2] == (400, "consent_required")
    r = await client.post(f"/api/v1/status/{token}/callback", json={"phone": "12345", "consent": True})
    status, code, message = await _error(r)
    assert (status, code) == (400, "bad_request") and "11位手机号码" in message
    r = await client.post(f"/api/v1/status/{good_token}/callback", json={"phone": "13812345678", "consent": True})
    assert (await _error(r))[:2] == (409, "invalid_state")
    r = await client.post("/api/v1/status/not-a-token/callback", json={"phone": "13812345678", "consent": True})
    assert r.status == 404
    [followup] = (await (await client.get("/api/v1/followups", headers=hub.auth("manager"))).json())["followups"]
    assert followup["phone"] is None and followup["ticket_id"] == bad, "the refused numbers were not kept"

    r = await client.post(f"/api/v1/status/{token}/callback", json={"phone": "138 1234 5678", "consent": True})
    assert r.status == 201 and (await r.json())["phone"] == "138****5678", "shown back masked on the public page"
    r = await client.get(f"/api/v1/status/{token}/callback")
    assert (await r.json())["phone"] == "138****5678"

    # Deadlines in working days from the rating's day (Thursday): contact by Friday, the
    # rectification 15 working days on (no holiday in between in the sample calendar).
    data = await (await client.get("/api/v1/followups", headers=hub.auth("manager"))).json()
    [followup] = data["followups"]
    assert (followup["state"], followup["phone"], followup["rating"]) == ("contact", "13812345678", 2), "the manager calls it"
    assert (followup["contact_due"], followup["rectify_due"], followup["overdue"]) == ("2026-11-27", "2026-12-17", False)
    assert data["counts"] == {"open": 1, "overdue": 0}
    fid = followup["id"]

    # The chief of the clerk's unit sees it with the number; another unit's chief does not see it.
    data = await (await client.get("/api/v1/followups", headers=hub.auth("chief01"))).json()
    assert [f["phone"] for f in data["followups"]] == ["13812345678"]
    data = await (await client.get("/api/v1/followups", headers=hub.auth("chief02"))).json()
    assert data["followups"] == []
    for chief, counted in (("chief01", 1), ("chief02", 0)):  # a chief's dashboard counts their unit's
        today = await (await client.get("/api/v1/stats/today", headers=hub.auth(chief))).json()
        assert today["followups"] == {"open": counted, "overdue": 0}, chief
    # The clerk sees their complaint's follow-up read-only, the number masked.
    mine = (await (await client.get("/api/v1/my/bad-ratings", headers=hub.auth("staff01"))).json())["bad_ratings"]
    assert [(m["ticket_id"], m["followup"]["state_zh"], m["followup"]["phone"]) for m in mine] == [(bad, "待回访", "138****5678")]

    # Wrong person: a clerk, another unit's chief, nobody signed in. Nothing recorded.
    url = f"/api/v1/followups/{fid}"
    r = await client.post(f"{url}/attempts", json={"reached": True, "note": ""}, headers=hub.auth("staff01"))
    assert r.status == 403
    r = await client.post(f"{url}/attempts", json={"reached": True, "note": ""}, headers=hub.auth("chief02"))
    assert (await _error(r))[:2] == (403, "not_your_unit")
    r = await client.post(f"{url}/attempts", json={"reached": True, "note": ""})
    assert r.status == 401
    # Wrong order: a finding before any contact, a rectification before a finding.
    r = await client.post(f"{url}/finding", json={"finding": "substantiated", "note": ""}, headers=hub.auth("manager"))
    assert (await _error(r))[:2] == (409, "not_contacted")
    r = await client.post(f"{url}/rectification", json={"measures": "已批评教育"}, headers=hub.auth("manager"))
    assert (await _error(r))[:2] == (409, "no_finding")
    assert (await _row(hub, fid))["attempts"] == 0

    r = await client.post(f"{url}/attempts", json={"reached": False, "note": "无人接听"}, headers=hub.auth("chief01"))
    assert (await r.json())["attempts"] == 1 and (await r.json())["contact_result"] is None
    r = await client.post(f"{url}/attempts", json={"reached": True, "note": "市民反映等候时窗口人员态度冷淡"}, headers=hub.auth("chief01"))
    contacted = await r.json()
    assert (contacted["attempts"], contacted["contact_result"], contacted["contacted_by"]) == (2, "reached", "chief01")
    r = await client.post(f"{url}/attempts", json={"reached": True, "note": ""}, headers=hub.auth("manager"))
    assert (await _error(r))[:2] == (409, "already_contacted")
    # Bad input: an unknown finding, a rectification too short to say anything.
    r = await client.post(f"{url}/finding", json={"finding": "maybe", "note": ""}, headers=hub.auth("manager"))
    assert (await _error(r))[:2] == (400, "bad_request")
    r = await client.post(f"{url}/finding", json={"finding": "partly", "note": "调看监控，部分属实"}, headers=hub.auth("manager"))
    assert (await r.json())["state"] == "rectify" and (await r.json())["finding_zh"] == "部分属实"
    r = await client.post(f"{url}/finding", json={"finding": "unfounded", "note": ""}, headers=hub.auth("manager"))
    assert (await _error(r))[:2] == (409, "already_found")
    r = await client.post(f"{url}/rectification", json={"measures": "x"}, headers=hub.auth("manager"))
    assert r.status == 400
    assert (await _row(hub, fid))["phone"] == "13812345678", "kept while the follow-up is open"

    r = await client.post(f"{url}/rectification", json={"measures": "对窗口人员批评教育，已电话反馈市民"}, headers=hub.auth("manager"))
    closed = await r.json()
    assert (closed["state"], closed["rectified_by"], closed["phone"], closed["due"]) == ("closed", "manager", None, None)
    row = await _row(hub, fid)
    assert row["phone"] is None and row["closed_at"] is not None, "the number is erased when closed"
    r = await client.post(f"{url}/attempts", json={"reached": True, "note": ""}, headers=hub.auth("manager"))
    assert (await _error(r))[:2] == (409, "followup_closed")
    r = await client.post(f"/api/v1/status/{token}/callback", json={"phone": "13812345678", "consent": True})
    assert (await _error(r))[:2] == (409, "followup_closed")
    r = await client.get(f"/api/v1/status/{token}/callback")
    assert await r.json() == {"offered": False, "calling": False, "unreachable": False, "phone": None, "state": "closed",
                              "state_zh": "已办结", "due": None, "overdue": False}

    # The audit trail: every step an event, and none of them holds the number in full.
    events = await hub.app[DATABASE].read(lambda c: c.execute(
        select(ticket_events.c.kind, ticket_events.c.payload).where(ticket_events.c.ticket_id == bad).order_by(ticket_events.c.seq)).all())
    kinds = [k for k, _ in events if k.startswith("rating.followup")]
    assert kinds == ["rating.followup_phone", "rating.followup_attempt", "rating.followup_attempt",
                     "rating.followup_finding", "rating.followup_rectified"]
    assert not any("13812345678" in str(p) for _, p in events)


async def test_an_unreachable_citizen_may_leave_a_number_that_answers_once(aiohttp_client, tmp_path, clock):
    """Tried: the set calls to the number left find nobody; the citizen, on the status page after
    the contact deadline, leaves another number; the hall's calls to it find nobody either; a third
    number; then the finding. It was: any number after unreachable refused (无需再留电话), the
    hall verifying without the citizen who wanted the call. Kept: the second number opens the
    contact again (待再次回访), with the set calls to it, due by the rectification deadline and not
    overdue; after those, a third number is refused and the one left kept; the finding closes the
    follow-up and erases the number; the audit trail says a number was left, not which."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    client = hub.client
    bad, token = await _visit(hub.engine, clock, "staff02", "W02", 1)
    await client.post(f"/api/v1/status/{token}/callback", json={"phone": "0571-88881234", "consent": True})
    [f] = (await (await client.get("/api/v1/followups", headers=hub.auth("manager"))).json())["followups"]
    assert f["phone"] == "057188881234"
    url = f"/api/v1/followups/{f['id']}"

    async def calls_find_nobody() -> None:
        for n in (1, 2):
            r = await client.post(f"{url}/attempts", json={"reached": False, "note": "无人接听"}, headers=hub.auth("manager"))
            assert ((await r.json())["attempts"], (await r.json())["contact_result"]) == (n, None)
            r = await client.post(f"{url}/finding", json={"finding": "unfounded", "note": ""}, headers=hub.auth("manager"))
            assert (await _error(r))[:2] == (409, "not_contacted"), f"not unreachable after {n} of 3 attempts"
        r = await client.post(f"{url}/attempts", json={"reached": False, "note": "关机"}, headers=hub.auth("manager"))
        assert ((await r.json())["attempts"], (await r.json())["contact_result_zh"]) == (3, "无法联系")

    await calls_find_nobody()
    r = await client.get(f"/api/v1/status/{token}/callback")
    assert await r.json() == {"offered": True, "calling": False, "unreachable": True, "phone": "057****1234",
                              "state": "contact", "state_zh": "无法联系，待核实", "due": "2026-12-17", "overdue": False}

    clock.set(at("09:00", date(2026, 11, 30)))  # Monday: past the contact deadline, which the calls met
    hub.tokens["manager"] = await hub.app[ACCOUNTS].open_session(
        Principal("manager", Role.MANAGER, False, "大厅管理员"), now=clock.now())
    r = await client.post(f"/api/v1/status/{token}/callback", json={"phone": "13812345678", "consent": True})
    assert r.status == 201 and await r.json() == {"offered": True, "calling": False, "unreachable": False,
                                                  "phone": "138****5678", "state": "contact", "state_zh": "待再次回访",
                                                  "due": "2026-12-17", "overdue": False}  # the calls met the contact deadline
    data = await (await client.get("/api/v1/followups", headers=hub.auth("manager"))).json()
    [f] = data["followups"]
    assert (f["phone"], f["attempts"], f["contact_result"], f["state_zh"]) == ("13812345678", 0, None, "待再次回访")
    assert (f["due"], f["overdue"], data["counts"]) == (f["rectify_due"], False, {"open": 1, "overdue": 0})
    r = await client.post(f"{url}/finding", json={"finding": "unfounded", "note": ""}, headers=hub.auth("manager"))
    assert (await _error(r))[:2] == (409, "not_contacted"), "the new number is called first"

    await calls_find_nobody()
    r = await client.get(f"/api/v1/status/{token}/callback")
    assert ((await r.json())["offered"], (await r.json())["state_zh"]) == (False, "无法联系，待核实")
    r = await client.post(f"/api/v1/status/{token}/callback", json={"phone": "13900001111", "consent": True})
    status, code, message = await _error(r)
    assert (status, code) == (409, "already_contacted") and "新号码仍未能联系上您" in message
    assert (await _row(hub, f["id"]))["phone"] == "13812345678"
    r = await client.post(f"{url}/finding", json={"finding": "unfounded", "note": "调看监控，办理规范"}, headers=hub.auth("manager"))
    closed = await r.json()
    assert (closed["state"], closed["finding"], closed["phone"]) == ("closed", "unfounded", None)
    assert (await _row(hub, f["id"]))["phone"] is None

    payloads = await hub.app[DATABASE].read(lambda c: c.execute(
        select(ticket_events.c.payload).where(ticket_events.c.ticket_id == bad,
                                              ticket_events.c.kind == "rating.followup_phone")).scalars().all())
    assert payloads == [{"followup_id": f["id"], "phone_left": True},
                        {"followup_id": f["id"], "phone_left": True, "after_unreachable": True}]


async def test_a_called_citizen_is_not_overdue_and_a_number_being_called_is_not_replaced(aiohttp_client, tmp_path, clock):
    """Tried: a number corrected before any call; another number while the hall calls the one
    left; a number after the hall reached the citizen; the look of a contacted follow-up past its
    contact deadline. Kept: the correction; the number being called, unchanged; the follow-up
    due by its rectification deadline, not overdue; no number, masked or not, in the audit trail."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    client = hub.client
    bad, token = await _visit(hub.engine, clock, "staff01", "W01", 2)  # Thursday: contact due Friday
    [f] = (await (await client.get("/api/v1/followups", headers=hub.auth("manager"))).json())["followups"]
    url = f"/api/v1/followups/{f['id']}/attempts"
    # A call before any number was left (the hall had one from elsewhere): the number the citizen
    # leaves afterwards is not "being called" yet.
    r = await client.post(url, json={"reached": False, "note": "预留电话无人接听"}, headers=hub.auth("manager"))
    assert (await r.json())["attempts"] == 1
    clock.advance(600)
    for phone in ("13812345678", "13999990000"):  # a digit wrong, corrected before the hall calls it
        r = await client.post(f"/api/v1/status/{token}/callback", json={"phone": phone, "consent": True})
        assert r.status == 201 and await r.json() == {
            "offered": True, "calling": False, "unreachable": False, "phone": f"{phone[:3]}****{phone[-4:]}",
            "state": "contact", "state_zh": "待回访", "due": "2026-11-27", "overdue": False}
    [f] = (await (await client.get("/api/v1/followups", headers=hub.auth("manager"))).json())["followups"]
    assert f["phone"] == "13999990000"

    clock.advance(600)
    r = await client.post(url, json={"reached": False, "note": "无人接听"}, headers=hub.auth("manager"))
    assert (await r.json())["attempts"] == 2
    r = await client.post(f"/api/v1/status/{token}/callback", json={"phone": "13700001111", "consent": True})
    status, code, message = await _error(r)
    assert (status, code) == (409, "phone_already_left") and "139****0000" in message
    r = await client.get(f"/api/v1/status/{token}/callback")
    assert await r.json() == {"offered": False, "calling": True, "unreachable": False, "phone": "139****0000", "state": "contact",
                              "state_zh": "待回访", "due": "2026-11-27", "overdue": False}
    assert (await _row(hub, f["id"]))["phone"] == "13999990000", "the number being called was not replaced"

    r = await client.post(url, json={"reached": True, "note": "已联系"}, headers=hub.auth("manager"))
    assert (await r.json())["state_zh"] == "已回访待核实"
    r = await client.get(f"/api/v1/status/{token}/callback")
    assert await r.json() == {"offered": False, "calling": False, "unreachable": False, "phone": "139****0000",
                              "state": "contact", "state_zh": "已回访待核实", "due": "2026-12-17", "overdue": False}
    r = await client.post(f"/api/v1/status/{token}/callback", json={"phone": "13700001111", "consent": True})
    assert (await _error(r))[:2] == (409, "already_contacted")
    assert (await _row(hub, f["id"]))["phone"] == "13999990000"

    clock.set(at("09:00", date(2026, 11, 30)))  # Monday: past the contact deadline, which was met
    hub.tokens["manager"] = await hub.app[ACCOUNTS].open_session(
        Principal("manager", Role.MANAGER, False, "大厅管理员"), now=clock.now())
    data = await (await client.get("/api/v1/followups", headers=hub.auth("manager"))).json()
    [f] = data["followups"]
    assert (f["due"], f["overdue"], f["state_zh"]) == (f["rectify_due"], False, "已回访待核实")
    assert data["counts"] == {"open": 1, "overdue": 0}
    today = await (await client.get("/api/v1/stats/today", headers=hub.auth("manager"))).json()
    assert today["followups"] == {"open": 1, "overdue": 0}
    assert not [a for a in today["alerts"] if a["kind"] == "followup_overdue"]

    payloads = await hub.app[DATABASE].read(lambda c: c.execute(
        select(ticket_events.c.payload).where(ticket_events.c.ticket_id == bad,
                                              ticket_events.c.kind == "rating.followup_phone")).scalars().all())
    assert payloads == [{"followup_id": f["id"], "phone_left": True}] * 2, "the audit trail says a number was left, not which"


async def test_dashboard_counts_and_alerts_overdue_followups_and_the_month_waits_for_them(aiohttp_client, tmp_path, clock):
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    client = hub.client
    await _visit(hub.engine, clock, "staff01", "W01", 1)
    today = await (await client.get("/api/v1/stats/today", headers=hub.auth("manager"))).json()
    assert today["followups"] == {"open": 1, "overdue": 0}
    assert not [a for a in today["alerts"] if a["kind"] == "followup_overdue"]
    # Exported within the deadline, the sheet says the rating is not yet due (it read 0 % alone).
    assert await followup_sheet(hub) == {"差评数": 1, "按时回访数": 0, "差评按时回访率": 0, "尚未回访且未到回访期限": 1,
                                         "按时办结（整改）数": 0, "差评按时整改率": 0, "尚未办结": 1, "尚未办结且未到整改期限": 1}

    clock.set(at("09:00", date(2026, 11, 30)))  # Monday: the contact was due on Friday
    hub.tokens["manager"] = await hub.app[ACCOUNTS].open_session(  # a session lasts a day
        Principal("manager", Role.MANAGER, False, "大厅管理员"), now=clock.now())
    today = await (await client.get("/api/v1/stats/today", headers=hub.auth("manager"))).json()
    assert today["followups"] == {"open": 1, "overdue": 1}
    [alert] = [a for a in today["alerts"] if a["kind"] == "followup_overdue"]
    assert "1 件已超期" in alert["message"]

    month = await (await client.get("/api/v1/stats/assessment?month=2026-11", headers=hub.auth("manager"))).json()
    assert "1 条差评未办结回访" in month["open"]["blockers"]

    values = await followup_sheet(hub)
    assert (values["差评数"], values["按时回访数"], values["差评按时回访率"], values["尚未办结"]) == (1, 0, 0, 1)
    assert values["尚未回访且未到回访期限"] == 0  # overdue since Friday


async def followup_sheet(hub) -> dict:  # type: ignore[no-untyped-def]
    """The month's 差评回访 sheet of the assessment workbook, item by item."""
    r = await hub.client.get("/api/v1/stats/assessment.xlsx?month=2026-11", headers=hub.auth("manager"))
    sheet = load_workbook(io.BytesIO(await r.read()))["差评回访"]
    rows = list(sheet.iter_rows(values_only=True))
    return {row[0]: row[1] for row in rows[[r[0] for r in rows].index("项目") + 1:]}


async def test_a_chief_works_the_followups_of_the_bad_ratings_their_units_report_counts(aiohttp_client, tmp_path, clock):
    """Tried: staff01, a 综合窗口 clerk whose account names no unit, serves an A1 ticket (县民政局
    U01's queue) at W01 and is rated 1; staff02, a U01 clerk relieving at W11, serves a B1 ticket
    (U08's queue) and is rated 2. Seen: U01's report counted the A1 bad rating but its chief's
    follow-up list held the B1 one instead (follow-ups went by the clerk's account unit), and
    U08's chief, whose report counted the B1 rating, saw none. Kept: each chief's follow-ups, and
    their dashboard's count, are those of the bad ratings their unit's report counts (the
    ticket's unit); a chief works those steps and is refused another unit's (403 not_your_unit)."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    client, engine = hub.client, hub.engine
    await hub.app[DATABASE].write(lambda c: c.execute(update(users).where(users.c.username == "staff02").values(unit="U01")))
    with unittest.mock.patch("server.accounts.hash_password", return_value=_hub_password_hash()):
        for name, unit in (("chief01", "U01"), ("chief08", "U08")):
            await hub.app[ACCOUNTS].add_user(name, "pass-1234", Role.CHIEF, f"首席{unit}", unit, now=at("08:00"))
            hub.tokens[name] = await hub.app[ACCOUNTS].open_session(Principal(name, Role.CHIEF, False, name, unit), now=at("08:00"))
    front, _ = await _visit(engine, clock, "staff01", "W01", 1)  # A1: U01's queue
    relief, _ = await _visit(engine, clock, "staff02", "W11", 2)  # B1: U08's queue

    for chief, ticket in (("chief01", front), ("chief08", relief)):
        report = await (await client.get("/api/v1/stats/report?from=2026-11-26&to=2026-11-26&by=all",
                                         headers=hub.auth(chief))).json()
        assert [r["bad_before_appeal"] for r in report["rows"]] == [1], chief
        listed = await (await client.get("/api/v1/followups", headers=hub.auth(chief))).json()
        assert [f["ticket_id"] for f in listed["followups"]] == [ticket], chief
        assert listed["counts"] == {"open": 1, "overdue": 0}, chief
        today = await (await client.get("/api/v1/stats/today", headers=hub.auth(chief))).json()
        assert today["followups"] == {"open": 1, "overdue": 0}, chief

    [theirs] = (await (await client.get("/api/v1/followups", headers=hub.auth("chief08"))).json())["followups"]
    r = await client.post(f"/api/v1/followups/{theirs['id']}/attempts", json={"reached": True, "note": ""},
                          headers=hub.auth("chief01"))
    assert (await _error(r))[:2] == (403, "not_your_unit"), "staff02's account is U01's, the ticket U08's"
    r = await client.post(f"/api/v1/followups/{theirs['id']}/attempts", json={"reached": True, "note": "已致歉"},
                          headers=hub.auth("chief08"))
    assert r.status == 200 and (await r.json())["contacted_by"] == "chief08"


def test_deadlines_count_the_halls_working_days(hall_config):
    """The mini hall: 2026-10-01 a holiday, Saturday 2026-10-10 a make-up working day."""
    assert working_days_after(hall_config, THURSDAY, 1) == date(2026, 11, 27)
    assert working_days_after(hall_config, date(2026, 11, 27), 1) == date(2026, 11, 30), "over the weekend"
    assert working_days_after(hall_config, date(2026, 11, 28), 1) == date(2026, 11, 30), "rated on a Saturday"
    assert working_days_after(hall_config, date(2026, 11, 28), 0) == date(2026, 11, 30)
    assert working_days_after(hall_config, date(2026, 9, 30), 1) == date(2026, 10, 2), "over the holiday"
    assert working_days_after(hall_config, date(2026, 10, 9), 1) == date(2026, 10, 10), "the make-up Saturday counts"
    assert working_days_after(hall_config, THURSDAY, 15) == date(2026, 12, 17)


def test_phone_numbers_are_checked_and_masked():
    assert normalise_phone("138-1234-5678") == "13812345678"
    assert normalise_phone("0571 8888 1234") == "057188881234"
    assert normalise_phone("010-12345678") == "01012345678"
    for wrong in ("12812345678", "1381234567", "138123456789", "88881234", "phone", ""):
        try:
            normalise_phone(wrong)
        except HallQError as error:
            assert error.status == 400
        else:
            raise AssertionError(f"{wrong!r} was accepted")
    assert mask_phone("13812345678") == "138****5678" and mask_phone(None) is None


@ON_BOTH_BACKENDS
async def test_followups_are_made_from_the_ratings_with_their_deadlines(engine, clock, bus):
    """On each backend: made once per bad rating (none for a good one), the deadlines over a
    holiday and a make-up Saturday, and the period's on-time figures."""
    service = FollowUps(engine.database, engine.config, clock, bus)
    clock.set(at("09:00", date(2026, 9, 30)))  # Wednesday before the 10-01 holiday
    first, _ = await _visit(engine, clock, "staff01", "W1", 2)
    await _visit(engine, clock, "staff01", "W1", 4)
    await engine.logout("W1")
    clock.set(at("09:00", date(2026, 10, 9)))  # Friday before the make-up Saturday
    second, _ = await _visit(engine, clock, "staff01", "W1", 1)
    items = {f.ticket_id: f for f in await service.list(None)}
    assert set(items) == {first, second}
    assert (items[first].contact_due, items[second].contact_due) == (date(2026, 10, 2), date(2026, 10, 10))
    assert items[first].overdue and not items[second].overdue
    await service.sync()
    assert len(await service.list(None)) == 2, "made once"

    f = items[second]
    await service.attempt(f.id, "manager", None, True, "")
    await service.find(f.id, "manager", None, "substantiated", "")
    await service.rectify(f.id, "manager", None, "整改并反馈")
    figures = await engine.database.read(lambda c: period_figures(c, engine.config, date(2026, 9, 1), date(2026, 10, 31),
                                                                  date(2026, 10, 9)))
    assert (figures.bad_ratings, figures.contacted_on_time, figures.closed_on_time, figures.still_open) == (2, 1, 1, 1)
    assert figures.contact_rate == 0.5 and figures.contact_not_due == 0  # the first was due on 10-02
    before = await engine.database.read(lambda c: period_figures(c, engine.config, date(2026, 9, 1), date(2026, 10, 31),
                                                                 date(2026, 10, 1)))
    assert (before.contact_not_due, before.close_not_due) == (1, 1)  # the first, still within both deadlines


async def test_a_look_with_no_new_bad_rating_writes_nothing(engine, clock, bus):
    """Every dashboard refresh looks: with only good ratings since, the watermark stays (no
    commit); a bad rating moves it past everything read."""
    service = FollowUps(engine.database, engine.config, clock, bus)
    await _visit(engine, clock, "staff01", "W1", 5)
    await service.sync()
    assert await engine.database.read(lambda c: read_watermark(c, WATERMARK)) == 0
    await _visit(engine, clock, "staff01", "W1", 1)
    await service.sync()
    last = await engine.database.read(lambda c: c.execute(select(func.max(ticket_events.c.seq))).scalar())
    assert await engine.database.read(lambda c: read_watermark(c, WATERMARK)) == last
    assert len(await service.list(None)) == 1
