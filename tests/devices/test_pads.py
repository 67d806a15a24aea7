"""Every staff action from a pad of each dialect reaches the engine, and the pad is told."""

from __future__ import annotations

from caller.actions import ActionKind, DisplayKind, PadAction, PadDisplay, TransferTarget
from server.accounts import Role
from server.api.keys import ACCOUNTS, CONFIG
from server.devices.pad_actions import REPEATED_CALL_KEY_S
from server.engine.clock import ManualClock
from tests.conftest import HUB_PASSWORD

from .conftest import Rig, eventually


def shows(rig: Rig, dialect: str, address: int):  # type: ignore[no-untyped-def]
    return [d for d in rig.pads[dialect].pads[address].displays if d.kind is DisplayKind.SHOW]


def acks(rig: Rig, dialect: str, address: int) -> list[PadDisplay]:
    return [d for d in rig.pads[dialect].pads[address].displays if d.kind is DisplayKind.ACK]


async def press_and_ack(rig: Rig, dialect: str, address: int, action: PadAction) -> PadDisplay:
    """Press a key on a pad that gets acknowledgements; return the hub's answer."""
    before = len(acks(rig, dialect, address))
    rig.pads[dialect].press(address, action)
    await eventually(lambda: len(acks(rig, dialect, address)) > before)
    return acks(rig, dialect, address)[before]


async def ticket(rig: Rig, number: str):  # type: ignore[no-untyped-def]
    return await rig.hub.engine.ticket_by_number(number)


async def test_hallq_pad_every_action(rig: Rig) -> None:
    engine, pad = rig.hub.engine, 1
    t1, t2, t3 = [await rig.issue("A1") for _ in range(3)]

    answer = await press_and_ack(rig, "hallq", pad, PadAction.login("staff01", "wrong"))
    assert not answer.ok and answer.error_code == 9  # login_failed; nobody logged in
    assert (await engine.window("W01")).staff_id is None

    assert (await press_and_ack(rig, "hallq", pad, PadAction.login("staff01", HUB_PASSWORD))).ok
    assert (await engine.window("W01")).staff_id == "staff01"
    await rig.pads["hallq"].wait_display(pad, PadDisplay.login_state(True, "张三"))

    assert (await press_and_ack(rig, "hallq", pad, PadAction.simple(ActionKind.CALL_NEXT))).ok
    assert (await ticket(rig, t1)).status == "called"
    await rig.pads["hallq"].wait_display(pad, lambda d: d.kind is DisplayKind.SHOW and d.number == t1)
    await rig.pads["hallq"].wait_display(pad, lambda d: d.kind is DisplayKind.WAITING and d.waiting == 2)

    await press_and_ack(rig, "hallq", pad, PadAction.simple(ActionKind.RECALL))
    assert (await ticket(rig, t1)).call_count == 2
    await press_and_ack(rig, "hallq", pad, PadAction.simple(ActionKind.START))
    assert (await ticket(rig, t1)).status == "serving"
    await rig.pads["hallq"].wait_display(pad, PadDisplay.show(t1, "办理中"))
    await press_and_ack(rig, "hallq", pad, PadAction.rate(5))
    assert (await ticket(rig, t1)).rating == 5
    await rig.pads["hallq"].wait_display(pad, PadDisplay.light_stars(5))
    # An outcome code the hall has not defined (a mistyped 9) is refused with 6, bad value; it
    # used to finish the visit as 'completed' and count it so.
    refused = await press_and_ack(rig, "hallq", pad, PadAction.finish(9))
    assert not refused.ok and refused.error_code == 6 and (await ticket(rig, t1)).status == "serving"
    await press_and_ack(rig, "hallq", pad, PadAction.finish(0))
    assert (await ticket(rig, t1)).status == "finished"

    await press_and_ack(rig, "hallq", pad, PadAction.call_number(t3))
    assert (await ticket(rig, t3)).status == "called"
    await press_and_ack(rig, "hallq", pad, PadAction.simple(ActionKind.NO_SHOW))
    assert (await ticket(rig, t3)).status == "no_show"

    await press_and_ack(rig, "hallq", pad, PadAction.simple(ActionKind.CALL_NEXT))
    assert (await ticket(rig, t2)).status == "called"
    await press_and_ack(rig, "hallq", pad, PadAction.transfer(TransferTarget.QUEUE, "A2"))
    moved = await ticket(rig, t2)
    assert (moved.status, moved.queue) == ("waiting", "A2")

    refused = await press_and_ack(rig, "hallq", pad, PadAction.pause(9))
    assert not refused.ok and refused.error_code == 6 and (await engine.window("W01")).paused_reason is None
    await press_and_ack(rig, "hallq", pad, PadAction.pause(1))
    assert (await engine.window("W01")).paused_reason == "meeting"  # code 1 = the hall's first reason
    await rig.pads["hallq"].wait_display(pad, PadDisplay.show("", "暂停服务"))
    refused = await press_and_ack(rig, "hallq", pad, PadAction.simple(ActionKind.CALL_NEXT))
    assert not refused.ok and refused.error_code == 3  # window_paused: nothing was called
    assert (await ticket(rig, t2)).status == "waiting"
    await press_and_ack(rig, "hallq", pad, PadAction.simple(ActionKind.RESUME))
    assert (await engine.window("W01")).paused_reason is None
    await press_and_ack(rig, "hallq", pad, PadAction.simple(ActionKind.LOGOUT))
    assert (await engine.window("W01")).staff_id is None
    await rig.pads["hallq"].wait_display(pad, PadDisplay.login_state(False))


