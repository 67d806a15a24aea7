"""BusSupervisor over a real pty: unplug/replug, degraded pads, one log line per new fault."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest

from caller.actions import ActionKind, PadAction, PadDisplay, PadKeyEvent
from caller.bus import BusConfig, PadBus
from caller.errors import BusClosedError, PortInUse
from caller.sim import PadSimulator
from caller.supervisor import BusSupervisor, DeviceState

from .conftest import Received, windows_for


@pytest.fixture
async def sim() -> PadSimulator:
    simulator = PadSimulator("hallq", [1, 2])
    await simulator.start()
    yield simulator
    await simulator.close()


async def test_unplug_replug_goes_offline_then_online_and_events_flow(sim: PadSimulator, caplog) -> None:
    received = Received()
    states: list[DeviceState] = []
    sup = BusSupervisor(
        BusConfig(url=sim.path, dialect="hallq", windows=windows_for([1, 2]), name="hall-bus-1"),
        received,
        lambda state, detail: states.append(state),
        initial_backoff=0.02,
        max_backoff=0.1,
    )
    await sup.start()
    try:
        await sup.wait_for_state(DeviceState.ONLINE)
        sim.press(1, PadAction.simple(ActionKind.CALL_NEXT))
        await received.wait_for(1)

        with caplog.at_level(logging.INFO, logger="caller.supervisor"):
            await sim.unplug()
            await sup.wait_for_state(DeviceState.OFFLINE)
            with pytest.raises(BusClosedError, match="offline"):
                await sup.show(1, PadDisplay.show("A001"))  # fails at once, never hangs
            await asyncio.sleep(0.5)  # several reconnect attempts while unplugged
            sim.replug()
            await sup.wait_for_state(DeviceState.ONLINE)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        # one line for the loss, one for the first failed reopen; not one per retry
        assert 1 <= len(warnings) <= 2, [r.getMessage() for r in warnings]
        assert any("back online" in r.getMessage() for r in caplog.records)

        await asyncio.sleep(0.05)
        sim.press(2, PadAction.simple(ActionKind.START))
        events = await received.wait_for(2)
        assert events[1].window_id == "W02" and events[1].action.kind is ActionKind.START
        await sup.show(2, PadDisplay.show("A002"))
        assert sim.pads[2].shown_number == "A002"
        changes = [state for i, state in enumerate(states) if i == 0 or state is not states[i - 1]]  # a new reason repeats a state
        assert changes[:3] == [DeviceState.ONLINE, DeviceState.OFFLINE, DeviceState.ONLINE]
        assert sup.reconnects == 1  # one drop, one reconnect: the first open is no reconnect
    finally:
        await sup.stop()
    assert sup.state is DeviceState.OFFLINE


async def test_silent_pad_marks_bus_degraded_until_it_answers() -> None:
    sim = PadSimulator("polled-csv", [1, 2])
    await sim.start()
    sup = BusSupervisor(
        BusConfig(url=sim.path, dialect="polled-csv", windows=windows_for([1, 2]), poll_timeout=0.03, scan_pause=0.01),
        Received(),
    )
    await sup.start()
    try:
        await sup.wait_for_state(DeviceState.ONLINE)
        sim.mute(2)
        await sup.wait_for_state(DeviceState.DEGRADED, timeout=3)
        assert sup.counters().timeouts >= 3
        sim.mute(2, False)
        await sup.wait_for_state(DeviceState.ONLINE, timeout=3)
    finally:
        await sup.stop()
        await sim.close()


async def test_missing_port_stays_offline_and_logs_once(tmp_path, caplog) -> None:
    # Tried: a device path that does not exist. Kept: the supervisor retries quietly, state offline.
    reported: list[tuple[DeviceState, str]] = []
    sup = BusSupervisor(
        BusConfig(url=str(tmp_path / "nope"), dialect="hallq", windows={1: "W01"}), Received(),
        on_state=lambda state, detail: reported.append((state, detail)), initial_backoff=0.01, max_backoff=0.02
    )
    with caplog.at_level(logging.WARNING, logger="caller.supervisor"):
        await sup.start()
        await asyncio.sleep(0.3)
        await sup.stop()
    assert sup.state is DeviceState.OFFLINE and sup.reconnects == 0
    assert len(caplog.records) == 1 and "cannot open" in caplog.records[0].getMessage()
    # The technician's status learns why, once (it stayed "not started" with no fault), not per retry.
    assert [detail for _, detail in reported if "cannot open" in detail] == [reported[0][1]]
    assert reported[0][0] is DeviceState.OFFLINE


async def test_counters_survive_a_reconnect(sim: PadSimulator) -> None:
    # Tried: noise on the line, then one unplug/replug. Before, garbage_bytes went back to 0 (a new
    # PadBus per connection) and the evidence of a noisy line was lost.
    received = Received()
    sup = BusSupervisor(BusConfig(url=sim.path, dialect="hallq", windows=windows_for([1, 2])), received,
                        initial_backoff=0.02, max_backoff=0.1)
    await sup.start()
    try:
        await sup.wait_for_state(DeviceState.ONLINE)
        sim.noise(200)
        sim.press(1, PadAction.simple(ActionKind.CALL_NEXT))
        await received.wait_for(1)
        before = sup.counters()
        assert before.garbage_bytes > 0 and before.events == 1

        await sim.unplug()
        await sup.wait_for_state(DeviceState.OFFLINE)
        assert sup.counters() == before  # offline: the figures are still there
        sim.replug()
        await sup.wait_for_state(DeviceState.ONLINE)
        sim.press(2, PadAction.simple(ActionKind.START))
        await received.wait_for(2)
        after = sup.counters()
        assert after.garbage_bytes >= before.garbage_bytes and after.events == 2
        assert after.bytes_in > before.bytes_in and after.frames > before.frames
    finally:
        await sup.stop()


async def test_a_dead_pad_is_logged_once_by_window_and_its_return_too(caplog) -> None:
    # Tried: a configured pad that stops answering. Before, the status said "[2]" (an address the
    # staff do not know) and the log said nothing at all.
    sim = PadSimulator("polled-csv", [1, 2])
    await sim.start()
    details: list[str] = []
    sup = BusSupervisor(
        BusConfig(url=sim.path, dialect="polled-csv", windows=windows_for([1, 2]), poll_timeout=0.03,
                  scan_pause=0.01, name="hall-bus-2"),
        Received(), lambda state, detail: details.append(detail), initial_backoff=0.02, max_backoff=0.1,
    )
    caplog.set_level(logging.INFO, logger="caller.supervisor")
    await sup.start()
    try:
        await sup.wait_for_state(DeviceState.ONLINE)
        sim.mute(2)
        await sup.wait_for_state(DeviceState.DEGRADED, timeout=5)
        assert details[-1] == "pads not answering: 2 (W02)"
        timeouts = sup.counters().timeouts
        await asyncio.wait_for(_until(lambda: sup.counters().timeouts >= timeouts + 5), 10)  # polls go on

        # a replug while the pad is still dead: no new line, and the bus is degraded at once
        await sim.unplug()
        await sup.wait_for_state(DeviceState.OFFLINE)
        sim.replug()
        await sup.wait_for_state(DeviceState.DEGRADED)
        assert details[-1] == "pads not answering: 2 (W02)"

        sim.mute(2, False)
        await sup.wait_for_state(DeviceState.ONLINE, timeout=5)
        polls = sup.counters().polls
        await asyncio.wait_for(_until(lambda: sup.counters().polls >= polls + 10), 10)  # and polls go on
    finally:
        await sup.stop()
        await sim.close()
    pad_lines = [(r.levelno, r.getMessage()) for r in caplog.records if "pad 2 " in r.getMessage()]
    assert pad_lines == [
        (logging.WARNING, "pad bus hall-bus-2: pad 2 of window W02 is not answering"),
        (logging.INFO, "pad bus hall-bus-2: pad 2 of window W02 answers again"),
    ]


async def test_a_second_opener_of_the_port_is_refused_with_a_clear_fault(sim: PadSimulator) -> None:
    # Tried: two hubs on one pad line. Before, both opened it and split the pads' bytes between them.
    config = BusConfig(url=sim.path, dialect="hallq", windows=windows_for([1, 2]), name="hall-bus-1")
    first = PadBus(config, Received())
    await first.open()
    with pytest.raises(PortInUse, match="in use by another process"):
        await PadBus(config, Received()).open()
    reported: list[tuple[DeviceState, str]] = []
    second = BusSupervisor(config, Received(), lambda state, detail: reported.append((state, detail)),
                           initial_backoff=0.02, max_backoff=0.1)
    await second.start()
    try:
        await asyncio.wait_for(_until(lambda: bool(reported)), 10)
        assert reported[0][0] is DeviceState.OFFLINE and "in use by another process" in reported[0][1]
        await first.close()  # the first hub stops: the second gets the port on its next attempt
        await second.wait_for_state(DeviceState.ONLINE)
    finally:
        await second.stop()
        await first.close()


async def _until(predicate) -> None:  # type: ignore[no-untyped-def]
    while not predicate():
        await asyncio.sleep(0.01)


@pytest.mark.timeout(90)  # the old bus froze the event loop, so no asyncio timeout could fire
async def test_a_stalled_line_is_dropped_reported_once_and_the_hub_keeps_running(caplog) -> None:
    # Tried: a pad bus converter that stops taking data. Before, the next display went straight
    # to pyserial, whose non-blocking write retried EAGAIN for ever: the whole event loop froze.
    sim = PadSimulator("hallq", [1, 2])
    await sim.start()
    details: list[tuple[DeviceState, str]] = []
    sup = BusSupervisor(
        BusConfig(url=sim.path, dialect="hallq", windows=windows_for([1, 2]), name="hall-bus-1", drain_margin_s=0.3),
        Received(),
        lambda state, detail: details.append((state, detail)),
        initial_backoff=0.02,
        max_backoff=0.1,
    )
    ticks = 0

    async def ticker() -> None:  # any other work of the hub: it must go on while the line is stuck
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.get_running_loop().create_task(ticker())
    caplog.set_level(logging.INFO, logger="caller.supervisor")
    await sup.start()
    try:
        await sup.wait_for_state(DeviceState.ONLINE)
        await asyncio.wait_for(sup.show(1, PadDisplay.show("A001")), 10)

        sim.stall()
        stuck_at = ticks
        shown = sup.show(1, PadDisplay.show("A002"))
        with pytest.raises(BusClosedError, match="stopped taking data"):
            await asyncio.wait_for(shown, 20)  # fails, never hangs
        await sup.wait_for_state(DeviceState.DEGRADED, timeout=20)
        assert ticks > stuck_at  # the event loop ran on while the line was stuck
        assert "stopped taking data" in details[-1][1]
        # reopened while still stuck: failed opens, so offline after 3, and the stall logged once
        await sup.wait_for_state(DeviceState.OFFLINE, timeout=30)
        assert "stopped taking data" in details[-1][1]
        stalls = [r for r in caplog.records if r.name == "caller.supervisor" and "stopped taking data" in r.getMessage()]
        assert len(stalls) == 1, [r.getMessage() for r in caplog.records]

        sim.resume()
        await sup.wait_for_state(DeviceState.ONLINE, timeout=30)
        assert any("back online" in r.getMessage() for r in caplog.records)
        await asyncio.wait_for(sup.show(1, PadDisplay.show("A003")), 10)
        assert sim.pads[1].shown_number == "A003"
    finally:
        ticking.cancel()
        await sup.stop()
        await sim.close()


async def test_a_request_resent_after_the_line_came_back_is_not_acted_on_again(sim: PadSimulator) -> None:
    """Tried: pad 1 sends RECALL, the line drops for a moment, and on its return the pad resends
    the same frame (same SEQ), as the protocol tells a pad whose ACK was lost. Seen: the resend was
    acted on: the number announced again, one of the citizen's recalls spent. Kept: it is dropped
    as a retransmission; the next real key (pad 2's START) goes through."""
    received = Received()
    sup = BusSupervisor(BusConfig(url=sim.path, dialect="hallq", windows=windows_for([1, 2])), received,
                        initial_backoff=0.02, max_backoff=0.1)
    await sup.start()
    try:
        await sup.wait_for_state(DeviceState.ONLINE)
        recall = PadAction.simple(ActionKind.RECALL)
        sim.press(1, recall)
        await received.wait_for(1)
        await sim.unplug()
        await sup.wait_for_state(DeviceState.OFFLINE)
        sim.replug()
        await sup.wait_for_state(DeviceState.ONLINE)
        sim.noise(sim.dialect.encode_action(1, recall, sim.pads[1].seq))  # the same frame again
        sim.press(2, PadAction.simple(ActionKind.START))
        await received.wait_for(2)
        await asyncio.sleep(0.1)  # anything more the line held has arrived
        assert [(e.window_id, e.action.kind) for e in received.events] == [("W01", ActionKind.RECALL), ("W02", ActionKind.START)]
    finally:
        await sup.stop()



def polled_supervisor(sim: PadSimulator, on_key) -> BusSupervisor:  # type: ignore[no-untyped-def]
    """A polled-csv bus on the simulator's pads 1 and 2, scanning and reconnecting fast."""
    config = BusConfig(url=sim.path, dialect="polled-csv", windows=windows_for([1, 2]), poll_timeout=0.03, scan_pause=0.01)
    return BusSupervisor(config, on_key, initial_backoff=0.02, max_backoff=0.1)


async def test_a_polled_pads_request_still_pending_after_a_drop_is_seen_again() -> None:
    """Tried: a polled-csv pad reports CALL_NEXT, and the line drops before any answer reaches it
    (it repeats the request until acknowledged). Seen (with one codec kept across connections, as
    for hallq): the repeat after the reconnect read as the same status, no new edge, no event:
    the hub never answered and the pad stayed in its request. Kept: a polled bus starts each
    connection afresh and delivers it again, for the hub to answer."""
    sim = PadSimulator("polled-csv", [1, 2])
    await sim.start()
    received = Received()
    sup = polled_supervisor(sim, received)
    await sup.start()
    try:
        await sup.wait_for_state(DeviceState.ONLINE)
        sim.press(1, PadAction.simple(ActionKind.CALL_NEXT))
        await received.wait_for(1)
        await sim.unplug()
        await sup.wait_for_state(DeviceState.OFFLINE)
        sim.replug()
        await sup.wait_for_state(DeviceState.ONLINE)
        events = await received.wait_for(2)
        assert [(e.window_id, e.action.kind) for e in events] == [("W01", ActionKind.CALL_NEXT)] * 2
    finally:
        await sup.stop()
        await sim.close()


ANSWER = PadDisplay.ack(True, 0, waiting=3, logged_in=True)


@contextlib.asynccontextmanager
async def answering_polled_bus() -> AsyncIterator[tuple[PadSimulator, BusSupervisor, Received]]:
    """Simulated polled pads 1 and 2 on a started bus whose key handler acts (records the event)
    and answers the pad at once, as the hub does; both stopped afterwards."""
    sim = PadSimulator("polled-csv", [1, 2])
    await sim.start()
    received = Received()

    async def on_key(event: PadKeyEvent) -> None:
        await received(event)
        sup.show(event.bus_address, ANSWER)

    sup = polled_supervisor(sim, on_key)
    await sup.start()
    try:
        yield sim, sup, received
    finally:
        await sup.stop()
        await sim.close()


async def test_a_polled_pads_request_whose_answer_the_drop_lost_is_answered_again_not_acted_on_again() -> None:
    """Tried: pad 1 (polled-csv) reports CALL_NEXT; the hub acts and answers, but the answer is lost
    (the pad hears nothing the hub sends), the line drops, and after the reconnect the pad still
    reports its request, as it does until an answer reaches it; then, with its answer, the clerk
    presses call again. Seen: the repeat after the reconnect was delivered as a new press (each
    connection has a fresh codec) and acted on a second time: another citizen called. Kept: one
    event, and the pad gets the stored answer; the second press, made after the pad was seen out
    of its request, is delivered."""
    call = PadAction.simple(ActionKind.CALL_NEXT)
    async with answering_polled_bus() as (sim, sup, received):
        await sup.wait_for_state(DeviceState.ONLINE)
        sim.deafen(1)
        sim.press(1, call)
        await sim.wait_lost(1, ANSWER)
        await sim.unplug()
        await sup.wait_for_state(DeviceState.OFFLINE)
        sim.deafen(1, False)
        sim.replug()
        await sup.wait_for_state(DeviceState.ONLINE)
        await sim.wait_display(1, ANSWER)
        await asyncio.sleep(0.1)  # several scans of the pad, now out of its request
        assert [(e.window_id, e.action.kind) for e in received.events] == [("W01", ActionKind.CALL_NEXT)]
        assert sim.pads[1].pending is None and sup.counters().repeats_answered >= 1

        sim.press(1, call)  # the clerk calls the next citizen: the same line, a new press
        events = await received.wait_for(2)
        assert [(e.window_id, e.action.kind) for e in events] == [("W01", ActionKind.CALL_NEXT)] * 2
        async with asyncio.timeout(5):
            while sim.pads[1].pending is not None:  # answered
                await asyncio.sleep(0.01)


async def test_a_polled_pads_request_whose_answer_was_lost_on_a_live_line_is_answered_again() -> None:
    """Tried: pad 1 (polled-csv) reports RECALL; the hub acts and answers, the answer is lost (the
    pad hears nothing for a while) and the line stays up; then the pad hears again. Seen: the pad
    went on reporting RECALL, the codec saw no new edge, nothing answered it again: the pad was
    stuck in its request for good. Kept: the next poll after it hears again gets the stored answer;
    the recall was delivered once."""
    async with answering_polled_bus() as (sim, sup, received):
        await sup.wait_for_state(DeviceState.ONLINE)
        sim.deafen(1)
        sim.press(1, PadAction.simple(ActionKind.RECALL))
        await sim.wait_lost(1, ANSWER)
        sim.deafen(1, False)
        await sim.wait_display(1, ANSWER)
        await asyncio.sleep(0.1)  # several scans of the pad, now out of its request
        assert [(e.window_id, e.action.kind) for e in received.events] == [("W01", ActionKind.RECALL)]
        assert sim.pads[1].pending is None and sup.reconnects == 0


async def test_a_polled_pads_request_is_not_acted_on_again_when_the_line_drops_while_the_hub_acts() -> None:
    """Tried: a polled pad presses 叫号; the hub's handler has acted (the engine called a citizen)
    and is still reading the window back when the line drops; the handler answers while the bus is
    offline, and the pad, which never got its answer, repeats the request after the reconnect.
    It was: the drop cut the handler off, nothing was kept, and the repeat was delivered again (a
    second citizen called, found in review). Kept: the handler finishes, its answer is kept, the
    repeat is answered with it and the hub acted once; the pad leaves its request."""
    sim = PadSimulator("polled-csv", [1, 2])
    await sim.start()
    acted: list[PadKeyEvent] = []
    dropped = asyncio.Event()
    supervisors: list[BusSupervisor] = []

    async def on_key(event: PadKeyEvent) -> None:
        acted.append(event)  # the engine called a citizen
        if len(acted) == 1:
            await dropped.wait()  # ... and the line drops while the hub reads the window back
        try:
            await supervisors[0].show(event.bus_address, ANSWER)
        except BusClosedError:
            pass  # offline: the pad will ask again

    supervisor = polled_supervisor(sim, on_key)
    supervisors.append(supervisor)
    await supervisor.start()
    try:
        await supervisor.wait_for_state(DeviceState.ONLINE)
        sim.press(1, PadAction.simple(ActionKind.CALL_NEXT))
        async with asyncio.timeout(5):
            while not acted:
                await asyncio.sleep(0.01)
        await sim.unplug()
        await supervisor.wait_for_state(DeviceState.OFFLINE)
        dropped.set()
        await asyncio.sleep(0.05)
        sim.replug()
        await supervisor.wait_for_state(DeviceState.ONLINE)
        async with asyncio.timeout(5):
            while sim.pads[1].pending is not None:  # the pad got its answer and left its request
                await asyncio.sleep(0.01)
        assert [e.action.kind for e in acted] == [ActionKind.CALL_NEXT]
        assert supervisor.counters().repeats_answered >= 1
    finally:
        await supervisor.stop()
        await sim.close()
