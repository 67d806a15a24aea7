"""The board program's model fed by a real EventStream from a real hub, calls made through the API."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pygame
import pytest
import yarl

from display.board.app import BoardApp, BoardOptions
from display.board.render import OFFLINE_TEXT
from server.hub_client import RetryPolicy
from server.voice.service import voice_extension
from server.voice.config import VoicePlan
from server.web import setup_static
from server.web.board import setup as board_setup
from tests.board.hall_actions import board_token, call_next, issue, login, silent_back_office_call
from tests.conftest import start_hub
from tests.kiosk.proxy import FaultyProxy

FAST = RetryPolicy(attempts=3, first_delay_s=0.01, max_delay_s=0.05, timeout_s=5)


@pytest.fixture
async def hub(aiohttp_client, tmp_path: Path, clock):
    """The sample hall with the web board and the hub's voice (no zone spoken: boards only here)."""
    quiet = voice_extension(plan=VoicePlan({}))
    return await start_hub(aiohttp_client, tmp_path / "data", clock, extensions=[setup_static, board_setup, quiet])


async def open_board(hub, zone: str | None, size=(1280, 720)) -> tuple[BoardApp, asyncio.Task]:
    pygame.init()
    token = await board_token(hub, zone) if zone else hub.tokens["manager"]
    app = BoardApp(BoardOptions(hub.base_url, token, zone, size, fullscreen=False), pygame.Surface(size), policy=FAST)
    await app.start()
    follower = asyncio.create_task(app.follow())
    return app, follower