async def test_polled_csv_pad_every_action_it_can_express(rig: Rig) -> None:
    engine, pad, dialect = rig.hub.engine, 1, "polled-csv"
    t1, t2 = await rig.issue("A1"), await rig.issue("A1")

    assert (await press_and_ack(rig, dialect, pad, PadAction.login("staff02", HUB_PASSWORD))).ok
    assert (await engine.window("W03")).staff_id == "staff02"
    await press_and_ack(rig, dialect, pad, PadAction.simple(ActionKind.CALL_NEXT))
    assert (await ticket(rig, t1)).status == "called"
    # the number is set on the pad and confirmed by its own status line
    await eventually(lambda: rig.pads[dialect].pads[pad].shown_number == t1)
    await press_and_ack(rig, dialect, pad, PadAction.simple(ActionKind.RECALL))
    assert (await ticket(rig, t1)).call_count == 2
    await press_and_ack(rig, dialect, pad, PadAction.simple(ActionKind.START))
    assert (await ticket(rig, t1)).status == "serving"
    await press_and_ack(rig, dialect, pad, PadAction.rate(4))
    assert (await ticket(rig, t1)).rating == 4
    await press_and_ack(rig, dialect, pad, PadAction.finish())
    assert (await ticket(rig, t1)).status == "finished"
    await press_and_ack(rig, dialect, pad, PadAction.simple(ActionKind.CALL_NEXT))
    await engine.login("W07", "staff03")  # a case is sent only to a window someone is at
    await press_and_ack(rig, dialect, pad, PadAction.transfer(TransferTarget.WINDOW, "W07"))
    moved = await ticket(rig, t2)
    assert (moved.status, moved.target_window) == ("waiting", "W07")
    await press_and_ack(rig, dialect, pad, PadAction.pause())
    assert (await engine.window("W03")).paused_reason == "other"  # the pad carries no reason code
    await press_and_ack(rig, dialect, pad, PadAction.simple(ActionKind.RESUME))
    assert (await engine.window("W03")).paused_reason is None
    await press_and_ack(rig, dialect, pad, PadAction.simple(ActionKind.LOGOUT))
    assert (await engine.window("W03")).staff_id is None
    assert not rig.pads[dialect].pads[pad].logged_in


