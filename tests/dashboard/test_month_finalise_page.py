"""The report page's 考核归档 (finalising a month) in a real browser: what keeps a month open,
the confirmation, and the month shown as final afterwards."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from playwright.async_api import Page, expect

from sqlalchemy import select, update

from server.api.keys import DATABASE
from server.stats.months import finalised
from server.storage.schema import assessment_months
from tests.conftest import HUB_PASSWORD, Hub, at
from tests.dashboard.conftest import post, sign_in
from tests.dashboard.test_report_page import bad_rating_appeal
from tests.stats.test_month_finalise import close_followups


@pytest.mark.browser
async def test_the_manager_finalises_a_month_from_the_report_page(page: Page, web_hub: Hub, clock) -> None:
    """Tried: November with an appeal waiting and its ratings open, then November once both are
    over, finalised from the page after a confirmation; December, not over. Seen before: no
    month could be finalised. Kept: the reasons listed and the button off while open; once
    finalised the page says so with who, when, the note and the digest, and the button is gone."""
    appeal = await bad_rating_appeal(web_hub)
    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#month")).to_have_value("2026-11")
    await page.fill("#month", "2026-11")
    await page.click("#run-assessment")
    await expect(page.locator("#month-state-text")).to_contain_text("未归档")
    await expect(page.locator("#month-blockers li")).to_have_count(3)
    await expect(page.locator("#month-blockers")).to_contain_text("还有1件申诉待复核")
    await expect(page.locator("#month-blockers")).to_contain_text("1 条差评未办结回访")
    await expect(page.locator("#finalise")).to_be_disabled()

    await post(web_hub, f"/appeals/{appeal}/decision", "manager", {"accept": False, "reason": "录像显示服务规范"})
    await close_followups(web_hub)
    clock.set(at("09:00", date(2026, 12, 8)))
    await sign_in(page, web_hub, "/reports")  # yesterday's session is over
    # Early December, November waits to be archived: the card opens on it, read (it opened on
    # December, empty, and the manager had to know to type November).
    await expect(page.locator("#month")).to_have_value("2026-11")
    await expect(page.locator("#month-state-text")).to_contain_text("2026年11月未归档")
    await expect(page.locator("#ranking-rows tr[data-staff='staff01']")).to_be_visible()
    await expect(page.locator("#month-blockers li")).to_have_count(0)
    await expect(page.locator("#finalise")).to_be_enabled()
    await page.fill("#finalise-note", "经主任办公会审定")
    asked: list[str] = []

    async def confirm(dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", confirm)
    await page.click("#finalise")
    await expect(page.locator("#month-state")).to_have_class("month-state final")
    assert asked and "申诉不再受理" in asked[0]
    stored = await web_hub.app[DATABASE].read(lambda c: finalised(c, "2026-11"))
    assert stored is not None and stored.final is not None
    text = page.locator("#month-state-text")
    await expect(text).to_contain_text("2026年11月已归档：2026/12/08 09:00 由 大厅管理员（manager） 归档（经主任办公会审定）")
    await expect(text).to_contain_text(f"校验码 {stored.final.digest}")
    await expect(page.locator("#finalise-box")).to_be_hidden()
    await expect(page.locator("#ranking-rows tr[data-staff='staff01']")).to_be_visible()
    await expect(page.locator("#final-months button")).to_have_text(["2026年11月"])  # the archive, one click away
    await expect(page.locator("#month-state .tampered")).to_have_count(0)
    # The tickets behind a line of the finalised month are today's data, and the page says so.
    await page.locator("#ranking-rows tr[data-staff='staff01'] button").click()
    await page.locator("#person-lines tr[data-rule='bad_ratings'] button.cases").click()
    await expect(page.locator("#case-rows tr")).to_have_count(1)
    await expect(page.locator("#cases-note")).to_have_text(
        "2026年11月的考核已归档，以归档结果为准；以下号票按当前数据列出，可能与归档时的件数不同。")

    # The archive changed by hand (a score raised in the database): shown, and said not to match.
    def raise_scores(c) -> None:
        row = assessment_months.c.month == "2026-11"
        snapshot = c.execute(select(assessment_months.c.snapshot).where(row)).scalar_one()
        snapshot["people"] = [{**p, "score": 120.0} for p in snapshot["people"]]
        c.execute(update(assessment_months).where(row).values(snapshot=snapshot))

    await web_hub.app[DATABASE].write(raise_scores)
    await page.click("#run-assessment")
    await expect(page.locator("#month-state .tampered")).to_have_text("存档数据与校验码不符，可能被改动，请联系系统管理员核查。")
    login = await web_hub.client.post("/api/v1/auth/login", json={"username": "manager", "password": HUB_PASSWORD})
    token = {"Authorization": f"Bearer {(await login.json())['token']}"}
    data = await (await web_hub.client.get("/api/v1/stats/assessment.xlsx?month=2026-11", headers=token)).read()
    heading = dict(load_workbook(io.BytesIO(data))["考核排名"].iter_rows(max_row=2, max_col=2, values_only=True))
    assert heading["状态"].endswith("；存档数据与校验码不符，可能被改动"), heading

    await page.fill("#month", "2026-12")
    await page.click("#run-assessment")
    await expect(page.locator("#month-state-text")).to_contain_text("未归档")
    await expect(page.locator("#month-blockers")).to_contain_text("评价期到1月7日结束")
    await expect(page.locator("#finalise")).to_be_disabled()
    await page.click("#final-months button[data-month='2026-11']")
    await expect(page.locator("#month")).to_have_value("2026-11")
    await expect(page.locator("#month-state-text")).to_contain_text("已归档")
    # November archived: the page opens on this month again, nothing read until asked.
    await page.reload()
    await expect(page.locator("#final-months button")).to_have_text(["2026年11月"])
    await expect(page.locator("#month")).to_have_value("2026-12")
    await expect(page.locator("#month-state")).to_be_hidden()


@pytest.mark.browser
async def test_finalise_is_not_offered_for_a_month_typed_but_not_read(page: Page, web_hub: Hub, clock) -> None:
    """Tried: a November visit; on 8 December November read on the page (nothing keeps it open),
    then September, a month without a ticket, typed in the month field and 归档 pressed before
    查看考核. Seen: the button stayed on for the month typed, and pressing it asked the hub to
    finalise September, which refused it (month_empty). Kept: typing another month takes the
    归档 box away until that month is read; read, September says it has no data and offers no 归档
    (test_a_month_without_data_offers_no_archiving); November read again offers it; nothing was finalised and the hub's refusal stands."""
    await post(web_hub, "/windows/W19/login", "staff01")
    await post(web_hub, "/tickets", "kiosk", {"queue": "C1"})
    for step in ("call-next", "start"):
        await post(web_hub, f"/windows/W19/{step}", "staff01")
    await post(web_hub, "/windows/W19/finish", "staff01", {"outcome": "completed"})
    clock.set(at("09:00", date(2026, 12, 8)))
    asked: list[str] = []

    async def confirm(dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", confirm)
    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#month")).to_have_value("2026-11")  # opened on November, waiting to be archived
    await page.fill("#month", "2026-11")
    await page.click("#run-assessment")
    await expect(page.locator("#ranking-rows tr[data-staff='staff01']")).to_be_visible()  # November read
    await expect(page.locator("#finalise-box")).to_be_visible()
    await expect(page.locator("#finalise")).to_be_enabled()

    await page.fill("#month", "2026-09")
    await expect(page.locator("#finalise-box")).to_be_hidden()
    await page.click("#run-assessment")
    await expect(page.locator("#assess-empty")).to_be_visible()
    await expect(page.locator("#month-state")).to_be_hidden()  # nothing to archive: no 归档 at all
    await expect(page.locator("#finalise-box")).to_be_hidden()
    await page.fill("#month", "2026-11")
    await page.click("#run-assessment")
    await expect(page.locator("#finalise-box")).to_be_visible()
    await expect(page.locator("#finalise")).to_be_enabled()
    assert asked == [] and await page.locator("#assess-error").text_content() == ""
    assert await web_hub.app[DATABASE].read(lambda c: c.execute(select(assessment_months.c.month)).all()) == []
    login = await web_hub.client.post("/api/v1/auth/login", json={"username": "manager", "password": HUB_PASSWORD})
    refused = await web_hub.client.post("/api/v1/stats/assessment-months/2026-09/finalise", json={},
                                        headers={"Authorization": f"Bearer {(await login.json())['token']}"})
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "month_empty"


@pytest.mark.browser
async def test_a_month_without_data_offers_no_archiving(page: Page, web_hub: Hub) -> None:
    """Tried: 查看考核 for January 2030 (no ticket, nobody on the roster), then this month, where
    staff01 served a rated ticket. Seen: under 该月没有考核数据 the page still said 未归档：申诉复核完成、
    评价期结束后，由大厅管理员归档 and showed a disabled 归档本月考核 button, as if the month waited for
    the manager. Kept: a month with nothing to archive shows only its no-data sentence; a month
    with a ranking still shows its state, reasons and the button (off while open)."""
    await bad_rating_appeal(web_hub)
    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#month")).to_have_value("2026-11")  # the page set up
    await page.fill("#month", "2030-01")
    await page.click("#run-assessment")
    await expect(page.locator("#assess-empty")).to_be_visible()
    await expect(page.locator("#month-state")).to_be_hidden()
    await expect(page.locator("#finalise")).to_be_hidden()
    await expect(page.get_by_text("未归档")).to_have_count(0)
    assert await page.locator("#assessment-card").evaluate("card => card.innerText.includes('归档本月考核')") is False

    await page.fill("#month", "2026-11")
    await page.click("#run-assessment")
    await expect(page.locator("#ranking-rows tr[data-staff='staff01']")).to_be_visible()
    await expect(page.locator("#month-state-text")).to_contain_text("未归档")
    await expect(page.locator("#finalise")).to_be_visible()
    await expect(page.locator("#finalise")).to_be_disabled()
    await expect(page.locator("#assess-empty")).to_be_hidden()


@pytest.mark.browser
async def test_the_months_reasons_follow_the_reviews_made_on_the_page(page: Page, web_hub: Hub) -> None:
    """Tried: at 1366x768, November read (an appeal pending, its bad rating's follow-up open),
    then the appeal rejected and the follow-up closed (reached, 不属实) in their cards below,
    without pressing 查看考核 again. Seen: the month still listed 还有1件申诉待复核 and 1 条差评未办结回访
    after both were done, as if the reviews had not counted. Kept: each review reads the month
    shown again, and its reasons go as the work is done."""
    appeal = await bad_rating_appeal(web_hub)
    await page.set_viewport_size({"width": 1366, "height": 768})
    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#month")).to_have_value("2026-11")  # the page set up
    await page.click("#run-assessment")
    blockers = page.locator("#month-blockers")
    await expect(blockers).to_contain_text("还有1件申诉待复核")
    await expect(blockers).to_contain_text("1 条差评未办结回访")

    row = page.locator(f"#appeal-rows tr[data-appeal='{appeal}']")
    await row.locator("input.appeal-reason").fill("录像显示服务规范")
    await row.locator("button.reject").click()
    await expect(row.locator(".status")).to_have_text("已驳回")
    await expect(blockers).not_to_contain_text("申诉待复核")
    await expect(blockers).to_contain_text("1 条差评未办结回访")

    followup = page.locator("#followup-rows tr").first
    await followup.locator("button.reached").click()
    await expect(followup.locator("select.finding")).to_be_visible()
    await followup.locator("select.finding").select_option("unfounded")
    await followup.locator("button.find").click()
    await expect(page.locator("#followup-counts")).to_have_text("待办 0 件，其中超期 0 件")
    await expect(blockers).not_to_contain_text("差评未办结回访")
    await expect(blockers).to_contain_text("评价期到12月7日结束")  # what still keeps it open
    await expect(page.locator("#finalise")).to_be_disabled()


@pytest.mark.browser
async def test_the_archive_notes_hint_is_read_whole(page: Page, web_hub: Hub) -> None:
    """Tried: at 1366x768, November read with its 归档 box shown. Seen: the 归档说明 box cut its hint
    to 可选，如：经主任办公会, the end of the example lost. Kept: the box is wide enough for the
    whole hint in the page's own font."""
    await bad_rating_appeal(web_hub)
    await page.set_viewport_size({"width": 1366, "height": 768})
    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#month")).to_have_value("2026-11")  # the page set up
    await page.click("#run-assessment")
    note = page.locator("#finalise-note")
    await expect(note).to_be_visible()
    room, needed = await note.evaluate("""(input) => {
        const style = getComputedStyle(input);
        const context = document.createElement('canvas').getContext('2d');
        context.font = style.font;
        const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return [room, context.measureText(input.placeholder).width];
    }""")
    assert needed <= room, (needed, room)


@pytest.mark.browser
async def test_the_month_state_names_its_month(page: Page, web_hub: Hub) -> None:
    """Tried: November read on the page (open: an appeal pending), then 2026-10 typed in the month
    field and not read. Seen: the box went on saying 未归档 and 还有1件申诉待复核 under a field that
    now said October, as if October were open with an appeal. Kept: the state names the month it
    is about, 2026年11月未归档, whatever is typed in the field since."""
    await bad_rating_appeal(web_hub)
    await sign_in(page, web_hub, "/reports")
    await expect(page.locator("#month")).to_have_value("2026-11")  # the page set up
    await page.click("#run-assessment")
    text = page.locator("#month-state-text")
    await expect(text).to_contain_text("2026年11月未归档：")
    await page.fill("#month", "2026-10")
    await expect(page.locator("#finalise-box")).to_be_hidden()
    await expect(text).to_contain_text("2026年11月未归档：")
