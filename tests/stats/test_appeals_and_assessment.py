"""Appeals over the real HTTP API, their audit trail, their effect on counts and on the assessment;
and the assessment rules file's error reporting."""
from __future__ import annotations

import unittest.mock
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update

from server.accounts import Principal, Role
from server.api.keys import ACCOUNTS, DATABASE
from server.config.problems import ConfigError
from server.engine.views import IssueRequest
from server.stats.assessment import _Measures, _score
from server.stats.assessment_rules import AssessmentRules, load_rules, parse_rules
from server.storage.schema import users
from tests.conftest import HUB_PASSWORD, _hub_password_hash, at, start_hub


async def _rated_visit(hub, clock, staff: str, window: str, score: int) -> int:
    engine = hub.engine
    queue = next(iter(engine.config.window(window).queues))
    ticket = (await engine.issue(IssueRequest(queue=queue))).ticket
    if (await engine.window(window)).staff_id is None:
        await engine.login(window, staff)
    clock.advance(300)
    await engine.call_next(window)
    clock.advance(30)
    await engine.start(window)
    clock.advance(600)
    await engine.finish(window)
    await engine.rate(ticket.id, score)
    return ticket.id


async def test_appeal_flow_keeps_the_rating_and_its_audit_trail(aiohttp_client, tmp_path, clock):
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    client = hub.client
    bad = await _rated_visit(hub, clock, "staff01", "W01", 1)
    good = await _rated_visit(hub, clock, "staff01", "W01", 5)
    other = await _rated_visit(hub, clock, "staff02", "W02", 2)

    # What was tried and refused: a good rating, someone else's rating, a manager filing.
    r = await client.post("/api/v1/appeals", json={"ticket_id": good, "reason": "误评"}, headers=hub.auth("staff01"))
    assert r.status == 409 and (await r.json())["error"]["code"] == "invalid_state"
    r = await client.post("/api/v1/appeals", json={"ticket_id": other, "reason": "误评"}, headers=hub.auth("staff01"))
    assert r.status == 403 and (await r.json())["error"]["code"] == "not_your_rating"
    r = await client.post("/api/v1/appeals", json={"ticket_id": bad, "reason": "群众误操作"}, headers=hub.auth("manager"))
    assert r.status == 403

    r = await client.post("/api/v1/appeals", json={"ticket_id": bad, "reason": "群众误操作，已电话回访"}, headers=hub.auth("staff01"))
    assert r.status == 201, await r.text()
    appeal = await r.json()
    assert (appeal["status"], appeal["rating"], appeal["staff_id"]) == ("pending", 1, "staff01")
    r = await client.post("/api/v1/appeals", json={"ticket_id": bad, "reason": "再次申诉"}, headers=hub.auth("staff01"))
    assert r.status == 409, "one appeal per rating"
    r = await client.post(f"/api/v1/appeals/{appeal['id']}/decision", json={"accept": True, "reason": "回访属实"}, headers=hub.auth("staff01"))
    assert r.status == 403, "staff cannot decide their own appeal"

    r = await client.post(f"/api/v1/appeals/{appeal['id']}/decision", json={"accept": True, "reason": "回访属实"}, headers=hub.auth("manager"))
    decided = await r.json()
    assert (decided["status"], decided["decided_by"]) == ("accepted", "manager")
    r = await client.post(f"/api/v1/appeals/{appeal['id']}/decision", json={"accept": False, "reason": "改判"}, headers=hub.auth("manager"))
    assert r.status == 409, "a decision is final"

    assert (await hub.engine.ticket(bad)).rating == 1, "the citizen's rating itself is never changed"
    kinds = [e.kind for e in await hub.engine.ticket_events(bad)]
    assert kinds[-2:] == ["rating.appeal_filed", "rating.appeal_decided"]

    r = await client.get("/api/v1/stats/report?by=all", headers=hub.auth("manager"))
    [row] = (await r.json())["rows"]
    assert (row["rated"], row["bad_before_appeal"], row["bad_after_appeal"]) == (2, 2, 1)
    assert row["rating_mean"] == 3.5 and row["rating_good_share"] == 0.5  # 5 and 2 count; the excluded 1 does not

    r = await client.get("/api/v1/stats/assessment/staff01?month=2026-11", headers=hub.auth("manager"))
    lines = {line["rule"]: line for line in (await r.json())["person"]["lines"]}
    assert (lines["bad_ratings"]["measured"], lines["bad_ratings"]["points"]) == (0, 0.0)
    assert lines["volume"]["measured"] == 2
    r = await client.get("/api/v1/stats/assessment/staff02?month=2026-11", headers=hub.auth("manager"))
    lines = {line["rule"]: line for line in (await r.json())["person"]["lines"]}
    assert (lines["bad_ratings"]["measured"], lines["bad_ratings"]["points"]) == (1, -2.0)