async def until(predicate, what: str, timeout: float = 5.0) -> None:
    """Wait for an effect of the stream (a bound on a hang, not a latency assertion)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
    assert predicate(), what


async def close(*boards: tuple[BoardApp, asyncio.Task]) -> None:
    for app, follower in boards:
        await app.close()
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)


async def test_a_call_appears_on_its_zone_board_only(hub) -> None:
    board_c, board_a = await open_board(hub, "C"), await open_board(hub, "A")
    app_c, app_a = board_c[0], board_a[0]
    try:
        assert app_c.renderer.title == "C区 不动产登记区"
        await until(lambda: app_c.online and app_a.online, "both boards online")
        waiting_before = app_c.model.queues["C1"].waiting
        number = await issue(hub, "C1")
        await login(hub, "W19", "staff01")
        assert await call_next(hub, "W19", "staff01") == number
        await until(lambda: app_c.model.current is not None, "the call reached the C board")
        assert app_c.model.current.text == f"请 {number} 号 到 19号窗口"
        assert app_c.model.queues["C1"].waiting == waiting_before  # +1 issued, -1 called
        app_c.render()
        assert any(t.text == f"请 {number} 号 到 19号窗口" for t in app_c.renderer.texts)
        # Zone A's board was connected the whole time and saw nothing of it.
        assert app_a.model.recent == [] and "C1" not in app_a.model.queues
        a_number = await issue(hub, "A1")
        await login(hub, "W01", "staff03")
        await call_next(hub, "W01", "staff03")
        await until(lambda: app_a.model.current is not None, "the A call reached the A board")
        assert app_a.model.current.number == a_number
        assert [c.number for c in app_c.model.recent] == [number]
    finally:
        await close(board_c, board_a)


async def test_a_board_started_mid_morning_lists_the_calls_already_made(hub) -> None:
    """Tried: a citizen called at W01 and served, the next called, then the pygame board started.
    Kept: both calls listed, newest first (only the call still at a window was)."""
    first, second = await issue(hub, "A1"), await issue(hub, "A1")
    await login(hub, "W01", "staff01")
    assert await call_next(hub, "W01", "staff01") == first
    await hub.client.post("/api/v1/windows/W01/finish", json={}, headers=hub.auth("staff01"))
    assert await call_next(hub, "W01", "staff01") == second
    board = await open_board(hub, "A")
    try:
        assert [c.text for c in board[0].model.recent] == [f"请 {second} 号 到 1号窗口", f"请 {first} 号 到 1号窗口"]
    finally:
        await close(board)


async def test_back_office_call_is_not_on_the_board(hub) -> None:
    """Tried: W19 calls a case, sends it to BO-C, whose clerk calls it (silently). Kept: the board
    lists nothing: the back office's call is never shown, and the transfer took the W19 line off
    (it stayed, and the case read as still served at window 19)."""
    board = await open_board(hub, "C")
    app = board[0]
    try:
        await silent_back_office_call(hub)
        # The silent call's event is after the W19 call and the transfer: wait for the stream to pass it.
        last = await hub.engine.last_seq()
        await until(lambda: app.model.last_seq >= last, "the board saw every event")
        assert app.model.recent == [] and app.model.current is None
    finally:
        await close(board)


async def test_a_reloaded_board_lists_what_a_live_one_does_after_a_back_office_case(hub) -> None:
    """Tried: a zone-C board on all along while W19 calls a case and sends it to BO-C, whose clerk
    calls it (silently), then W19 calls the next citizen twice; then a second board switched on
    (a reload). Kept: the reloaded board lists what the live one lists: the next citizen, and not
    the case sent on (seeded from each ticket's last call, the silent one, it once lost a case the
    live board listed; the live board now drops a transferred case, and so does the seed)."""
    live = await open_board(hub, "C")
    reloaded = None
    try:
        await silent_back_office_call(hub)
        nxt = await issue(hub, "C1")
        assert await call_next(hub, "W19", "staff02") == nxt
        await hub.client.post("/api/v1/windows/W19/recall", headers=hub.auth("staff02"))
        last = await hub.engine.last_seq()
        await until(lambda: live[0].model.last_seq >= last, "the live board saw every event")
        reloaded = await open_board(hub, "C")

        def listed(app: BoardApp) -> list[tuple[str, str, int]]:
            return [(c.number, c.window_id, c.call_count) for c in app.model.recent]

        assert listed(live[0]) == [(nxt, "W19", 2)]
        assert listed(reloaded[0]) == listed(live[0])
    finally:
        await close(live, *([reloaded] if reloaded else []))


async def next_c1_ticket_seen(hub, *boards: tuple[BoardApp, asyncio.Task]) -> None:
    """Issue a C1 ticket and wait until zone C's boards count it: they have seen every event
    before it (the hub's last seq may be another zone's event, which they never get)."""
    waiting = [app.model.queues["C1"].waiting for app, _ in boards]
    await issue(hub, "C1")
    await until(lambda: [app.model.queues["C1"].waiting for app, _ in boards] == [n + 1 for n in waiting],
                "the C boards saw the next ticket")


async def test_a_transferred_case_leaves_the_board_of_the_window_it_left(hub) -> None:
    """Tried: zone C's and zone A's boards on while W20 calls one C1 citizen and W19 the next, W19
    transfers its case to window W01 (zone A), a zone-C board is switched on after the transfer,
    then W01 calls the case. Kept: both zone-C boards list only the W20 call, drawn and in the
    model (the C board kept 请 … 到 19号窗口 until the number was called again: the transfer went
    to zone A's stream only, and the board dropped no line; a board switched on seeded it back),
    and the case shows once, at window 1, on zone A's board."""
    board_c, board_a = await open_board(hub, "C"), await open_board(hub, "A")
    later = None
    try:
        await until(lambda: board_c[0].online and board_a[0].online, "both boards online")
        other, number = await issue(hub, "C1"), await issue(hub, "C1")
        await login(hub, "W20", "staff03")
        assert await call_next(hub, "W20", "staff03") == other
        await login(hub, "W19", "staff02")
        assert await call_next(hub, "W19", "staff02") == number
        await until(lambda: board_c[0].model.current is not None and board_c[0].model.current.number == number,
                    "the W19 call reached the C board")
        await login(hub, "W01", "staff01")
        response = await hub.client.post("/api/v1/windows/W19/transfer", json={"target_kind": "window", "target": "W01"},
                                         headers=hub.auth("staff02"))
        assert response.status == 200, await response.json()
        await next_c1_ticket_seen(hub, board_c)
        later = await open_board(hub, "C")
        for app in (board_c[0], later[0]):
            assert [c.text for c in app.model.recent] == [f"请 {other} 号 到 20号窗口"]
            app.render()
            assert not any(number in t.text for t in app.renderer.texts)

        assert await call_next(hub, "W01", "staff01") == number
        await until(lambda: board_a[0].model.current is not None, "the W01 call reached the A board")
        assert [c.text for c in board_a[0].model.recent] == [f"请 {number} 号 到 1号窗口"]
        board_a[0].render()
        assert sum(number in t.text for t in board_a[0].renderer.texts) == 1
        await next_c1_ticket_seen(hub, board_c, later)
        for app in (board_c[0], later[0]):
            assert [c.number for c in app.model.recent] == [other]
    finally:
        await close(board_c, board_a, *([later] if later else []))


async def test_board_shows_offline_and_catches_up_after_the_network_drops(hub) -> None:
    """Calls made while the board was cut off appear after the reconnect, each once, in order."""
    url = yarl.URL(hub.base_url)
    proxy = await FaultyProxy(url.host, url.port).start()
    pygame.init()
    app = BoardApp(BoardOptions(proxy.url, hub.tokens["board-A"], "A", (1280, 720), fullscreen=False),
                   pygame.Surface((1280, 720)), policy=FAST)
    await app.start()
    follower = asyncio.create_task(app.follow())
    try:
        await until(lambda: app.online, "online")
        numbers = [await issue(hub, "A1") for _ in range(3)]
        await login(hub, "W01", "staff01")
        await call_next(hub, "W01", "staff01")
        await until(lambda: app.model.current is not None, "first call seen")
        proxy.refuse = True
        proxy.cut_all()
        await until(lambda: not app.online, "the board noticed the loss")
        app.render()
        assert OFFLINE_TEXT in {t.text for t in app.renderer.texts}
        assert app.model.current.number == numbers[0]  # what it knew stays on screen
        await hub.client.post("/api/v1/windows/W01/finish", json={}, headers=hub.auth("staff01"))
        await call_next(hub, "W01", "staff01")
        await hub.client.post("/api/v1/windows/W01/recall", headers=hub.auth("staff01"))
        proxy.refuse = False
        await until(lambda: app.online and app.model.current.number == numbers[1], "missed call replayed")
        assert [c.number for c in app.model.recent] == numbers[1::-1]
        assert app.model.current.call_count == 2
        assert app.model.queues["A1"].waiting == 1  # three issued, two called: nothing counted twice
        app.render()
        assert OFFLINE_TEXT not in {t.text for t in app.renderer.texts}
    finally:
        await close((app, follower))
        await proxy.stop()


async def test_a_board_left_on_overnight_opens_the_new_day_clean(hub, clock) -> None:
    """Tried: a board running across midnight with yesterday's last call on screen (the hub closed
    the day's leftovers in the evening, as configured); first the board's clock passes midnight
    before the hub's has (no reload yet, asked again a minute later), then both have. Kept: the new
    day's state comes from the hub: yesterday's calls are gone and the queues show the new day's
    counts; the stream goes on (a call of the new day appears)."""
    from datetime import timedelta

    from tests.conftest import THURSDAY, at

    clock.set(at("09:00"))
    board = await open_board(hub, "C")
    app = board[0]
    try:
        await until(lambda: app.online, "board online")
        number = await issue(hub, "C1")
        await issue(hub, "C1")  # still waiting at the end of the day
        await login(hub, "W19", "staff01")
        await call_next(hub, "W19", "staff01")
        await until(lambda: app.model.current is not None and app.model.current.number == number, "the call shown")
        assert app.model.hall_day == THURSDAY.isoformat()

        clock.set(at("20:00"))
        await hub.engine.close_day(THURSDAY)  # what the hub does at the configured closing time
        await until(lambda: app.model.queues["C1"].waiting == 0, "the evening close reached the board")
        assert app.model.current is not None and app.model.current.number == number, "the last call stays on screen"
        friday = THURSDAY + timedelta(days=1)
        app.render(now=at("00:00:30", friday))  # the board's clock is past midnight, the hub's is not
        await until(lambda: app._day_reload is None, "the board asked the hub")
        assert app.model.hall_day == THURSDAY.isoformat() and app.model.current is not None, "the hub's day has not changed"

        clock.set(at("08:40", friday))
        app.render(now=at("00:01:00", friday))  # within the minute: not asked again
        assert app._day_reload is None and app.model.hall_day == THURSDAY.isoformat()
        app.render(now=at("00:01:31", friday))
        await until(lambda: app.model.hall_day == friday.isoformat(), "the new day's state loaded")
        assert app.model.recent == [] and app.model.current is None
        assert app.model.queues["C1"].waiting == 0

        # Yesterday's staff sessions have expired: the new day's call is made by the engine itself.
        from server.engine.views import IssueRequest

        await hub.engine.login("W19", "staff01")
        new_number = (await hub.engine.issue(IssueRequest(queue="C1"))).ticket.number
        await hub.engine.call_next("W19")
        await until(lambda: app.model.current is not None and app.model.current.number == new_number, "today's call")
    finally:
        await close(board)


async def test_a_board_whose_token_is_refused_says_so_and_recovers_when_switched_on(hub, caplog) -> None:
    """Tried: a zone board's display token switched off by the technician (before it starts),
    then on again. Kept: the board says it is not authorised, not 连接中断，正在重连…, with one
    ERROR for the technician (not one per retry); switched on, it comes online by itself."""
    import logging

    from display.board.render import REFUSED_TEXT

    off = await hub.client.post("/api/v1/devices/board-A/active", json={"active": False}, headers=hub.auth("tech"))
    assert off.status == 200
    pygame.init()
    app = BoardApp(BoardOptions(hub.base_url, hub.tokens["board-A"], "A", (1280, 720), fullscreen=False),
                   pygame.Surface((1280, 720)), policy=FAST)
    with caplog.at_level(logging.ERROR, logger="server.hub_client"):
        await app.start()  # the state is public: the board draws the hall
        follower = asyncio.create_task(app.follow())
        try:
            await until(lambda: app.stream is not None and app.stream.refused, "the refusal noticed")
            await asyncio.sleep(0.2)  # several slow retries meanwhile
            app.render()
            shown = {t.text for t in app.renderer.texts}
            assert REFUSED_TEXT in shown and OFFLINE_TEXT not in shown
            refusals = [r for r in caplog.records if "event stream refused by the hub (4401)" in r.getMessage()]
            assert len(refusals) == 1
            await hub.client.post("/api/v1/devices/board-A/active", json={"active": True}, headers=hub.auth("tech"))
            await until(lambda: app.online, "online once switched on")
            app.render()
            assert REFUSED_TEXT not in {t.text for t in app.renderer.texts}
        finally:
            await close((app, follower))


def test_a_board_waiting_for_its_hub_stops_on_sigterm() -> None:
    """Tried: `hallq board` started while its hub is down (a TV PC booting first), then a service
    stop (SIGTERM) once it says it is waiting. Kept: it exits 0, where it went on retrying for
    minutes and only Ctrl+C stopped it."""
    import os
    import signal
    import socket
    import subprocess
    import threading

    from tests.hub_process import HALLQ

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    board = subprocess.Popen([HALLQ, "board", "--hub", f"http://127.0.0.1:{port}", "--zone", "A", "--token", "dev_x",
                              "--size", "1280x720", "--windowed"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    waiting = threading.Event()

    def read() -> None:
        assert board.stderr is not None
        for line in board.stderr:
            lines.append(line)
            if "hub not ready for the board yet" in line:
                waiting.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert waiting.wait(timeout=60), "".join(lines)[-2000:]  # a liveness bound, not a speed claim
        board.send_signal(signal.SIGTERM)
        code = board.wait(timeout=30)
    finally:
        if board.poll() is None:
            board.kill()
    reader.join(timeout=5)
    assert code == 0 and not any("Traceback" in line for line in lines), "".join(lines)[-2000:]


async def test_a_running_board_shows_as_up_at_the_hub(hub) -> None:
    """Tried: zone A's board drawing frames. Kept: the technician's device status lists board-A
    as ok, with when it was heard from (it showed never_reported: a TV switched off and one
    working looked alike); the hub's record has one device.state event for it."""
    board = await open_board(hub, "A")

    async def board_a() -> dict:  # type: ignore[type-arg]
        r = await hub.client.get("/api/v1/devices/status", headers=hub.auth("tech"))
        return next(d for d in (await r.json())["devices"] if d["name"] == "board-A")

    try:
        assert (await board_a())["state"] == "never_reported"
        for _ in range(3):
            board[0].render()
        async with asyncio.timeout(5):
            while (await board_a())["state"] != "ok":
                await asyncio.sleep(0.02)
        assert (await board_a())["last_seen"] is not None
        # The status is the hub's memory, set as the report arrives; its event is written just
        # after (a CI run under load read the events in between and found none).
        async with asyncio.timeout(5):
            while not (changes := [e for e in await hub.engine.events_since(0) if e.kind == "device.state"]):
                await asyncio.sleep(0.02)
        assert [e.payload["device"] for e in changes] == ["board-A"]
    finally:
        await close(board)