async def test_qsystem_four_keys_resolved_by_window_state(rig: Rig, clock: ManualClock) -> None:
    engine, sim, pad = rig.hub.engine, rig.pads["qsystem-ub485"], 0x21
    await engine.login("W05", "staff03")  # four keys: no login on the pad itself
    t1, t2, t3 = [await rig.issue("A1") for _ in range(3)]

    sim.press(pad, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
    await eventually(lambda: any(d.number == t1 for d in shows(rig, "qsystem-ub485", pad)))
    assert (await ticket(rig, t1)).status == "called"
    clock.advance(REPEATED_CALL_KEY_S)  # the citizen has not come
    sim.press(pad, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))  # called -> recall
    await eventually(lambda: ticket_field(rig, t1, "call_count", 2))
    sim.press(pad, PadAction.simple(ActionKind.NO_SHOW_OR_FINISH, key="key4"))  # called -> no-show
    await eventually(lambda: ticket_field(rig, t1, "status", "no_show"))
    sim.press(pad, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
    await eventually(lambda: ticket_field(rig, t2, "status", "called"))
    sim.press(pad, PadAction.simple(ActionKind.START, key="key2"))
    await eventually(lambda: ticket_field(rig, t2, "status", "serving"))
    sim.press(pad, PadAction.simple(ActionKind.NO_SHOW_OR_FINISH, key="key4"))  # serving -> finish
    await eventually(lambda: ticket_field(rig, t2, "status", "finished"))
    await eventually(lambda: shows(rig, "qsystem-ub485", pad)[-1].number == "1")  # idle again: t3 waits
    sim.press(pad, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
    await eventually(lambda: ticket_field(rig, t3, "status", "called"))
    sim.press(pad, PadAction.simple(ActionKind.TRANSFER_PRESET, key="key3"))  # preset: queue A2
    await eventually(lambda: ticket_field(rig, t3, "queue", "A2"))

    # nothing to finish: the pad shows an error code, the engine is unchanged
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-2:] == [t3, "1"])  # in A2, W05's
    sim.pads[pad].displays.clear()
    sim.press(pad, PadAction.simple(ActionKind.NO_SHOW_OR_FINISH, key="key4"))
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)] == ["E4"])
    assert (await ticket(rig, t3)).status == "waiting"
    # after a moment the pad shows its window's state again
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)] == ["E4", "1"])


async def test_ub485_key3_to_a_preset_window_nobody_is_at_shows_not_signed_in(rig: Rig) -> None:
    """Tried: on W06's UB485 pad (key 3 preset: window W07) a called case, key 3 while nobody is
    signed in at W07, then again once staff02 is. Kept: the first press shows E1, the pads' code for
    "not signed in" (it showed E4, "nothing at the window", with the case on the display), the
    case stays called at W06 and its number comes back; the second press sends it to W07."""
    engine, sim, pad = rig.hub.engine, rig.pads["qsystem-ub485"], 0x22
    await engine.login("W06", "staff03")
    case = await rig.issue("A1")
    sim.press(pad, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
    await eventually(lambda: ticket_field(rig, case, "status", "called"))
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-1:] == [case])
    sim.pads[pad].displays.clear()
    sim.press(pad, PadAction.simple(ActionKind.TRANSFER_PRESET, key="key3"))
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)] == ["E1", case])
    kept = await ticket(rig, case)
    assert (kept.status, kept.window_id) == ("called", "W06")
    assert (await engine.window("W06")).current_ticket.number == case

    await engine.login("W07", "staff02")
    sim.press(pad, PadAction.simple(ActionKind.TRANSFER_PRESET, key="key3"))
    await eventually(lambda: ticket_field(rig, case, "target_window", "W07"))
    assert (await ticket(rig, case)).status == "waiting"


