"""Calls reach the right window screen and zone screen; nothing shows in other zones."""

from __future__ import annotations

import pytest

from .conftest import Rig, eventually

ZONE_A_TOP, ZONE_A_SECOND, ZONE_C_TOP = 20, 21, 30


async def test_calls_show_on_window_and_zone_screens_only(rig: Rig) -> None:
    hub, screens = rig.hub, rig.screens
    staff01, staff02 = hub.auth("staff01"), hub.auth("staff02")
    # start-up: every screen was given its window's state and zone rows were cleared; a window
    # nobody is logged in at says 暂停服务 (it was blank, like a dead module)
    await eventually(lambda: {1, 2, 3, 20, 21, 22, 30, 31} <= set(screens.screens))
    await eventually(lambda: [rig.shown(a) for a in (1, 2, 3)] == ["暂停服务"] * 3)

    assert (await hub.client.post("/api/v1/windows/W01/login", json={}, headers=staff01)).status == 200
    await eventually(lambda: rig.shown(1) == "张三")  # idle: the staff member's name (zone A has no unit)

    first, second = await rig.issue("A1"), await rig.issue("A1")
    assert (await hub.client.post("/api/v1/windows/W01/call-next", headers=staff01)).status == 200
    await eventually(lambda: rig.shown(1) == f"{first} 请到1号窗口")
    await eventually(lambda: rig.shown(ZONE_A_TOP) == f"请{first}号到1号窗口办理")

    # a back office calls silently: transfer `first` to BO-C (it leaves zone A's screen) and call it there
    await hub.client.post("/api/v1/windows/W01/transfer", json={"target_kind": "back_office", "target": "BO-C"},
                          headers=staff01)
    await hub.client.post("/api/v1/windows/BO-C/login", json={}, headers=staff02)
    frames_before = len(screens.decoded())
    response = await hub.client.post("/api/v1/windows/BO-C/call-next", headers=staff02)
    assert (await response.json())["ticket"]["number"] == first
    # a visible call afterwards is the sync point: everything before it has been written
    assert (await hub.client.post("/api/v1/windows/W01/call-next", headers=staff01)).status == 200
    await eventually(lambda: rig.shown(ZONE_A_TOP) == f"请{second}号到1号窗口办理")
    # a screen's text posted after the call's is written after its rows (one bus writes in turn)
    assert (await hub.client.post("/api/v1/windows/W02/login", json={}, headers=hub.auth("staff03"))).status == 200
    await eventually(lambda: rig.shown(2) == "王五")
    assert rig.shown(ZONE_A_SECOND) == ""  # the case sent on is not listed at window 1
    written = [frame for _, frame in screens.decoded()[frames_before:]]
    assert written and all("BO" not in f.text and "后台" not in f.text for f in written)
    assert not any(f.address in (3, ZONE_C_TOP, ZONE_C_TOP + 1) and f.text for f in written)
    assert rig.shown(3) == "暂停服务" and rig.shown(ZONE_C_TOP) == ""  # zone C saw nothing of zone A's calls

    await hub.client.post("/api/v1/windows/W01/finish", json={"outcome": "completed"}, headers=staff01)
    await eventually(lambda: rig.shown(1) == "张三")
    await hub.client.post("/api/v1/windows/W01/pause", json={"reason": "break"}, headers=staff01)
    await eventually(lambda: rig.shown(1) == "暂停服务")
    await hub.client.post("/api/v1/windows/W01/resume", headers=staff01)
    await eventually(lambda: rig.shown(1) == "张三")
    await hub.client.post("/api/v1/windows/W01/logout", json={}, headers=staff01)
    await eventually(lambda: rig.shown(1) == "暂停服务")  # nobody at the window: not blank