async def test_assessment_ranks_people_and_explains_every_point(aiohttp_client, tmp_path, clock):
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    for _ in range(3):
        await _rated_visit(hub, clock, "staff01", "W01", 5)
    await _rated_visit(hub, clock, "staff02", "W02", 1)
    r = await hub.client.get("/api/v1/stats/assessment?month=2026-11", headers=hub.auth("manager"))
    body = await r.json()
    people = {p["staff_id"]: p for p in body["people"]}
    assert [p["staff_id"] for p in body["people"]] == ["staff01", "staff02"], "no roster: nobody else is expected"
    for person in people.values():
        assert person["score"] == pytest.approx(100 + sum(line["points"] for line in person["lines"]))
        assert {line["rule"] for line in person["lines"]} == {
            "volume", "service_time", "waits", "satisfaction", "bad_ratings", "paused", "absent", "no_shows"}
    assert body["units"] and body["units"][0]["rank"] == 1
    r = await hub.client.get("/api/v1/stats/assessment?month=2026-13", headers=hub.auth("manager"))
    assert r.status == 400
    r = await hub.client.get("/api/v1/stats/assessment", headers=hub.auth("staff01"))
    assert r.status == 403


def test_sample_rules_load_and_bad_rules_name_file_key_reason(tmp_path: Path):
    rules = load_rules(Path(__file__).parents[2] / "config")
    assert rules.service_time.norm_s("B1") == 30 * 60 and rules.service_time.norm_s("Z9") == 15 * 60
    with pytest.raises(ConfigError) as caught:
        parse_rules("[volume]\npoints_per_cas = 1\n[waits]\nmax_share = 2\n[nonsense]\n")
    found = {(p.file, p.key_path) for p in caught.value.problems}
    assert found == {("assessment.toml", "volume.points_per_cas"), ("assessment.toml", "waits.max_share"),
                     ("assessment.toml", "nonsense")}
    assert all(p.reason for p in caught.value.problems)
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_rules("[volume\n")


async def test_a_bad_rating_of_last_month_can_still_be_appealed_from_the_pad(aiohttp_client, tmp_path, clock):
    """Rated 1 on Monday 30 November; on Tuesday 1 December (the manager assesses November in
    these days) the clerk's 我的差评 listed only December's: the rating could not be appealed
    from the pad any more. It lists this month's and last month's now; a month asked for is that
    month only."""
    clock.set(at("10:00", date(2026, 11, 30)))
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    bad = await _rated_visit(hub, clock, "staff01", "W01", 1)
    clock.set(at("09:00", date(2026, 12, 1)))
    login = await hub.client.post("/api/v1/auth/login", json={"username": "staff01", "password": HUB_PASSWORD})
    auth = {"Authorization": f"Bearer {(await login.json())['token']}"}  # a new day, a new sign-in
    mine = await (await hub.client.get("/api/v1/my/bad-ratings", headers=auth)).json()
    assert [r["ticket_id"] for r in mine["bad_ratings"]] == [bad]
    assert (mine["from"], mine["to"]) == ("2026-11-01", "2026-12-01")
    december = await (await hub.client.get("/api/v1/my/bad-ratings?month=2026-12", headers=auth)).json()
    assert december["bad_ratings"] == []