async def test_a_ub485_call_key_pressed_twice_calls_once(rig: Rig) -> None:
    """Tried: key1 pressed twice on W05's UB485 pad before it showed the number (a bounce, or an
    impatient clerk), then key2. Kept: one call and no recall; the second press recalled the
    ticket at once, so the zone heard it twice and a recall of the citizen's was used up."""
    engine, sim, pad = rig.hub.engine, rig.pads["qsystem-ub485"], 0x21
    await engine.login("W05", "staff03")
    first, second = await rig.issue("A1"), await rig.issue("A1")
    sim.press(pad, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
    sim.press(pad, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
    sim.press(pad, PadAction.simple(ActionKind.START, key="key2"))  # handled after both presses
    await eventually(lambda: ticket_field(rig, first, "status", "serving"))
    kinds = [e.kind for e in await engine.ticket_events((await ticket(rig, first)).id)]
    assert (kinds.count("ticket.called"), kinds.count("ticket.recalled")) == (1, 0)
    assert (await ticket(rig, first)).call_count == 1 and (await ticket(rig, second)).status == "waiting"


async def test_a_text_only_pad_shows_its_call_when_the_next_key_is_already_on_the_wire(rig: Rig) -> None:
    """Tried: key1 (call) and key3 (transfer preset) pressed on W05's UB485 pad together, so the
    second frame is queued on the bus before the hub has handled the first. Kept: the pad shows
    the number it called, then its idle window. It showed neither: the call's number was only
    ever echoed by the refresher, which skips a window while its pad's next key is being handled;
    by the time it read W05 again the ticket was gone to A2, and the idle text equalled what the
    pad showed before the call, so nothing told the clerk which citizen the key had called."""
    engine, sim, pad = rig.hub.engine, rig.pads["qsystem-ub485"], 0x21
    await engine.login("W05", "staff03")
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-1:] == ["----"])
    called = await rig.issue("A1")
    sim.press(pad, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
    sim.press(pad, PadAction.simple(ActionKind.TRANSFER_PRESET, key="key3"))  # same read as key1
    await eventually(lambda: ticket_field(rig, called, "queue", "A2"))
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-2:] == [called, "1"])  # in A2


async def ticket_field(rig: Rig, number: str, name: str, value: object) -> bool:
    return getattr(await rig.hub.engine.ticket_by_number(number), name) == value


async def test_web_call_at_a_window_is_echoed_to_its_pad_and_waiting_counts_follow(rig: Rig) -> None:
    """The pad shows what happened at its window whoever did it, and how many wait."""
    hub, sim = rig.hub, rig.pads["hallq"]
    await hub.client.post("/api/v1/windows/W02/login", json={}, headers=hub.auth("staff01"))
    number = await rig.issue("A3")
    await sim.wait_display(2, lambda d: d.kind is DisplayKind.WAITING and d.waiting == 1)
    response = await hub.client.post("/api/v1/windows/W02/call-next", headers=hub.auth("staff01"))
    assert response.status == 200
    await sim.wait_display(2, PadDisplay.show(number, "请到2号窗口"))
    await sim.wait_display(2, lambda d: d.kind is DisplayKind.WAITING and d.waiting == 0)


async def test_a_back_office_pad_cannot_rate_and_a_recall_past_the_limit_says_why(rig: Rig) -> None:
    """Tried: a B1 case accepted at a B1 window, sent to the back office BO-B, handled there and
    rated from BO-B's pad; then recalls at W01 past the hall's limit. Kept: the back office's
    rating is refused with code 12 and the ticket unrated (it was charged to the front clerk);
    the refused recall is code 11 (it was 255, E255 on a qsystem pad), the ticket still called."""
    engine = rig.hub.engine
    front = next(w.id for w in rig.hub.app[CONFIG].windows if "B1" in w.queues)
    case = await rig.issue("B1")
    await engine.login(front, "staff02")
    await engine.call_next(front)
    await engine.start(front)
    await engine.transfer(front, "back_office", "BO-B")
    assert (await press_and_ack(rig, "hallq", 3, PadAction.login("staff03", HUB_PASSWORD))).ok
    for key in (ActionKind.CALL_NEXT, ActionKind.START):
        assert (await press_and_ack(rig, "hallq", 3, PadAction.simple(key))).ok
    refused = await press_and_ack(rig, "hallq", 3, PadAction.rate(1))
    assert (refused.ok, refused.error_code) == (False, 12) and (await ticket(rig, case)).rating is None

    called = await rig.issue("A1")
    await engine.login("W01", "staff01")
    await engine.call_next("W01")
    for _ in range(rig.hub.app[CONFIG].rules.max_recalls):
        assert (await press_and_ack(rig, "hallq", 1, PadAction.simple(ActionKind.RECALL))).ok
    refused = await press_and_ack(rig, "hallq", 1, PadAction.simple(ActionKind.RECALL))
    assert (refused.ok, refused.error_code) == (False, 11) and (await ticket(rig, called)).status == "called"


