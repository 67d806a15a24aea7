"""The web board in a real browser: a call appears live without reloading the page."""
from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio

from server.voice.service import voice_extension
from server.voice.config import VoicePlan
from server.web import setup_static
from server.web.board import setup as board_setup
from tests.board.hall_actions import api, board_token, call_next, issue, login, silent_back_office_call
from tests.conftest import publish_screenshot, sample_hall_serving, start_hub

pytestmark = pytest.mark.browser


@pytest_asyncio.fixture(loop_scope="session")
async def hub(browser_client, tmp_path: Path, clock):
    quiet = voice_extension(plan=VoicePlan({}))
    return await start_hub(browser_client, tmp_path / "data", clock, extensions=[setup_static, board_setup, quiet])


async def test_call_appears_live_on_the_web_board(hub, browser, tmp_path: Path) -> None:
    waiting = [await issue(hub, "A1") for _ in range(3)]
    await login(hub, "W01", "staff01")
    first = await call_next(hub, "W01", "staff01")
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.goto(f"{hub.base_url}/board?zone=A&token={hub.tokens['board-A']}")
    await page.wait_for_selector("body[data-ready='yes'][data-online='yes']")
    assert "token=" not in page.url  # the device token left the address bar, kept for the tab
    assert await page.evaluate("sessionStorage.getItem('hallq.token')") == hub.tokens["board-A"]
    assert await page.text_content("#title") == "A区 综合受理区（一窗通办）"
    assert await page.text_content("#current-text") == f"请 {first} 号 到 1号窗口"  # from the state
    assert await page.text_content("tr[data-queue='A1'] td.count") == "2人"
    marker = await page.evaluate("window.performance.getEntriesByType('navigation').length")
    # A call made now reaches the open page over the event stream.
    await api(hub, "POST", "/windows/W01/finish", "staff01", {})
    second = await call_next(hub, "W01", "staff01")
    await page.wait_for_selector(f"#current-text:has-text('{second}')")
    assert await page.text_content("#current-text") == f"请 {second} 号 到 1号窗口"
    assert await page.inner_text("#recent") == f"请 {first} 号 到 1号窗口"
    assert await page.text_content("tr[data-queue='A1'] td.count") == "1人"
    # Other zones and back offices never show up; no staff id anywhere on the page.
    await issue(hub, "C1")
    await login(hub, "W19", "staff02")
    await call_next(hub, "W19", "staff02")
    await api(hub, "POST", "/windows/W01/recall", "staff01")
    await issue(hub, "A1")  # a visible change after all of the above: once it shows, they have arrived
    await page.wait_for_selector("tr[data-queue='A1'] td.count:text-is('2人')")
    assert await page.inner_text("#recent") == f"请 {first} 号 到 1号窗口"
    body = await page.inner_text("body")
    assert "C1" not in body and "19号窗口" not in body
    assert not any(who in body for who in ("staff01", "staff02", "张三"))
    assert await page.evaluate("window.performance.getEntriesByType('navigation').length") == marker  # no reload
    assert waiting[2] not in await page.inner_text("#recent")
    shot = tmp_path / "board-web.png"
    await page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    publish_screenshot(shot)
    # The evening close of the day's leftovers: the two still waiting leave the count; the ticket
    # at window 1 (called) was not in it.
    await hub.engine.close_day(hub.engine.today())
    await page.wait_for_selector("tr[data-queue='A1'] td.count:text-is('0人')")
    await page.close()