async def test_pending_appeals_come_first_then_the_latest_decisions(aiohttp_client, tmp_path, clock):
    """Three appeals filed one after another, the first two decided (the second one last). The
    list, oldest first, put decided appeals above the one still waiting for the manager; it gives
    the pending one first, then the latest decision."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    ids = []
    for _ in range(3):
        ticket = await _rated_visit(hub, clock, "staff01", "W01", 1)
        r = await hub.client.post("/api/v1/appeals", json={"ticket_id": ticket, "reason": "群众误操作"}, headers=hub.auth("staff01"))
        ids.append((await r.json())["id"])
    for appeal in (ids[0], ids[1]):
        clock.advance(60)
        r = await hub.client.post(f"/api/v1/appeals/{appeal}/decision", json={"accept": False, "reason": "评价有效"},
                                  headers=hub.auth("manager"))
        assert r.status == 200
    listed = await (await hub.client.get("/api/v1/appeals", headers=hub.auth("manager"))).json()
    assert [a["id"] for a in listed["appeals"]] == [ids[2], ids[1], ids[0]]


async def test_a_chief_sees_the_appeals_of_the_bad_ratings_their_units_report_counts(aiohttp_client, tmp_path, clock):
    """Tried: staff01, a 综合窗口 clerk whose account names no unit, serves an A1 ticket (U01's
    queue) at W01 and is rated 1; staff02, a U01 clerk relieving at W11, serves a B1 ticket
    (U08's queue) and is rated 2; both appeal. Seen: U01's chief, whose report and follow-ups
    hold the A1 bad rating, was shown staff02's appeal of the B1 one instead (appeals went by the
    clerk's account unit), and U08's chief, whose follow-up list holds the B1 rating, saw no
    appeal. Kept: a chief sees the appeals of their unit's tickets, as their follow-ups
    (followups.of_unit) and report count them; the manager sees all."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    client = hub.client
    await hub.app[DATABASE].write(lambda c: c.execute(update(users).where(users.c.username == "staff02").values(unit="U01")))
    with unittest.mock.patch("server.accounts.hash_password", return_value=_hub_password_hash()):
        for name, unit in (("chief01", "U01"), ("chief08", "U08")):
            await hub.app[ACCOUNTS].add_user(name, "pass-1234", Role.CHIEF, f"首席{unit}", unit, now=at("08:00"))
            hub.tokens[name] = await hub.app[ACCOUNTS].open_session(Principal(name, Role.CHIEF, False, name, unit), now=at("08:00"))
    front = await _rated_visit(hub, clock, "staff01", "W01", 1)  # A1: U01's queue
    relief = await _rated_visit(hub, clock, "staff02", "W11", 2)  # B1: U08's queue
    for staff, ticket in (("staff01", front), ("staff02", relief)):
        r = await client.post("/api/v1/appeals", json={"ticket_id": ticket, "reason": "群众误操作"}, headers=hub.auth(staff))
        assert r.status == 201, await r.text()

    everyone = await (await client.get("/api/v1/appeals", headers=hub.auth("manager"))).json()
    assert sorted(a["ticket_id"] for a in everyone["appeals"]) == sorted((front, relief))
    for chief, ticket in (("chief01", front), ("chief08", relief)):
        followups = await (await client.get("/api/v1/followups", headers=hub.auth(chief))).json()
        appeals = await (await client.get("/api/v1/appeals", headers=hub.auth(chief))).json()
        assert [f["ticket_id"] for f in followups["followups"]] == [ticket], chief
        assert [a["ticket_id"] for a in appeals["appeals"]] == [ticket], chief
        assert list(appeals["names"]) == [next(a["staff_id"] for a in appeals["appeals"])], chief


def test_each_share_is_judged_as_the_page_shows_it() -> None:
    """Tried: a month whose satisfaction is 37,999 of 40,000 (94.9975 %, shown 95.00 %) against
    the rule "≥ 95 % earns the bonus", and waits over the level 8,001 of 40,000 (20.0025 %, shown
    20.00 %) against "> 20 % loses points". It was: no bonus and a deduction, though the page's
    figures meet the rules (过号率 was already judged as shown). Kept: the verdicts follow the
    figures printed beside them."""
    measures = _Measures(rated=40_000, good=37_999, waited=40_000, over_level=8_001, days=1)
    lines = {line.rule: line for line in _score("staff01", measures, AssessmentRules(), 20).lines}
    assert (lines["satisfaction"].measured, lines["satisfaction"].points) == (0.95, AssessmentRules().satisfaction.bonus)
    assert (lines["waits"].measured, lines["waits"].points) == (0.2, 0.0)