async def test_a_pad_counts_who_its_window_can_call(rig: Rig) -> None:
    """Tried: two A1 tickets, one sent by W02 to W01, and a B1 case sent to the back office BO-B.
    Kept: W01's pad counts the one in A1's line and the one sent to it (2), W02's only the line
    (1: it counted the one it could not call), and BO-B's pad the case sent to it (always 0)."""
    engine = rig.hub.engine
    await rig.issue("A1")
    await rig.issue("A1")
    await engine.login("W01", "staff01")
    await engine.pause("W01", "meeting")
    await engine.login("W02", "staff02")
    await engine.call_next("W02")
    await engine.transfer("W02", "window", "W01")
    front = next(w.id for w in rig.hub.app[CONFIG].windows if "B1" in w.queues)
    await rig.issue("B1")
    await engine.login(front, "admin")
    await engine.call_next(front)
    await engine.transfer(front, "back_office", "BO-B")
    assert await engine.waiting_at(["W01", "W02", "BO-B"]) == {"W01": 2, "W02": 1, "BO-B": 1}
    assert (await press_and_ack(rig, "hallq", 3, PadAction.login("staff03", HUB_PASSWORD))).ok
    await rig.pads["hallq"].wait_display(3, lambda d: d.kind is DisplayKind.WAITING and d.waiting == 1)
    await rig.pads["hallq"].wait_display(2, lambda d: d.kind is DisplayKind.WAITING and d.waiting == 1)
    (a1,) = await engine.queues(["A1"])
    assert (a1.waiting, a1.in_line) == (2, 1)  # boards: both wait for A1's windows; one is W01's


async def test_a_pad_learns_its_window_was_left_from_elsewhere(rig: Rig) -> None:
    """Tried: staff01 signs in on W01's pad, then signs in at W02 from a web pad (which ends the
    W01 session). Kept: W01's pad gets LOGIN_STATE off (its light kept saying staff01 was there)."""
    hallq = rig.pads["hallq"]
    assert (await press_and_ack(rig, "hallq", 1, PadAction.login("staff01", HUB_PASSWORD))).ok
    await hallq.wait_display(1, PadDisplay.login_state(True, "张三"))
    before = len(hallq.pads[1].displays)
    await rig.hub.engine.login("W02", "staff01")
    await eventually(lambda: PadDisplay.login_state(False) in hallq.pads[1].displays[before:])
    assert not hallq.pads[1].logged_in


async def test_a_pad_refuses_a_clerk_of_another_unit(rig: Rig) -> None:
    """Tried: a clerk of 县文化旅游广电体育局 (U09) keys their id and PIN on the pad of BO-B, the
    back office of 县市场监督管理局 (U08). Refused with code 14 (other_unit) and BO-B stays
    unstaffed; a U08 clerk then signs in there on the same pad."""
    accounts, now = rig.hub.app[ACCOUNTS], rig.hub.engine.clock.now()
    await accounts.add_user("u09clerk", HUB_PASSWORD, Role.STAFF, "赵六", "U09", now=now)
    await accounts.add_user("u08clerk", HUB_PASSWORD, Role.STAFF, "钱七", "U08", now=now)
    refused = await press_and_ack(rig, "hallq", 3, PadAction.login("u09clerk", HUB_PASSWORD))
    assert not refused.ok and refused.error_code == 14
    assert (await rig.hub.engine.window("BO-B")).staff_id is None
    assert (await press_and_ack(rig, "hallq", 3, PadAction.login("u08clerk", HUB_PASSWORD))).ok
    assert (await rig.hub.engine.window("BO-B")).staff_id == "u08clerk"


async def test_a_pad_hears_the_answer_to_its_key_before_the_echo(rig: Rig) -> None:
    """Tried: login, call-next and start keyed on W01's hallq pad, ten calls over. Kept: each
    ACK arrives before the SHOW and WAITING the action caused (the echo of the action's own event
    raced the answer and often won: docs/devices.md says answered at once, displays follow)."""
    engine, hallq = rig.hub.engine, rig.pads["hallq"]
    numbers = [await rig.issue("A1") for _ in range(10)]
    assert (await press_and_ack(rig, "hallq", 1, PadAction.login("staff01", HUB_PASSWORD))).ok
    for number in numbers:
        before = len(hallq.pads[1].displays)
        assert (await press_and_ack(rig, "hallq", 1, PadAction.simple(ActionKind.CALL_NEXT))).ok
        await hallq.wait_display(1, lambda d: d.kind is DisplayKind.SHOW and d.number == number)
        shown = hallq.pads[1].displays[before:]  # (the previous no-show's echo may come first)
        ack = next(i for i, d in enumerate(shown) if d.kind is DisplayKind.ACK)
        show = next(i for i, d in enumerate(shown) if d.kind is DisplayKind.SHOW and d.number == number)
        assert ack < show, [(d.kind.value, d.number) for d in shown]
        await engine.no_show("W01")