async def test_a_queue_nobody_serves_says_so_on_the_web_board(hub, browser) -> None:
    """Tried: zone A's board before anyone logs in, then a login, a ticket, a pause and a logout,
    live. Kept: 暂无窗口 whenever no window serves the queue (it said 无需等候, and a citizen took a
    ticket nobody would call), 无需等候 once one does, and the engine's estimate in between."""
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.goto(f"{hub.base_url}/board?zone=A&token={hub.tokens['board-A']}")
    await page.wait_for_selector("body[data-ready='yes'][data-online='yes']")
    wait = "tr[data-queue='A1'] td.wait"
    assert await page.text_content(wait) == "暂无窗口"
    assert await page.text_content("tr[data-queue='A1'] td.count") == "0人"
    await login(hub, "W01", "staff01")
    await page.wait_for_selector(f"{wait}:text-is('无需等候')")
    await issue(hub, "A1")
    await page.wait_for_selector(f"{wait}:text-is('约8分钟')")  # one person, the default 8 min, one window
    (a1,) = await hub.engine.queues(["A1"])
    assert (a1.open_windows, a1.estimated_wait_min, a1.service_min) == (1, 8, 8.0)  # the hub agrees
    await api(hub, "POST", "/windows/W01/pause", "staff01", {"reason": "meeting"})
    await page.wait_for_selector(f"{wait}:text-is('暂无窗口')")
    await api(hub, "POST", "/windows/W01/resume", "staff01", {})
    await page.wait_for_selector(f"{wait}:text-is('约8分钟')")
    await api(hub, "POST", "/windows/W01/logout", "staff01", {})
    await page.wait_for_selector(f"{wait}:text-is('暂无窗口')")
    await page.close()


async def test_a_case_sent_to_a_back_office_leaves_the_boards_count(hub, browser) -> None:
    """Tried: zone C's board while a C1 case is accepted at W19 and sent to the back office BO-C,
    then another C1 ticket, and a reload. Kept: only the ticket a window will call is counted,
    live and from the state (the transfer added one and the hub counted it)."""
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.goto(f"{hub.base_url}/board?zone=C&token={await board_token(hub, 'C')}")
    await page.wait_for_selector("body[data-ready='yes'][data-online='yes']")
    count = "tr[data-queue='C1'] td.count"
    await issue(hub, "C1")
    await page.wait_for_selector(f"{count}:text-is('1人')")
    await login(hub, "W19", "staff02")
    await call_next(hub, "W19", "staff02")
    await page.wait_for_selector(f"{count}:text-is('0人')")
    await api(hub, "POST", "/windows/W19/transfer", "staff02", {"target_kind": "back_office", "target": "BO-C"})
    await issue(hub, "C1")  # a later event: once it has arrived, so has the transfer
    await page.wait_for_selector(f"{count}:text-is('1人')")  # 2人 if the transfer had counted
    await page.wait_for_timeout(300)
    assert await page.text_content(count) == "1人"
    await page.reload()
    await page.wait_for_selector("body[data-ready='yes'][data-online='yes']")
    assert await page.text_content(count) == "1人"
    await page.close()