async def test_recall_moves_the_call_back_to_the_top_and_shows_it_again(rig: Rig) -> None:
    engine = rig.hub.engine
    await engine.login("W01", "staff01")
    await engine.login("W02", "staff02")
    first, second = await rig.issue("A1"), await rig.issue("A1")
    await engine.call_next("W01")
    await engine.call_next("W02")
    await eventually(lambda: rig.shown(ZONE_A_TOP) == f"请{second}号到2号窗口办理")
    called = f"{first} 请到1号窗口"
    shown_before = sum(1 for _, f in rig.screens.decoded() if f.address == 1 and f.text == called)
    await engine.recall("W01")
    await eventually(lambda: rig.shown(ZONE_A_TOP) == f"请{first}号到1号窗口办理")
    await eventually(lambda: rig.shown(ZONE_A_SECOND) == f"请{second}号到2号窗口办理")
    # the window screen is sent the call again (pingan has no blink; candle would blink it)
    await eventually(lambda: sum(1 for _, f in rig.screens.decoded() if f.address == 1 and f.text == called) > shown_before)


@pytest.mark.parametrize("rig_hall", [{"W01": "C1"}], indirect=True)
async def test_a_window_of_another_zone_calling_shows_where_the_citizen_waits(rig: Rig) -> None:
    """Tried: W01 (zone A) also serving C1 (zone C) calls a C1 ticket. Kept: zone C's screen shows
    the call, where the kiosk sent the citizen to wait (only zone A's did), and zone A's too."""
    await rig.hub.engine.login("W01", "staff01")
    number = await rig.issue("C1")
    assert (await rig.hub.engine.call_next("W01")).number == number
    await eventually(lambda: rig.shown(ZONE_C_TOP) == f"请{number}号到1号窗口办理")
    await eventually(lambda: rig.shown(ZONE_A_TOP) == f"请{number}号到1号窗口办理")


async def test_a_parked_case_called_back_shows_on_the_window_and_zone_screens(rig: Rig) -> None:
    """Tried: W01 parks a case (the citizen fetches a document), serves another citizen, then
    calls the parked case back. Kept: the window screen and zone A's board show the call back,
    as the TV board and the speaker did; the window screen went on saying 张三 (idle) while its
    speaker called the citizen to it."""
    engine = rig.hub.engine
    await engine.login("W01", "staff01")
    parked, other = await rig.issue("A1"), await rig.issue("A1")
    await engine.call_next("W01")
    await engine.start("W01")
    await engine.park("W01", "补材料")
    await eventually(lambda: rig.shown(1) == "张三")
    assert (await engine.call_next("W01")).number == other
    await engine.finish("W01")
    await eventually(lambda: rig.shown(1) == "张三")
    assert (await engine.call_ticket("W01", parked)).number == parked
    await eventually(lambda: rig.shown(1) == f"{parked} 请到1号窗口")
    await eventually(lambda: rig.shown(ZONE_A_TOP) == f"请{parked}号到1号窗口办理")