async def test_a_pad_names_the_colleague_a_window_was_handed_over_to(rig: Rig) -> None:
    """Tried: staff01 (张三) signs in on W01's hallq pad and staff02 (李四) on W03's polled pad;
    at lunch each hands the window over from the web (POST /windows/{id}/hand-over) to a
    colleague, who types their own PIN. Kept: each pad's sign-in line names the colleague and
    stays lit; it kept naming the one who had left, though every key was now theirs."""
    hub = rig.hub
    for dialect, pad, staff, name in (("hallq", 1, "staff01", "张三"), ("polled-csv", 1, "staff02", "李四")):
        assert (await press_and_ack(rig, dialect, pad, PadAction.login(staff, HUB_PASSWORD))).ok
        await rig.pads[dialect].wait_display(pad, PadDisplay.login_state(True, name))
    for window, leaving, taking in (("W01", "staff01", "staff03"), ("W03", "staff02", "staff01")):
        response = await hub.client.post(
            f"/api/v1/windows/{window}/hand-over", json={"staff_id": taking, "password": HUB_PASSWORD},
            headers=hub.auth(leaving),
        )
        assert response.status == 200, await response.text()
    await rig.pads["hallq"].wait_display(1, PadDisplay.login_state(True, "王五"))
    await rig.pads["polled-csv"].wait_display(1, PadDisplay.login_state(True, "张三"))
    assert rig.pads["hallq"].pads[1].logged_in and rig.pads["polled-csv"].pads[1].logged_in


async def test_a_ub485_pad_blinks_a_called_number_and_holds_it_steady_while_served(rig: Rig) -> None:
    """Tried: on W05's UB485 pad, key1 calls A1001, key2 starts it, key4 ends it; key1 calls the
    next, key4 again. Kept: the called number blinks and the served one stands, so the clerk sees
    what key 4 will do (no-show while blinking, finish while steady): the pad showed both alike,
    and a clerk who had skipped key2 marked a served citizen a no-show. The two key-4 presses
    finish the first ticket and mark the second a no-show."""
    engine, sim, pad = rig.hub.engine, rig.pads["qsystem-ub485"], 0x21
    await engine.login("W05", "staff03")
    served, missed = await rig.issue("A1"), await rig.issue("A1")
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-1:] == ["2"])
    sim.pads[pad].displays.clear()
    key1, key2, key4 = (PadAction.simple(kind, key=name) for name, kind in (
        ("key1", ActionKind.CALL_OR_RECALL), ("key2", ActionKind.START), ("key4", ActionKind.NO_SHOW_OR_FINISH)))
    sim.press(pad, key1)
    await sim.wait_display(pad, PadDisplay.show(served, blink=True))
    sim.press(pad, key2)
    await sim.wait_display(pad, PadDisplay.show(served))
    sim.press(pad, key4)
    await eventually(lambda: ticket_field(rig, served, "status", "finished"))
    await eventually(lambda: shows(rig, "qsystem-ub485", pad)[-1] == PadDisplay.show("1"))
    sim.press(pad, key1)
    await eventually(lambda: shows(rig, "qsystem-ub485", pad)[-1] == PadDisplay.show(missed, blink=True))
    sim.press(pad, key4)
    await eventually(lambda: ticket_field(rig, missed, "status", "no_show"))
    await eventually(lambda: shows(rig, "qsystem-ub485", pad)[-1] == PadDisplay.show("----"))
    assert [(d.number, d.blink) for d in shows(rig, "qsystem-ub485", pad)] == [
        (served, True), (served, False), ("1", False), (missed, True), ("----", False)]


