"""LED window and zone screens driven from the hub's event bus.

ticket.called/recalled -> the window's screen shows "A001 请到3号窗口" and every zone screen of
the ticket's zone (and of the window's, if another) scrolls "请A001号到3号窗口办理"; a back office calls silently (payload
silent=True) and appears on no board. A transferred case leaves the zone screens (its line at the
old window read as still served there; the TV boards drop it too, LEAVE_KINDS) and its window's
screen shows the window's state again; a finished, no-show or parked one keeps its zone line.
When a window is idle its screen names the staff member and the unit; paused shows "暂停服务"; logged out is blank. Wording comes from
display/led/templates.py only. Listeners must not block: the EventBus callback only queues the
event, one task turns events into screen texts, and each ScreenBus keeps the newest text per screen and
writes them in turn, paced.
A screen that was offline gets its last text replayed by the bus when the link returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from display.led.bus import ScreenBus
from display.led.dialects import make_codec
from display.led.errors import BusClosedError, LedError
from display.board.model import CALL_KINDS, LEAVE_KINDS
from display.led.model import ScreenKind, ScreenText
from display.led.supervisor import Backoff, LinkState, Supervisor
from display.led.templates import CallInfo, ZoneBoard, ZoneLayout, window_called, window_idle, window_paused
from server.config.models import HallConfig
from server.devices.config import ScreenBusConfig
from server.devices.directory import Directory
from server.devices.health import DeviceHealth
from server.engine.engine import QueueEngine
from server.engine.views import HallEvent, WindowView

LOG = logging.getLogger(__name__)
#: events after which a window screen shows the window's state again (idle, paused, blank)
STATE_KINDS = frozenset({
    "window.login", "window.logout", "window.paused", "window.resumed", "ticket.finished",
    "ticket.no_show", "ticket.transferred", "ticket.parked", "ticket.closed",
})


@dataclass
class ScreenBusRuntime:
    """One screen bus: its driver, its supervisor and the zone boards it carries."""

    config: ScreenBusConfig
    bus: ScreenBus
    supervisor: Supervisor
    boards: dict[str, list[ZoneBoard]] = field(default_factory=dict)


class ScreenService:
    """Every screen bus of the hub. ``await start()`` in a cleanup context, ``await stop()`` after."""

    def __init__(
        self,
        buses: list[ScreenBusConfig],
        engine: QueueEngine,
        directory: Directory,
        hall: HallConfig,
        health: DeviceHealth,
        *,
        backoff: Backoff = Backoff(),
    ) -> None:
        self._engine = engine
        self._directory = directory
        self._hall = hall
        self._health = health
        self._events: asyncio.Queue[HallEvent] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.runtimes: list[ScreenBusRuntime] = []
        self._screens_of: dict[str, list[tuple[ScreenBusRuntime, int]]] = {}
        for config in buses:
            runtime = self._runtime(config, backoff)
            self.runtimes.append(runtime)
            health.register(config.name)
            for address, window_id in config.screens.windows.items():
                self._screens_of.setdefault(window_id, []).append((runtime, address))

    def _runtime(self, config: ScreenBusConfig, backoff: Backoff) -> ScreenBusRuntime:
        codec = make_codec(config.dialect, config.params, source=f"{config.name}: params")
        kinds = {address: ScreenKind.WINDOW for address in config.screens.windows}
        boards: dict[str, list[ZoneBoard]] = {}
        for zone in config.screens.zones:
            kinds.update({address: ScreenKind.ZONE for address in zone.addresses})
            boards.setdefault(zone.zone, []).append(ZoneBoard(ZoneLayout(zone.first_address, zone.rows, zone.columns)))
        bus = ScreenBus(codec, baud=config.baud, kinds=kinds)

        def on_state(state: LinkState, fault: BaseException | None) -> None:
            self._health.report(config.name, state.value, "" if fault is None else f"{fault}", config.zone)

        async def open_link() -> Any:
            return await bus.open(config.url)

        supervisor = Supervisor(
            f"screen bus {config.name}", open_link, on_state, backoff=backoff,
            logger=logging.getLogger("server.devices.screens"),
        )
        return ScreenBusRuntime(config, bus, supervisor, boards)

    # lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self._unsubscribe = self._engine.bus.listen(self._events.put_nowait)
        await self._show_current_state()
        self._worker = asyncio.get_running_loop().create_task(self._loop(), name="screen events")
        for runtime in self.runtimes:
            runtime.supervisor.start()

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        for runtime in self.runtimes:
            await runtime.supervisor.stop()
            await runtime.bus.close()
            self._health.report(runtime.config.name, "offline", "stopped", runtime.config.zone)

    def status(self) -> list[dict[str, Any]]:
        """Per bus: state, counters and last fault, for GET /api/v1/devices/status."""
        out = []
        for runtime in self.runtimes:
            config = runtime.config
            out.append({
                "name": config.name, "kind": "screens", "url": config.url, "dialect": config.dialect,
                "zone": config.zone, **asdict(self._health.status(config.name)),
                "reconnects": runtime.supervisor.reconnects,
                "screens": len(config.screens.windows) + sum(z.rows for z in config.screens.zones),
                "counters": asdict(runtime.bus.stats()),
            })
        return out

    # events ----------------------------------------------------------------------------------
    async def _loop(self) -> None:
        while True:
            event = await self._events.get()
            try:
                await self._handle(event)
            except Exception:  # noqa: BLE001 - one bad event must not blank the hall's screens
                LOG.exception("screens: could not show %s #%d", event.kind, event.seq)

    async def _handle(self, event: HallEvent) -> None:
        window_id = event.window_id
        if window_id is None:
            return
        if event.kind in CALL_KINDS:
            if event.payload.get("silent") or event.number is None:
                return
            self._show_call(window_id, event.number, event.payload.get("window_number"), event.zone)
            return
        if event.kind in LEAVE_KINDS and event.number is not None:
            self._drop_call(event.number)
        if event.kind in STATE_KINDS and window_id in self._screens_of:
            await self._show_windows([await self._engine.window(window_id)])

    def _show_call(self, window_id: str, number: str, window_number: object, ticket_zone: str | None,
                   blink: bool | int = 3) -> None:
        """The window's screen, and the zone boards where the ticket waits and where the window is
        (a window serving another zone's queue: only its own zone's boards showed the call)."""
        window = self._hall.window(window_id)
        if window is None or window.kind == "back_office":
            return
        call = CallInfo(number, str(window_number if window_number is not None else window.number))
        for runtime, address in self._screens_of.get(window_id, []):
            self._show(runtime, address, window_called(call, blink=blink))
        for zone in self._hall.call_zones(ticket_zone, window_id):
            for runtime in self.runtimes:
                for board in runtime.boards.get(zone, []):
                    for address, text in board.push(call).items():
                        self._show(runtime, address, text)

    def _drop_call(self, number: str) -> None:
        """Every zone screen that shows the ticket's call: without it (a number is the day's one
        ticket, so the screens that do not show it are left as they are)."""
        for runtime in self.runtimes:
            for boards in runtime.boards.values():
                for board in boards:
                    for address, text in board.drop(number).items():
                        self._show(runtime, address, text)

    async def _show_windows(self, views: list[WindowView]) -> None:
        """Window screens for windows that are not calling: staff and unit, or 暂停服务 while paused
        and while nobody is logged in (it was blank then, which reads as a dead module to the
        citizen walking up and to the technician alike)."""
        staff = await self._directory.staff(sorted({v.staff_id for v in views if v.staff_id}))
        for view in views:
            if view.current_ticket is not None and view.state in ("called", "serving"):
                text = window_called(CallInfo(view.current_ticket.number, str(view.number)), blink=False)
            elif view.staff_id is None or view.paused_reason is not None:
                text = window_paused()
            else:
                card = staff.get(view.staff_id)
                text = window_idle(card.display_name if card else view.staff_id, self._unit_name(view, card))
            for runtime, address in self._screens_of.get(view.id, []):
                self._show(runtime, address, text)

    def _unit_name(self, view: WindowView, card: Any) -> str:
        window = self._hall.window(view.id)
        code = (window.unit if window else None) or (card.unit if card else None)
        if code is None:
            return ""
        unit = self._hall.unit(code)
        return unit.name if unit else code

    async def _show_current_state(self) -> None:
        """At start-up: every window screen shows its window, every zone board the zone's latest
        calls, as one that had been on all along would (QueueEngine.recent_calls, the TV boards'
        seed too). It showed only the calls still open, so a restart cleared the numbers called and
        finished or marked no-show that a citizen back from the restroom looks for."""
        views = await self._engine.windows()
        await self._show_windows([v for v in views if v.id in self._screens_of])
        for runtime in self.runtimes:
            for zone, boards in runtime.boards.items():
                rows = max(board.layout.rows for board in boards)
                for call in reversed(await self._engine.recent_calls(zone, rows)):  # oldest first: the newest ends on top
                    for board in boards:
                        board.push(CallInfo(call["number"], str(call["window_number"])))
                for board in boards:
                    for address, text in board.screens().items():
                        self._show(runtime, address, text)

    def _show(self, runtime: ScreenBusRuntime, address: int, text: ScreenText) -> None:
        """Post one text: the bus keeps only each screen's newest text, and replays it after a drop.

        No task per text: a stalled bus must not collect one waiting task per call.
        """
        try:
            written = runtime.bus.post(address, text)
        except LedError as exc:
            self._shown_or_not(exc)
        else:
            written.add_done_callback(self._written)

    def _written(self, future: asyncio.Future[None]) -> None:
        if not future.cancelled():
            self._shown_or_not(future.exception())

    @staticmethod
    def _shown_or_not(error: BaseException | None) -> None:
        if isinstance(error, BusClosedError):
            LOG.debug("screen text not written now (kept for replay): %s", error)
        elif isinstance(error, LedError):
            LOG.warning("screen text refused by the dialect: %s", error)
        elif error is not None:
            LOG.error("screen show failed: %r", error)