async def test_a_transferred_case_leaves_the_screens_of_the_window_it_left(rig: Rig) -> None:
    """Tried: W20 calls a C1 citizen and W19 the next, W19 transfers its case to window W01 (zone
    A), W01 calls it; then the hub's screens start again. Kept: after the transfer zone C's screen
    lists only the W20 call, moved up to the top row, and W19's screen names its clerk (the zone
    screen kept 请…号到19号窗口办理 until the number was called again, and then it showed on both
    zones' screens); W01's call shows on its own screen and zone A's, and nowhere at window 19; the
    restart shows the same rows (QueueEngine.recent_calls listed the case at window 19 again)."""
    from server.api.keys import CONFIG
    from server.devices.keys import DEVICES

    engine = rig.hub.engine
    for window, staff in (("W19", "staff02"), ("W20", "staff03"), ("W01", "staff01")):
        await engine.login(window, staff)
    other, number = await rig.issue("C1"), await rig.issue("C1")
    assert (await engine.call_next("W20")).number == other
    assert (await engine.call_next("W19")).number == number
    await eventually(lambda: rig.shown(3) == f"{number} 请到19号窗口")
    await eventually(lambda: [rig.shown(a) for a in (ZONE_C_TOP, ZONE_C_TOP + 1)]
                     == [f"请{number}号到19号窗口办理", f"请{other}号到20号窗口办理"])

    await engine.transfer("W19", "window", "W01")
    idle = "李四 县自然资源局"  # the window is free: its clerk and unit again
    await eventually(lambda: rig.shown(3) == idle)  # posted after the zone rows: they are written
    assert [rig.shown(a) for a in (ZONE_C_TOP, ZONE_C_TOP + 1)] == [f"请{other}号到20号窗口办理", ""]

    assert (await engine.call_next("W01")).number == number
    await eventually(lambda: rig.shown(1) == f"{number} 请到1号窗口")
    await eventually(lambda: rig.shown(ZONE_A_TOP) == f"请{number}号到1号窗口办理")
    zone_rows = (ZONE_A_TOP, ZONE_A_SECOND, ZONE_A_SECOND + 1, ZONE_C_TOP, ZONE_C_TOP + 1)
    shown = [rig.shown(a) for a in (3, *zone_rows)]
    assert shown == [idle, f"请{number}号到1号窗口办理", "", "", f"请{other}号到20号窗口办理", ""]

    screens = rig.hub.app[DEVICES].screens
    await screens.stop()
    for address in zone_rows:
        rig.screens.screens.pop(address, None)
    restarted = type(screens)([runtime.config for runtime in screens.runtimes], rig.hub.engine, screens._directory,
                              rig.hub.app[CONFIG], screens._health)
    await restarted.start()
    try:
        await eventually(lambda: all(address in rig.screens.screens for address in zone_rows))
        assert [rig.shown(a) for a in (3, *zone_rows)] == shown
    finally:
        await restarted.stop()


async def test_a_restarted_hub_shows_the_zone_screens_a_running_one_showed(rig: Rig) -> None:
    """Tried: zone A's screen after three calls at W01 (the first finished, the second a no-show,
    the third still called), then the hub's screens started again on the same hall, as after a
    restart. Seen: the restart showed only the open call; the finished and missed numbers a
    citizen back from the restroom looks for were gone, where the running hub still showed them.
    Kept: the same rows, newest on top (the TV boards' seed, QueueEngine.recent_calls)."""
    from server.api.keys import CONFIG
    from server.devices.keys import DEVICES

    staff01 = rig.hub.auth("staff01")
    assert (await rig.hub.client.post("/api/v1/windows/W01/login", json={}, headers=staff01)).status == 200
    numbers = [await rig.issue("A1") for _ in range(3)]
    for step in ("finish", "no-show", None):
        assert (await rig.hub.client.post("/api/v1/windows/W01/call-next", headers=staff01)).status == 200
        if step == "finish":
            await rig.hub.client.post("/api/v1/windows/W01/start", headers=staff01)
            await rig.hub.client.post("/api/v1/windows/W01/finish", json={"outcome": "completed"}, headers=staff01)
        elif step == "no-show":
            await rig.hub.client.post("/api/v1/windows/W01/no-show", headers=staff01)
    rows = [f"请{number}号到1号窗口办理" for number in reversed(numbers)]
    await eventually(lambda: [rig.shown(a) for a in (ZONE_A_TOP, ZONE_A_SECOND, ZONE_A_SECOND + 1)] == rows)

    screens = rig.hub.app[DEVICES].screens
    await screens.stop()
    for address in (ZONE_A_TOP, ZONE_A_SECOND, ZONE_A_SECOND + 1):
        rig.screens.screens.pop(address, None)
    restarted = type(screens)([runtime.config for runtime in screens.runtimes], rig.hub.engine, screens._directory,
                              rig.hub.app[CONFIG], screens._health)
    await restarted.start()
    try:
        await eventually(lambda: [rig.shown(a) for a in (ZONE_A_TOP, ZONE_A_SECOND, ZONE_A_SECOND + 1)] == rows)
    finally:
        await restarted.stop()
