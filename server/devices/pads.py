"""Call-pad buses driven from the hub: keys become engine actions, the engine's state goes back.

Flow (ARCHITECTURE.md "Flows to keep short"): pad frame -> caller.bus decodes -> ``_on_key`` ->
one engine transaction (PadActions) -> the pad gets its acknowledgement at once, and with it the
window as that action left it; the committed events fan out on the EventBus, and the one
refresher task echoes number, state and waiting count to every pad whose window or queues
changed. The refresher never sends a read older than an answer, which keeps the pad from ever
ending on an older state than the database, and a per-pad memory of the last
display keeps a busy hall from flooding a polled bus with identical frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from caller.actions import ActionKind, PadDisplay, PadKeyEvent
from caller.bus import BusConfig
from caller.errors import CallerError
from caller.supervisor import BusSupervisor, DeviceState
from server.config.models import HallConfig
from server.devices.config import PadBusConfig
from server.devices.directory import Directory
from server.devices.health import DeviceHealth
from server.devices.pad_actions import ActionResult, PadActions
from server.engine.engine import QueueEngine
from server.engine.views import HallEvent, WindowView
from server.errors import HallQError
from server.storage.outage import told_by_the_storage

LOG = logging.getLogger(__name__)

#: dialects whose pads show one short ASCII text and nothing else (no ack, no login, no stars)
TEXT_ONLY_DIALECTS = frozenset({"qsystem-ub485"})
#: how long a text-only pad shows an error code before its number comes back
ERROR_SHOWN_S = 2.0
#: how soon an echo the database could not read is tried again
OUTAGE_RETRY_S = 1.0

#: what a pad says about its window, by WindowView.state
STATE_TEXT = {"closed": "未登录", "idle": "空闲", "paused": "暂停服务", "called": "已呼叫", "serving": "办理中"}
SHORT_TEXT = {"closed": "OFF", "idle": "----", "paused": "P"}
#: the most a text-only pad counts when idle (three digits fit every UB485 display)
SHORT_COUNT_MAX = 999


@dataclass
class PadBusRuntime:
    """One configured bus and its supervisor, plus what each of its pads was last told."""

    config: PadBusConfig
    supervisor: BusSupervisor
    shown: dict[tuple[int, str], PadDisplay] = field(default_factory=dict)
    #: address -> loop time until which an error code stays on a text-only pad
    held_until: dict[int, float] = field(default_factory=dict)

    @property
    def text_only(self) -> bool:
        return self.config.dialect in TEXT_ONLY_DIALECTS


def pad_displays(view: WindowView, waiting: int, text_only: bool, staff_name: str = "") -> list[PadDisplay]:
    """What a pad at this window should show now (the refresher's half of the echo).

    ``staff_name`` is the display name of whoever is signed in there: the pad's sign-in line
    follows the window, not the last login keyed on the pad, so after a hand-over (交接) from the
    web pad it names the colleague who took over, and a pad that lost power is told again."""
    ticket = view.current_ticket
    called = view.state == "called"
    if text_only:
        # The number blinks while its citizen is called and stands once served: the only sign on a
        # UB485 pad of what key 4 will do (no-show while blinking, finish while steady). Idle, it
        # counts who the window can call, so an open window with people waiting looks different
        # from one with nobody to call (it said ---- either way).
        if ticket is not None:
            return [PadDisplay.show(ticket.number, blink=called)]
        if view.state == "idle" and waiting > 0:
            return [PadDisplay.show(str(min(waiting, SHORT_COUNT_MAX)))]
        return [PadDisplay.show(SHORT_TEXT.get(view.state, "----"))]
    text = STATE_TEXT.get(view.state, view.state)
    if ticket is not None and called and view.number is not None:
        text = f"请到{view.number}号窗口"
    # Logged out or handed over from elsewhere (a web pad, a login at another window, an account
    # switched off): the pad's sign-in line changed only for a login or logout keyed on the pad.
    signed_in = PadDisplay.login_state(False)
    if view.staff_id is not None:
        signed_in = PadDisplay.login_state(True, staff_name or view.staff_id)
    return [PadDisplay.show(ticket.number if ticket else "", text), PadDisplay.waiting_count(min(waiting, 65535)), signed_in]


def answer_displays(kind: ActionKind, result: ActionResult, view: WindowView | None, waiting: int | None,
                    text_only: bool, rating: int = 0) -> list[PadDisplay]:
    """The immediate answer to one action (the key handler's half of the echo); ``view`` and
    ``waiting`` are None when the window could not be read (the database is unreachable): the
    answer then leaves out what it would have said about the window."""
    if text_only:
        return [] if result.ok else [PadDisplay.show(f"E{result.error_code}")]
    displays = [
        PadDisplay.ack(result.ok, result.error_code, None if waiting is None else min(waiting, 65535),
                       logged_in=None if view is None else view.staff_id is not None)
    ]
    if result.ok and kind is ActionKind.LOGIN:
        displays.append(PadDisplay.login_state(True, result.staff_name))
    elif result.ok and kind is ActionKind.LOGOUT:
        displays.append(PadDisplay.login_state(False))
    elif result.ok and kind is ActionKind.RATING:
        displays.append(PadDisplay.light_stars(rating))
    return displays


class PadService:
    """Every pad bus of the hub. ``await start()`` in a cleanup context, ``await stop()`` after."""

    def __init__(
        self,
        buses: list[PadBusConfig],
        engine: QueueEngine,
        actions: PadActions,
        hall: HallConfig,
        health: DeviceHealth,
        directory: Directory,
        *,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self._engine = engine
        self._actions = actions
        self._hall = hall
        self._health = health
        self._directory = directory
        self._dirty: asyncio.Queue[frozenset[str]] = asyncio.Queue()
        self._answering: set[str] = set()
        """Windows whose pad awaits the answer to its own key: their echo waits for that answer
        (docs/devices.md: the action is answered at once, the displays follow; the echo of the
        action's own event went out first, a SHOW before the ACK)."""
        self._answered: Counter[str] = Counter()
        """Answers sent per window: a refresh read before an answer is stale after it, and a newer
        refresh (queued by the answer) shows the window instead."""
        self._worker: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.runtimes: list[PadBusRuntime] = []
        self._pads_of: dict[str, list[tuple[PadBusRuntime, int]]] = {}
        for bus in buses:
            runtime = PadBusRuntime(bus, self._supervisor(bus, initial_backoff, max_backoff))
            self.runtimes.append(runtime)
            health.register(bus.name)
            for address, window_id in bus.pads.items():
                self._pads_of.setdefault(window_id, []).append((runtime, address))
        self._windows_of_queue: dict[str, set[str]] = {}
        for window in hall.windows:
            if window.id in self._pads_of:
                for prefix in window.queues:
                    self._windows_of_queue.setdefault(prefix, set()).add(window.id)

    def _supervisor(self, bus: PadBusConfig, initial_backoff: float, max_backoff: float) -> BusSupervisor:
        config = BusConfig(
            url=bus.url,
            dialect=bus.dialect,
            windows=dict(bus.pads),
            baudrate=bus.baud,
            dialect_params=dict(bus.params),
            poll_timeout=bus.poll_timeout,
            scan_pause=bus.scan_pause,
            ack_timeout=bus.ack_timeout,
            display_attempts=bus.display_attempts,
            silent_after=bus.silent_after,
            name=bus.name,
        )

        async def on_key(event: PadKeyEvent) -> None:
            await self._on_key(bus.name, event)

        was = DeviceState.OFFLINE

        def on_state(state: DeviceState, detail: str) -> None:
            nonlocal was
            self._health.report(bus.name, state.value, detail, bus.zone)
            # Back (a bus reopened with a pad still silent comes back degraded) or every pad answers
            # again: tell every pad its window in full.
            if state is DeviceState.ONLINE or (state is not DeviceState.OFFLINE and was is DeviceState.OFFLINE):
                self._forget(bus.name)
                self._dirty.put_nowait(frozenset(bus.pads.values()))
            was = state

        return BusSupervisor(
            config, on_key, on_state, initial_backoff=initial_backoff, max_backoff=max_backoff,
            logger=logging.getLogger("server.devices.pads"),
        )

    # lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self._unsubscribe = self._engine.bus.listen(self._on_event)
        self._worker = asyncio.get_running_loop().create_task(self._refresh_loop(), name="pad refresher")
        for runtime in self.runtimes:
            await runtime.supervisor.start()

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for runtime in self.runtimes:
            await runtime.supervisor.stop()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    def status(self) -> list[dict[str, Any]]:
        """Per bus: state, counters and last fault, for GET /api/v1/devices/status."""
        out = []
        for runtime in self.runtimes:
            health = self._health.status(runtime.config.name)
            out.append({
                "name": runtime.config.name, "kind": "pads", "url": runtime.config.url,
                "dialect": runtime.config.dialect, "zone": runtime.config.zone, **asdict(health),
                "reconnects": runtime.supervisor.reconnects, "pads": len(runtime.config.pads),
                "counters": asdict(runtime.supervisor.counters()),
            })
        return out

    # keys ------------------------------------------------------------------------------------
    async def _on_key(self, bus_name: str, event: PadKeyEvent) -> None:
        runtime = next(r for r in self.runtimes if r.config.name == bus_name)
        window_id = event.window_id
        assert window_id is not None  # the bus drops frames from addresses it does not know
        preset = runtime.config.transfer_presets.get(event.bus_address)
        self._answering.add(window_id)
        try:
            result = await self._actions.perform(window_id, event.action, preset)
            if not result.ok:
                LOG.info("pad %s@%s (%s): %s refused: %s", event.bus_address, bus_name, window_id,
                         event.action.kind.value, result.message)
            view: WindowView | None = None
            waiting: int | None = None
            names: dict[str, str] = {}
            try:
                view = await self._engine.window(window_id)
                waiting = await self._waiting(view)
                names = await self._names([view])
            except HallQError as error:
                if not told_by_the_storage(error):
                    raise
                # The database went away between the action and this read (or the action was
                # refused for it, code 13): answer from what is known. Raising here sent no answer
                # at all, and the clerk kept pressing a key the pad never acknowledged.
                view = waiting = None
            displays = answer_displays(event.action.kind, result, view, waiting, runtime.text_only, event.action.rating)
            for display in displays:
                self._send(runtime, event.bus_address, display, cache=False)
            if result.ok and view is not None and waiting is not None:
                # What the action made of the window goes with its answer, from this read: the
                # refresher skips a window while its pad's next key is handled, and a key already
                # queued on the bus (call, then transfer at once) is handled before the refresher
                # runs, so the number the pad called was never shown (a UB485 pad's answer to a
                # call is nothing else). The refresher's echo of the same state is then deduped.
                runtime.held_until.pop(event.bus_address, None)  # the new state replaces an error code
                for display in pad_displays(view, waiting, runtime.text_only, names.get(window_id, "")):
                    self._send(runtime, event.bus_address, display)
        finally:
            self._answering.discard(window_id)
            self._answered[window_id] += 1
            self._dirty.put_nowait(frozenset({window_id}))  # now the echo: what the action changed
        if runtime.text_only and displays:
            loop = asyncio.get_running_loop()
            runtime.shown.pop((event.bus_address, "show"), None)  # the error replaced the number
            runtime.held_until[event.bus_address] = loop.time() + ERROR_SHOWN_S
            loop.call_later(ERROR_SHOWN_S + 0.05, self._dirty.put_nowait, frozenset({window_id}))

    # echo ------------------------------------------------------------------------------------
    def _on_event(self, event: HallEvent) -> None:
        """EventBus listener: never blocks; names the windows whose pads may show something new."""
        windows: set[str] = set()
        if event.window_id in self._pads_of:
            windows.add(event.window_id)
        if event.queue is not None:
            windows |= self._windows_of_queue.get(event.queue, set())
        if event.kind == "ticket.transferred":
            target = event.payload.get("target")
            if target in self._pads_of:
                windows.add(target)
        if windows:
            self._dirty.put_nowait(frozenset(windows))

    async def _refresh_loop(self) -> None:
        while True:
            windows = set(await self._dirty.get())
            while not self._dirty.empty():  # coalesce a burst into one read
                windows |= self._dirty.get_nowait()
            try:
                await self._refresh(windows)
            except Exception as error:  # noqa: BLE001 - one failed read must not stop the echo for good
                if told_by_the_storage(error):
                    # Nothing else may come to ask again once the database is back: a UB485 pad
                    # kept the E13 of a key pressed during the outage until the next change there.
                    asyncio.get_running_loop().call_later(OUTAGE_RETRY_S, self._dirty.put_nowait, frozenset(windows))
                else:
                    LOG.exception("pad refresh failed for %s", sorted(windows))

    async def _refresh(self, window_ids: set[str]) -> None:
        read_after = {w: self._answered[w] for w in window_ids}
        views = {v.id: v for v in await self._engine.windows() if v.id in window_ids and v.id not in self._answering}
        counts = await self._engine.waiting_at(sorted(views))
        names = await self._names(list(views.values()))
        for window_id, view in views.items():
            waiting = counts[window_id]
            if window_id in self._answering or self._answered[window_id] != read_after[window_id]:
                continue  # an answer went out meanwhile: this read is older than what it said
            for runtime, address in self._pads_of.get(window_id, []):
                if runtime.held_until.get(address, 0.0) > asyncio.get_running_loop().time():
                    continue  # the pad shows an error code for a moment; restored when it expires
                for display in pad_displays(view, waiting, runtime.text_only, names.get(window_id, "")):
                    self._send(runtime, address, display)

    async def _names(self, views: list[WindowView]) -> dict[str, str]:
        """Window id -> display name of the person signed in there (only for pads that show it)."""
        staffed = {v.id: v.staff_id for v in views if v.staff_id and any(not r.text_only for r, _ in self._pads_of.get(v.id, []))}
        cards = await self._directory.staff(sorted(set(staffed.values())))
        return {window_id: cards[staff].display_name for window_id, staff in staffed.items() if staff in cards}

    async def _waiting(self, view: WindowView) -> int:
        return (await self._engine.waiting_at([view.id]))[view.id]

    def _send(self, runtime: PadBusRuntime, address: int, display: PadDisplay, *, cache: bool = True) -> None:
        """Queue a display (FIFO per bus); skip it if the pad already shows exactly this."""
        key = (address, display.kind.value)
        if cache and runtime.shown.get(key) == display:
            return
        if runtime.supervisor.state is DeviceState.OFFLINE:
            runtime.shown.pop(key, None)  # re-sent in full when the bus is back
            return
        runtime.shown[key] = display
        future = runtime.supervisor.show(address, display)
        future.add_done_callback(lambda f: self._sent(runtime, key, f))

    def _sent(self, runtime: PadBusRuntime, key: tuple[int, str], future: asyncio.Future[None]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            runtime.shown.pop(key, None)  # not on the pad: try again on the next change
            if not isinstance(error, CallerError):
                LOG.error("pad %s@%s: display failed: %r", key[0], runtime.config.name, error)

    def _forget(self, bus_name: str) -> None:
        for runtime in self.runtimes:
            if runtime.config.name == bus_name:
                runtime.shown.clear()

    async def refresh_all(self) -> None:
        """Echo every pad's window (start-up, and for tests that need a known baseline)."""
        await self._refresh(set(self._pads_of))
