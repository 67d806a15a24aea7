"""Finalising a month's assessment (考核归档) over the real HTTP API: what keeps a month open, who
may finalise it, that its appeals are refused afterwards, and that it reads the same later
whatever changes in the rules or the accounts."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from server.api.keys import CONFIG, DATABASE
from server.errors import HallQError
from server.stats.months import finalise, finalised
from server.stats.routes import FACTS, RULES, ROSTER
from server.storage.schema import assessment_months, stat_ticket_facts, ticket_events, users
from tests.conftest import HUB_PASSWORD, Hub, at, start_hub
from tests.stats.test_appeals_and_assessment import _rated_visit


async def close_followups(hub: Hub) -> None:
    """Every open follow-up of a bad rating reached and found unfounded, by the manager."""
    listed = await (await hub.client.get("/api/v1/followups?state=contact", headers=hub.auth("manager"))).json()
    for f in listed["followups"]:
        for step, body in (("attempts", {"reached": True, "note": ""}), ("finding", {"finding": "unfounded", "note": ""})):
            r = await hub.client.post(f"/api/v1/followups/{f['id']}/{step}", json=body, headers=hub.auth("manager"))
            assert r.status == 200, await r.text()


async def _signed_in(hub: Hub, who: str) -> dict[str, str]:
    """A fresh sign-in (the hub's sessions end with the day; these tests move days ahead)."""
    response = await hub.client.post("/api/v1/auth/login", json={"username": who, "password": HUB_PASSWORD})
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def test_a_finalised_month_is_kept_as_published_and_refuses_its_appeals(aiohttp_client, tmp_path, clock):
    """Tried: finalising November on 26 November (ratings still open, an appeal waiting), as a
    clerk, twice; an appeal of a November rating after finalising; the rules and a name changed
    after finalising. Kept: November's ranking and lines exactly as finalised, no new appeal, and
    the Excel says 已归档 with the digest the API gives."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    client = hub.client
    bad = await _rated_visit(hub, clock, "staff01", "W01", 1)
    await _rated_visit(hub, clock, "staff01", "W01", 5)
    other = await _rated_visit(hub, clock, "staff02", "W02", 1)
    r = await client.post("/api/v1/appeals", json={"ticket_id": bad, "reason": "群众误操作，已回访"}, headers=hub.auth("staff01"))
    appeal = await r.json()

    r = await client.post("/api/v1/stats/assessment-months/2026-11/finalise", json={}, headers=hub.auth("manager"))
    body = await r.json()
    assert r.status == 409 and body["error"]["code"] == "month_open", body
    assert "评价期到12月7日结束" in body["error"]["message"] and "还有1件申诉待复核" in body["error"]["message"]
    assert "2 条差评未办结回访" in body["error"]["message"]
    assert body["error"]["details"] == {"month": "2026-11", "pending_appeals": 1, "ratings_close_on": "2026-12-07"}
    assert body["error"]["message_en"] == ("the assessment of 2026-11 cannot be finalised yet: its visits can be rated until "
                                           "2026-12-07 (rules.rating_days = 7); 1 appeal(s) of its ratings are pending; "
                                           "2 bad rating follow-up(s) are not closed")
    assessment = await (await client.get("/api/v1/stats/assessment?month=2026-11", headers=hub.auth("manager"))).json()
    assert assessment["final"] is None
    assert (assessment["open"]["can_finalise"], assessment["open"]["pending_appeals"]) == (False, 1)

    r = await client.post(f"/api/v1/appeals/{appeal['id']}/decision", json={"accept": True, "reason": "回访属实"},
                          headers=hub.auth("manager"))
    assert r.status == 200
    await close_followups(hub)  # the bad ratings called back (差评回访) and found unfounded
    clock.set(at("09:00", date(2026, 12, 8)))  # the rating period (7 days after 30 November) is over
    manager, staff02 = await _signed_in(hub, "manager"), await _signed_in(hub, "staff02")
    before = await (await client.get("/api/v1/stats/assessment?month=2026-11", headers=manager)).json()
    assert before["open"] == {"month": "2026-11", "pending_appeals": 0, "ratings_close_on": "2026-12-07",
                              "blockers": [], "blockers_en": [], "can_finalise": True}
    r = await client.post("/api/v1/stats/assessment-months/2026-11/finalise", json={}, headers=staff02)
    assert r.status == 403, "a clerk does not finalise"

    r = await client.post("/api/v1/stats/assessment-months/2026-11/finalise", json={"note": "经主任办公会审定"}, headers=manager)
    assert r.status == 201, await r.text()
    final = await r.json()
    assert (final["month"], final["finalised_by"], final["finalised_by_name"], final["note"], final["intact"]) == (
        "2026-11", "manager", "大厅管理员（manager）", "经主任办公会审定", True)
    assert len(final["digest"]) == 64
    r = await client.post("/api/v1/stats/assessment-months/2026-11/finalise", json={}, headers=manager)
    body = await r.json()
    assert r.status == 409 and body["error"]["code"] == "already_finalised"
    assert body["error"]["message"] == "2026年11月的考核已于2026-12-08 09:00由大厅管理员（manager）归档"

    # An appeal of a November rating now: refused, nothing filed.
    r = await client.post("/api/v1/appeals", json={"ticket_id": other, "reason": "群众误操作"}, headers=staff02)
    body = await r.json()
    assert r.status == 409 and body["error"]["code"] == "month_finalised"
    assert body["error"]["message"] == "2026年11月的考核已归档，不能再对该月的评价提出申诉"
    appeals = await (await client.get("/api/v1/appeals", headers=manager)).json()
    assert [a["id"] for a in appeals["appeals"]] == [appeal["id"]]
    mine = await (await client.get("/api/v1/my/bad-ratings", headers=staff02)).json()
    assert [(r["ticket_id"], r["appeal"], r["month_final"]) for r in mine["bad_ratings"]] == [(other, None, True)]

    # What would change a computed November: its facts rebuilt differently later (here staff02's
    # bad rating no longer counted), a renamed clerk.
    def later(c):
        c.execute(update(stat_ticket_facts).where(stat_ticket_facts.c.ticket_id == other).values(rating_excluded=True))
        c.execute(update(users).where(users.c.username == "staff02").values(display_name="李四改"))

    await hub.app[DATABASE].write(later)
    after = await (await client.get("/api/v1/stats/assessment?month=2026-11", headers=manager)).json()
    assert (after["people"], after["units"], after["unit_names"]) == (before["people"], before["units"], before["unit_names"])
    assert after["final"] == final and after["open"] is None
    person = await (await client.get("/api/v1/stats/assessment/staff02?month=2026-11", headers=manager)).json()
    assert person["person"]["name"] == "李四（staff02）" and person["final"]["digest"] == final["digest"]
    months = await (await client.get("/api/v1/stats/assessment-months", headers=manager)).json()
    assert [(m["month"], m["digest"]) for m in months["months"]] == [("2026-11", final["digest"])]
    # The statistics report stays computed from the data as it is now, and says so for November.
    note = "2026年11月的考核已归档，以归档结果为准；本报表按当前数据计算，归档后补录的数据只在本报表中体现。"
    page = await (await client.get("/api/v1/stats/report.html?from=2026-11-20&to=2026-12-07&by=all", headers=manager)).text()
    assert f'<p class="note">{note}</p>' in page
    raw = await (await client.get("/api/v1/stats/report.csv?from=2026-11-20&to=2026-12-07&by=all", headers=manager)).read()
    assert f"说明,{note}" in raw.decode("utf-8-sig").splitlines()
    page = await (await client.get("/api/v1/stats/report.html?from=2026-12-01&to=2026-12-07&by=all", headers=manager)).text()
    assert "已归档" not in page
    # December is open, computed now, and cannot be finalised before it is over.
    december = await (await client.get("/api/v1/stats/assessment?month=2026-12", headers=manager)).json()
    assert december["final"] is None and december["open"]["can_finalise"] is False

    book = load_workbook(io.BytesIO(await (await client.get("/api/v1/stats/assessment.xlsx?month=2026-11", headers=manager)).read()))
    heading = {row[0]: row[1] for row in book["考核排名"].iter_rows(max_row=4, values_only=True)}
    assert heading["月度考核"] == f"{hub.engine.config.hall.name} 2026年11月"
    assert heading["状态"].startswith("已归档（2026-12-08 09:00 大厅管理员（manager） 归档，经主任办公会审定）")
    assert heading["校验码"] == final["digest"]
    ranked = list(book["考核排名"].iter_rows(min_row=7, values_only=True))
    assert [(r[1], r[3]) for r in ranked] == [(p["name"], p["score"]) for p in before["people"]]


async def test_the_month_ends_before_it_can_be_finalised(aiohttp_client, tmp_path, clock):
    """Tried: finalising the month in progress, a malformed month, and a month with no appeals
    whose rating period is over. Kept: the first two refused with the reason; the third final."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    today = clock.now()
    clock.set(at("10:00", date(2026, 10, 15)))  # October had its visits
    await _rated_visit(hub, clock, "staff01", "W01", 5)
    clock.set(today)
    r = await hub.client.post("/api/v1/stats/assessment-months/2026-13/finalise", json={}, headers=hub.auth("manager"))
    assert r.status == 400 and (await r.json())["error"]["message"] == "月份格式应为 2026-11"
    await _rated_visit(hub, clock, "staff01", "W01", 5)
    r = await hub.client.post("/api/v1/stats/assessment-months/2026-11/finalise", json={}, headers=hub.auth("admin"))
    assert r.status == 409 and (await r.json())["error"]["code"] == "month_open"
    r = await hub.client.post("/api/v1/stats/assessment-months/2026-10/finalise", json={}, headers=hub.auth("admin"))
    assert r.status == 201 and (await r.json())["finalised_by"] == "admin", "an administrator may finalise too"


async def test_a_month_without_a_single_ticket_is_not_finalised(aiohttp_client, tmp_path, clock):
    """Tried: finalising September (over, no ticket: the hall's first weeks were in October), and
    January 2027 (to come), on 26 November. Kept: both refused, 409 `month_empty`, with the reason
    in Chinese, nothing stored; the report page is told so before anyone presses 归档 (September
    was finalised, an empty archive that later read as a month in which nobody lost a point), and
    September's workbook says it has no assessment, not 未归档."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    manager = hub.auth("manager")
    for month, zh in (("2026-09", "2026年9月"), ("2027-01", "2027年1月")):
        r = await hub.client.post(f"/api/v1/stats/assessment-months/{month}/finalise", json={}, headers=manager)
        error = (await r.json())["error"]
        assert r.status == 409 and error["code"] == "month_empty", error
        assert error["message"] == f"{zh}没有任何办件记录，没有可归档的考核"
        assert error["details"] == {"month": month}
        state = (await (await hub.client.get(f"/api/v1/stats/assessment?month={month}", headers=manager)).json())["open"]
        assert state["can_finalise"] is False and f"{zh}没有任何办件记录，没有可归档的考核" in state["blockers"]
        assert f"{month} has no tickets" in " ".join(state["blockers_en"])
    months = await (await hub.client.get("/api/v1/stats/assessment-months", headers=manager)).json()
    assert months["months"] == []
    # Its workbook says so too, as the page does, not 未归档 (read as a month awaiting the manager).
    book = load_workbook(io.BytesIO(await (await hub.client.get("/api/v1/stats/assessment.xlsx?month=2026-09", headers=manager)).read()))
    heading = {row[0]: row[1] for row in book["考核排名"].iter_rows(max_row=4, values_only=True)}
    assert heading["状态"] == "该月没有考核数据：没有人在窗口登录或办件，排班表中也没有人员", heading


async def test_the_cases_of_a_finalised_month_say_they_are_read_now(aiohttp_client, tmp_path, clock):
    """Tried: the bad-rating cases behind staff02's line while November is open, then after it
    was finalised and the rating excluded by hand (a fact rebuilt later). Kept: open, the list
    says nothing more; finalised, it says it is read from the data as it is now (the archive keeps
    each line's figure, not its tickets), so a list that no longer matches the archived line (1)
    is not taken for the archive."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    other = await _rated_visit(hub, clock, "staff02", "W02", 1)
    path = "/api/v1/stats/assessment/staff02/cases?month=2026-11&rule=bad_ratings"
    live = await (await hub.client.get(path, headers=hub.auth("manager"))).json()
    assert (len(live["cases"]), live["final"], live["note"]) == (1, False, None)

    await close_followups(hub)  # the bad rating called back (差评回访): it no longer holds the month open
    clock.set(at("09:00", date(2026, 12, 8)))
    manager = await _signed_in(hub, "manager")
    r = await hub.client.post("/api/v1/stats/assessment-months/2026-11/finalise", json={}, headers=manager)
    assert r.status == 201, await r.text()
    await hub.app[DATABASE].write(lambda c: c.execute(
        update(stat_ticket_facts).where(stat_ticket_facts.c.ticket_id == other).values(rating_excluded=True)))
    after = await (await hub.client.get(path, headers=manager)).json()
    assert (after["cases"], after["final"]) == ([], True)
    assert after["note"] == "2026年11月的考核已归档，以归档结果为准；以下号票按当前数据列出，可能与归档时的件数不同。"
    person = await (await hub.client.get("/api/v1/stats/assessment/staff02?month=2026-11", headers=manager)).json()
    assert next(line["measured"] for line in person["person"]["lines"] if line["rule"] == "bad_ratings") == 1


async def _november_appeal_in_december(aiohttp_client, tmp_path, clock) -> tuple[Hub, int, dict, dict[str, str]]:
    """A hub with staff01's November visit rated 1 and appealed, on 8 December (November's ratings
    closed); (the hub, the ticket id, the appeal, the manager's fresh headers)."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    bad = await _rated_visit(hub, clock, "staff01", "W01", 1)
    r = await hub.client.post("/api/v1/appeals", json={"ticket_id": bad, "reason": "群众误操作"}, headers=hub.auth("staff01"))
    appeal = await r.json()
    clock.set(at("09:00", date(2026, 12, 8)))
    return hub, bad, appeal, await _signed_in(hub, "manager")


async def test_an_appeal_decided_after_the_catch_up_holds_the_month_open(aiohttp_client, tmp_path, clock):
    """Tried: an appeal of November decided after the statistics last caught up, then finalising
    November in one transaction (the route catches up first: this is a second manager deciding
    between that catch-up and the finalise). Kept: refused, 503 `facts_behind`, nothing stored;
    once the statistics caught up, November is finalised with the appeal counted."""
    hub, bad, appeal, manager = await _november_appeal_in_december(aiohttp_client, tmp_path, clock)
    facts = hub.app[FACTS]
    await facts.catch_up_all()
    await facts.close()  # no catch-up after the decision: as between the route's and the finalise
    r = await hub.client.post(f"/api/v1/appeals/{appeal['id']}/decision", json={"accept": True, "reason": "属实"},
                              headers=manager)
    assert r.status == 200, await r.text()
    app = hub.app

    def finalise_now(c):
        return finalise(c, app[CONFIG], app[RULES], app[ROSTER], "2026-11", "manager", None, clock.now())

    with pytest.raises(HallQError) as refused:
        await app[DATABASE].write_long(finalise_now)
    assert (refused.value.code, refused.value.status, refused.value.message_zh) == (
        "facts_behind", 503, "统计数据正在更新，请稍后再归档")
    assert await app[DATABASE].read(lambda c: finalised(c, "2026-11")) is None
    await facts.catch_up_all()
    final = await app[DATABASE].write_long(finalise_now)
    stored = await app[DATABASE].read(lambda c: c.execute(
        select(assessment_months.c.snapshot).where(assessment_months.c.month == "2026-11")).scalar_one())
    assert final.month == "2026-11" and stored["appeals"] == {"accepted": 1, "rejected": 0}


async def test_an_appeal_decided_as_its_month_is_finalised_is_refused_and_stays_pending(aiohttp_client, tmp_path, clock):
    """Tried: a manager's decision on a November appeal reaching the database just after another
    session's finalise of November committed (finalise refuses a month with an appeal pending, so
    only this race gets there; the archive row is written here as that finalise left it). Kept:
    the decision is refused in Chinese, 409 `month_finalised`; the appeal stays pending with no
    decision event, so the archive and the appeal do not disagree."""
    hub, bad, appeal, manager = await _november_appeal_in_december(aiohttp_client, tmp_path, clock)
    await hub.app[DATABASE].write(lambda c: c.execute(assessment_months.insert().values(
        month="2026-11", finalised_at=clock.now(), finalised_by="admin", snapshot={}, digest="0" * 64)))

    r = await hub.client.post(f"/api/v1/appeals/{appeal['id']}/decision", json={"accept": True, "reason": "属实"},
                              headers=manager)
    body = await r.json()
    assert (r.status, body["error"]["code"], body["error"]["message"]) == (
        409, "month_finalised", "2026年11月的考核已归档，不能再复核该月的申诉")
    appeals = (await (await hub.client.get("/api/v1/appeals", headers=manager)).json())["appeals"]
    assert [(a["id"], a["status"]) for a in appeals] == [(appeal["id"], "pending")]
    kinds = await hub.app[DATABASE].read(lambda c: c.execute(
        select(ticket_events.c.kind).where(ticket_events.c.ticket_id == bad)).scalars().all())
    assert "rating.appeal_decided" not in kinds


async def test_a_month_is_finalised_only_once_its_last_rating_day_has_passed(aiohttp_client, tmp_path, clock):
    """Tried: October (a visit on the 15th, rated 5) finalised at 23:10 on the last day a visit of
    October can be rated, then at 00:10 the next day. Seen: finalised at 23:10 (the hall's day was
    over at 23:00), while the status page still took ratings until midnight: a bad rating given
    then counted in the report and was never appealable. Kept: refused (month_open, naming the
    rating period) until that calendar day has passed."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    clock.set(at("10:00", date(2026, 10, 15)))
    await _rated_visit(hub, clock, "staff01", "W01", 5)
    closes = date.fromisoformat((await (await hub.client.get(
        "/api/v1/stats/assessment?month=2026-10", headers=await _signed_in(hub, "manager"))).json())["open"]["ratings_close_on"])
    clock.set(at("23:10", closes))
    manager = await _signed_in(hub, "manager")
    r = await hub.client.post("/api/v1/stats/assessment-months/2026-10/finalise", json={}, headers=manager)
    error = (await r.json())["error"]
    assert (r.status, error["code"]) == (409, "month_open") and f"评价期到{closes.month}月{closes.day}日结束" in error["message"], error
    clock.set(at("00:10", date.fromordinal(closes.toordinal() + 1)))
    r = await hub.client.post("/api/v1/stats/assessment-months/2026-10/finalise", json={}, headers=await _signed_in(hub, "manager"))
    assert r.status == 201, await r.text()