async def test_a_web_board_left_open_overnight_opens_the_new_day_clean(hub, browser, clock) -> None:
    """Tried: a board page open across midnight (its clock driven by Playwright, in the hall's time
    zone) with yesterday's last call on screen, after the hub's evening close. Kept: once the page's
    day and the hub's have both changed, the page shows the new day's state (the idle greeting, no
    calls) without a reload of the page, and the stream goes on (a new day's call appears)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from server.engine.views import IssueRequest
    from tests.conftest import THURSDAY, at

    clock.set(at("09:00"))
    await issue(hub, "A1")
    await login(hub, "W01", "staff01")
    first = await call_next(hub, "W01", "staff01")
    context = await browser.new_context(viewport={"width": 1280, "height": 720}, timezone_id="Asia/Shanghai")
    page = await context.new_page()
    try:
        await page.clock.install(time=datetime.fromtimestamp(at("09:00"), ZoneInfo("Asia/Shanghai")))
        await page.goto(f"{hub.base_url}/board?zone=A&token={hub.tokens['board-A']}")
        await page.wait_for_selector("body[data-ready='yes'][data-online='yes']")
        assert await page.text_content("#current-text") == f"请 {first} 号 到 1号窗口"
        marker = await page.evaluate("window.performance.getEntriesByType('navigation').length")

        clock.set(at("20:00"))
        await hub.engine.close_day(THURSDAY)
        friday = THURSDAY + timedelta(days=1)
        clock.set(at("08:40", friday))
        await page.clock.set_system_time(datetime.fromtimestamp(at("00:01", friday), ZoneInfo("Asia/Shanghai")))
        await page.clock.run_for(2000)  # the page's clock ticks into the new day
        await page.wait_for_selector("#current-text.idle")
        assert await page.text_content("#current-text") == "欢迎光临 请留意叫号"
        assert await page.inner_text("#recent") == ""
        assert await page.evaluate("window.performance.getEntriesByType('navigation').length") == marker

        await hub.engine.login("W01", "staff01")  # yesterday's staff session has expired
        number = (await hub.engine.issue(IssueRequest(queue="A1"))).ticket.number
        await hub.engine.call_next("W01")
        await page.wait_for_selector(f"#current-text:has-text('{number}')")
    finally:
        await context.close()


async def test_a_board_without_a_valid_token_says_so_and_stops_retrying(hub, browser, clock) -> None:
    """Tried: a board opened with no token (as the README's address was typed in the demo), and a
    board whose device token the technician switches off while it shows the hall. Kept: the first
    says it is not authorised, not "reconnecting", after one attempt at the stream and none more;
    the second keeps showing the hall until the stream's recheck, then says the same and clears
    the calls and counts it showed (no event would move them again: they went stale on screen)."""
    await issue(hub, "A1")
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    streams: list[str] = []
    page.on("websocket", lambda ws: streams.append(ws.url))
    await page.goto(f"{hub.base_url}/board?zone=A")
    await page.wait_for_selector("body[data-online='refused']")
    assert await page.text_content("#offline") == "本屏未授权（显示设备令牌无效或已停用），请联系技术人员"
    assert await page.locator("tr[data-queue='A1']").count() == 0  # nothing it could not keep true
    await page.wait_for_timeout(2500)  # the back-off would have retried twice by now
    assert len(streams) == 1
    await page.close()

    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.goto(f"{hub.base_url}/board?zone=A&token={hub.tokens['board-A']}")
    await page.wait_for_selector("body[data-ready='yes'][data-online='yes']")
    off = await api(hub, "POST", "/devices/board-A/active", "tech", {"active": False})
    assert off == {"name": "board-A", "active": False}
    clock.advance(11)
    await issue(hub, "A1")  # the next event makes the stream check its token again
    await page.wait_for_selector("body[data-online='refused']")
    assert await page.is_visible("#offline")
    assert await page.locator("#queues tr").count() == 0 and await page.inner_text("#recent") == ""
    assert await page.text_content("#current-text") == "欢迎光临 请留意叫号"
    await page.close()


async def test_the_whole_hall_board_turns_pages_of_queues(hub, browser) -> None:
    """Tried: the board without a zone (the hall's 33 queues) on a 1280x720 TV. Kept: it shows as
    many queues as fit, says which page of how many, turns the page every 8 s, and over its pages
    shows every queue once; nothing is drawn below the panel."""
    from server.api.keys import CONFIG

    prefixes = sorted(q.prefix for q in hub.app[CONFIG].queues)
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    try:
        await page.clock.install()
        await page.goto(f"{hub.base_url}/board?token={hub.tokens['manager']}")
        await page.wait_for_selector("body[data-ready='yes']")
        pages = int(await page.evaluate("document.body.dataset.pages"))
        assert pages > 1
        seen: list[str] = []
        panel_bottom = await page.evaluate("document.getElementById('queue-panel').getBoundingClientRect().bottom")
        for number in range(1, pages + 1):
            assert await page.text_content("#queue-title") == f"业务（{number}/{pages}）"
            shown = await page.eval_on_selector_all("#queues tr:not([hidden])", "rows => rows.map(r => r.dataset.queue)")
            bottoms = await page.eval_on_selector_all("#queues tr:not([hidden])", "rows => rows.map(r => r.getBoundingClientRect().bottom)")
            assert shown and max(bottoms) <= panel_bottom + 0.5
            seen += shown
            await page.clock.run_for(8000)
        assert seen == prefixes  # every queue once, in order
        assert await page.text_content("#queue-title") == f"业务（1/{pages}）"  # and round again
    finally:
        await context.close()


async def test_the_board_clock_keeps_the_halls_time_on_a_tv_left_on_utc(hub, browser) -> None:
    """Tried: a TV browser whose own time zone is UTC, at 10:59 UTC on a Thursday. Kept: the board
    shows the hall's time (Asia/Shanghai, from /hall): 18:59, Thursday."""
    from datetime import datetime, timezone

    context = await browser.new_context(viewport={"width": 1280, "height": 720}, timezone_id="UTC")
    page = await context.new_page()
    try:
        await page.clock.install(time=datetime(2026, 11, 26, 10, 59, 0, tzinfo=timezone.utc))
        await page.goto(f"{hub.base_url}/board?zone=A&token={hub.tokens['board-A']}")
        await page.wait_for_selector("body[data-ready='yes']")
        await page.clock.run_for(1000)
        assert (await page.text_content("#clock")).startswith("2026年11月26日 星期四 18:59:0")
    finally:
        await context.close()


@pytest.mark.parametrize("clock", [120.0], indirect=True)
async def test_a_demo_boards_clock_runs_with_the_hall_clock(hub, browser, clock) -> None:
    """Tried: a board on a hub whose hall clock runs 120x real time from 09:00 (hallq demo's
    kind), on a TV whose own clock reads 01:04 at night. It was: the board showed the TV's
    01:04 while its calls and the dashboard were at 09:xx. Kept: the board's clock is the hall's
    and moves at its pace (two real seconds are four hall minutes)."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    context = await browser.new_context(viewport={"width": 1280, "height": 720}, timezone_id="Asia/Shanghai")
    page = await context.new_page()
    try:
        await page.clock.install(time=datetime(2026, 11, 29, 17, 4, 0, tzinfo=timezone.utc))  # 01:04 in the hall
        await page.goto(f"{hub.base_url}/board?zone=A&token={hub.tokens['board-A']}")
        await page.wait_for_selector("body[data-ready='yes']")
        await page.clock.run_for(1000)
        first = await page.text_content("#clock") or ""
        await page.clock.run_for(2000)
        later = await page.text_content("#clock") or ""
        assert first.startswith("2026年11月26日 星期四 ") and later.startswith("2026年11月26日 星期四 "), (first, later)

        def seconds(shown: str) -> int:
            h, m, sec = (int(x) for x in shown.rsplit(" ", 1)[1].split(":"))
            return h * 3600 + m * 60 + sec

        hall_now = datetime.fromtimestamp(clock.now(), ZoneInfo("Asia/Shanghai"))
        # The hall's hour, not the TV's 01:04 (the TV's faked clock and the real one part by minutes)...
        assert abs(hall_now.hour * 3600 + hall_now.minute * 60 + hall_now.second - seconds(first)) < 3600, (first, hall_now)
        # ... and at its pace: two real seconds on the TV are about four hall minutes.
        assert 200 <= seconds(later) - seconds(first) <= 280, (first, later)
    finally:
        await context.close()


async def test_a_window_serving_another_zones_queue_calls_on_both_zones_boards(browser_client, tmp_path: Path, clock,
                                                                                browser) -> None:
    """Tried: W01 (zone A) also serving C1; zone A's board open, a C1 ticket called at W01, then
    zone C's board opened, and zone B's open throughout. Kept: zone A's board shows the call live
    (its stream went by the ticket's zone, so the board of the window's own zone stayed blank
    while that zone's speaker and LED board called the citizen), zone C's board shows it from
    the state (a board opened afterwards lost it), zone B's board never does."""
    hub = await start_hub(browser_client, tmp_path / "data", clock, config=sample_hall_serving({"W01": "C1"}),
                          extensions=[setup_static, board_setup, voice_extension(plan=VoicePlan({}))])
    pages = {}
    for zone in ("A", "B"):
        pages[zone] = await browser.new_page(viewport={"width": 1280, "height": 720})
        await pages[zone].goto(f"{hub.base_url}/board?zone={zone}&token={await board_token(hub, zone)}")
        await pages[zone].wait_for_selector("body[data-ready='yes'][data-online='yes']")
    number = await issue(hub, "C1")
    await login(hub, "W01", "staff01")
    assert await call_next(hub, "W01", "staff01") == number
    await pages["A"].wait_for_selector(f"#current-text:has-text('{number}')")
    assert await pages["A"].text_content("#current-text") == f"请 {number} 号 到 1号窗口"
    assert "C1" not in await pages["A"].inner_text("#queues")  # the call, not zone C's queue
    pages["C"] = await browser.new_page(viewport={"width": 1280, "height": 720})
    await pages["C"].goto(f"{hub.base_url}/board?zone=C&token={await board_token(hub, 'C')}")
    await pages["C"].wait_for_selector("body[data-ready='yes'][data-online='yes']")
    assert await pages["C"].text_content("#current-text") == f"请 {number} 号 到 1号窗口"
    await issue(hub, "B1")  # a visible change on zone B's board, after the call
    await pages["B"].wait_for_selector("tr[data-queue='B1'] td.count:text-is('1人')")
    assert number not in await pages["B"].inner_text("body")
    for page in pages.values():
        await page.close()


async def test_an_upright_tv_shows_everything_within_the_screen(hub, browser, tmp_path: Path) -> None:
    """Tried: zone A's board on a TV hung upright (1080x1920), with three recent calls, a new call
    made while it shows. Kept: the title, clock, big call, every recent call and every queue's
    full name, count and wait lie within the screen (the landscape sizes in vh cut the clock and
    the waits off the right edge, squeezed each name to 民…, and stood 等候人数 on end)."""
    numbers = [await issue(hub, "A1") for _ in range(5)]
    await login(hub, "W01", "staff01")
    page = await browser.new_page(viewport={"width": 1080, "height": 1920})
    await page.goto(f"{hub.base_url}/board?zone=A&token={await board_token(hub, 'A')}")
    await page.wait_for_selector("body[data-ready='yes'][data-online='yes']")
    assert await call_next(hub, "W01", "staff01") == numbers[0]
    for number in numbers[1:4]:
        await api(hub, "POST", "/windows/W01/finish", "staff01", {})
        assert await call_next(hub, "W01", "staff01") == number
    await page.wait_for_selector(f"#current-text:has-text('{numbers[3]}')")
    assert await page.inner_text("#recent") == "\n".join(f"请 {n} 号 到 1号窗口" for n in reversed(numbers[:3]))
    outside = await page.evaluate("""() => [...document.querySelectorAll(
        '#title, #clock, #current-text, #recent li, #queues td, #queue-head th')]
        .filter((e) => e.offsetParent !== null)
        .filter((e) => { const r = e.getBoundingClientRect();
                         return r.left < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5; })
        .map((e) => e.id || e.textContent)""")
    assert outside == []
    # Each name and heading whole, on one line (its text's lines: a name's prefix and text are boxes
    # of their own, whose tops are not their glyphs').
    cut = await page.eval_on_selector_all("#queues td.name, th", """cells => cells.filter((c) => {
        const tops = new Set();
        for (const w = document.createTreeWalker(c, NodeFilter.SHOW_TEXT); w.nextNode();) {
            const r = document.createRange(); r.selectNodeContents(w.currentNode);
            for (const x of r.getClientRects()) tops.add(Math.round(x.top));
        }
        return c.scrollWidth > c.clientWidth + 1 || tops.size > 1;
    }).map((c) => c.textContent)""")
    assert cut == []
    assert await page.text_content("#queue-title") == "业务"  # all seven of zone A's queues on one page
    await page.screenshot(path=str(tmp_path / "board-web-upright.png"))
    publish_screenshot(tmp_path / "board-web-upright.png")
    await page.close()


async def test_a_board_opened_mid_morning_lists_the_calls_already_made(hub, browser) -> None:
    """Tried: at W01 one citizen called and served, the next called and marked no-show, a third
    called; a zone C call at W19 and a back office's silent call; then zone A's board opened.
    Kept: it lists all three A calls, newest first, like a board that had been on (it listed only
    the call still at a window: the no-show citizen back from the restroom found no trace of
    their number); zone C's board lists none of them, nor the case sent to the back office, as a
    board on all along does (the transfer took its W19 call off; the back office's own call is
    silent: never listed)."""
    first, second, third = [await issue(hub, "A1") for _ in range(3)]
    back_office = await silent_back_office_call(hub)  # W19 passes a C1 case to BO-C, called there
    await login(hub, "W01", "staff01")
    assert await call_next(hub, "W01", "staff01") == first
    await api(hub, "POST", "/windows/W01/finish", "staff01", {})
    assert await call_next(hub, "W01", "staff01") == second
    await api(hub, "POST", "/windows/W01/no-show", "staff01")
    assert await call_next(hub, "W01", "staff01") == third
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.goto(f"{hub.base_url}/board?zone=A&token={await board_token(hub, 'A')}")
    await page.wait_for_selector("body[data-ready='yes'][data-online='yes']")
    assert await page.text_content("#current-text") == f"请 {third} 号 到 1号窗口"
    assert await page.inner_text("#recent") == f"请 {second} 号 到 1号窗口\n请 {first} 号 到 1号窗口"
    await page.goto(f"{hub.base_url}/board?zone=C&token={await board_token(hub, 'C')}")
    await page.wait_for_selector("body[data-ready='yes'][data-online='yes']")
    assert await page.text_content("#current-text") == "欢迎光临 请留意叫号"
    body = await page.inner_text("body")
    assert first not in body and back_office not in body and "审批室" not in body
    await page.close()


async def test_a_transferred_case_leaves_the_web_board_of_the_window_it_left(hub, browser) -> None:
    """Tried: zone C's and zone A's boards open while W20 calls one C1 citizen and W19 the next,
    W19 transfers its case to window W01 (zone A), zone C's board is reloaded, then W01 calls the
    case. Kept: zone C's board shows only the W20 call, live and reloaded (it kept 请 … 到 19号窗口
    until the number was called again, and then the number was on both zones' boards); zone A's
    board shows the case once, at window 1."""
    pages = {}
    for zone in ("C", "A"):
        pages[zone] = await browser.new_page(viewport={"width": 1280, "height": 720})
        await pages[zone].goto(f"{hub.base_url}/board?zone={zone}&token={await board_token(hub, zone)}")
        await pages[zone].wait_for_selector("body[data-ready='yes'][data-online='yes']")
    other, number = await issue(hub, "C1"), await issue(hub, "C1")
    await login(hub, "W20", "staff03")
    assert await call_next(hub, "W20", "staff03") == other
    await login(hub, "W19", "staff02")
    assert await call_next(hub, "W19", "staff02") == number
    await pages["C"].wait_for_selector(f"#current-text:has-text('{number}')")
    await login(hub, "W01", "staff01")
    await api(hub, "POST", "/windows/W19/transfer", "staff02", {"target_kind": "window", "target": "W01"})
    await issue(hub, "C1")  # a later zone C event: once it shows, the transfer has arrived
    await pages["C"].wait_for_selector("tr[data-queue='C1'] td.count:text-is('1人')")
    for reloaded in (False, True):
        if reloaded:
            await pages["C"].reload()
            await pages["C"].wait_for_selector("body[data-ready='yes'][data-online='yes']")
        assert await pages["C"].text_content("#current-text") == f"请 {other} 号 到 20号窗口", reloaded
        assert await pages["C"].inner_text("#recent") == "", reloaded
    assert await call_next(hub, "W01", "staff01") == number
    await pages["A"].wait_for_selector(f"#current-text:has-text('{number}')")
    assert await pages["A"].text_content("#current-text") == f"请 {number} 号 到 1号窗口"
    assert (await pages["A"].inner_text("body")).count(number) == 1
    await issue(hub, "C1")
    await pages["C"].wait_for_selector("tr[data-queue='C1'] td.count:text-is('2人')")
    assert number not in await pages["C"].inner_text("body")
    for page in pages.values():
        await page.close()