async def test_a_colleague_takes_a_window_over_by_signing_in_on_its_pad(rig: Rig) -> None:
    """Tried: staff01 (张三) at W01's hallq pad parks a case (the citizen fetches a document) and
    calls the next; staff02 (李四) keys their own id and PIN on the same pad, then again once the
    ticket at the counter is parked too. Kept: the first try is refused with 4 (a ticket is at the
    counter) and changes nothing; the second hands the window over (交接) with both parked cases,
    and the pad names 李四. It was refused as 7 (window taken), and with a case parked 张三
    could not log out either: the relief needed a browser."""
    engine = rig.hub.engine
    first, second = await rig.issue("A1"), await rig.issue("A1")
    assert (await press_and_ack(rig, "hallq", 1, PadAction.login("staff01", HUB_PASSWORD))).ok
    assert (await press_and_ack(rig, "hallq", 1, PadAction.simple(ActionKind.CALL_NEXT))).ok
    await engine.park("W01")
    assert (await press_and_ack(rig, "hallq", 1, PadAction.simple(ActionKind.CALL_NEXT))).ok
    refused = await press_and_ack(rig, "hallq", 1, PadAction.login("staff02", HUB_PASSWORD))
    assert (refused.ok, refused.error_code) == (False, 4)
    assert (await engine.window("W01")).staff_id == "staff01"
    await engine.park("W01")
    assert (await press_and_ack(rig, "hallq", 1, PadAction.login("staff02", HUB_PASSWORD))).ok
    assert (await engine.window("W01")).staff_id == "staff02"
    await rig.pads["hallq"].wait_display(1, PadDisplay.login_state(True, "李四"))
    for number in (first, second):
        parked = await ticket(rig, number)
        assert (parked.status, parked.window_id) == ("on_hold", "W01")


async def test_an_idle_ub485_pad_counts_who_its_window_can_call(rig: Rig) -> None:
    """Tried: W05's UB485 pad idle while nobody waits, then while two A1 tickets wait; W05 serves
    one, W06 calls the other; W05 pauses. Kept: ---- with
    nobody to call, the count (2, then 1) while someone waits, ---- again once nobody does, P
    while paused. It said ---- whoever waited, so an open window with a full line looked like one
    with nobody to call (docs/devices.md: the hall counts that as idle while people wait)."""
    engine, sim, pad = rig.hub.engine, rig.pads["qsystem-ub485"], 0x21
    await engine.login("W05", "staff03")
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-1:] == ["----"])
    first, second = await rig.issue("A1"), await rig.issue("A1")
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-1:] == ["2"])
    sim.press(pad, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
    await eventually(lambda: ticket_field(rig, first, "status", "called"))
    sim.press(pad, PadAction.simple(ActionKind.START, key="key2"))
    sim.press(pad, PadAction.simple(ActionKind.NO_SHOW_OR_FINISH, key="key4"))
    await eventually(lambda: ticket_field(rig, first, "status", "finished"))
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-1:] == ["1"])
    await engine.login("W06", "staff02")
    await engine.call_next("W06")
    assert (await ticket(rig, second)).window_id == "W06"
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-1:] == ["----"])
    await engine.pause("W05", "break")
    await eventually(lambda: [d.number for d in shows(rig, "qsystem-ub485", pad)][-1:] == ["P"])


async def test_a_pad_says_its_sign_in_is_locked_after_too_many_wrong_pins(rig: Rig) -> None:
    """Tried: five wrong PINs for staff01 on pad 1, then the right one. Seen: E9 five times, then
    E255 (for the right PIN too): the clerk took the pad or the account for broken. Kept: E15,
    sign-in locked (docs/devices.md), and W01 stays unstaffed."""
    for n in range(5):
        wrong = await press_and_ack(rig, "hallq", 1, PadAction.login("staff01", f"99{n:02d}"))
        assert not wrong.ok and wrong.error_code == 9
    locked = await press_and_ack(rig, "hallq", 1, PadAction.login("staff01", HUB_PASSWORD))
    assert not locked.ok and locked.error_code == 15
    assert (await rig.hub.engine.window("W01")).staff_id is None
