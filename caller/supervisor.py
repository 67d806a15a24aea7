"""Keep one pad bus alive: open, run until EOF or error, mark offline, back off, reopen.

Why (ARCHITECTURE.md example 7, Home Assistant's serial sensor): a USB adapter gets unplugged,
a serial device server reboots; the hub must notice, say so once, and recover by itself. One
log line per *new* fault keeps the technician's log readable during a long outage.

A line that stops taking data (a hung pad bus converter, flow control held off) is dropped by the
bus with a LineStalledError: the bus is reported degraded with that fault while it is reopened,
offline after ``offline_after`` reopens in a row found the line still full, and the stall is
logged once however many reopens it takes (as the screen buses do).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable

from caller.actions import PadDisplay
from caller.answers import AnsweredRequests
from caller.bus import BusConfig, BusCounters, KeyCallback, PadBus
from caller.dialects import make_dialect
from caller.errors import BusClosedError, LineStalledError

LOG = logging.getLogger(__name__)


class DeviceState(enum.StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"  # port open but some pads do not answer, or reopening a stalled line
    OFFLINE = "offline"


StateCallback = Callable[[DeviceState, str], None]


class BusSupervisor:
    """One supervised reconnect task for one bus. ``await start()``, ``await stop()``."""

    def __init__(
        self,
        config: BusConfig,
        on_key: KeyCallback,
        on_state: StateCallback | None = None,
        *,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        offline_after: int = 3,
        logger: logging.Logger = LOG,
    ) -> None:
        self.config = config
        self._on_key = on_key
        self._on_state = on_state
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._offline_after = offline_after
        self._log = logger
        self._bus: PadBus | None = None
        self._task: asyncio.Task[None] | None = None
        self._state = DeviceState.OFFLINE
        self._detail = "not started"
        self._state_changed = asyncio.Condition()
        self._last_fault: str | None = None
        self._fault_kind: str | None = None  # what was logged: a stall is logged once, whatever its details
        self._silent: frozenset[int] = frozenset()  # pads not answering, across connections
        self._earlier = BusCounters()  # of connections that ended: a reconnect must not hide line noise
        # One codec for every connection of a push bus: what it remembers of each pad (the last
        # request a pad sent, by its SEQ, to drop its retransmission) outlives a reopened line. A
        # pad resending its recall after a one-second drop was acted on again: the number
        # announced twice, a recall spent. A polled bus starts each connection afresh: its pads
        # repeat a request until it is acknowledged, and one still pending after a drop must be
        # seen again (as the same status it is not a new edge, and the pad stayed stuck in it).
        self._dialect = make_dialect(config.dialect, config.dialect_params)
        # What each polled pad's request was answered with, across connections: a pad whose answer
        # the drop lost repeats its request, and is to be answered again, not acted on again
        # (caller/answers.py); a fresh codec alone delivered it again, and a second citizen was called.
        self._answers = AnsweredRequests()
        self._handlers: set[asyncio.Task[None]] = set()  # handlers that outlived their lost bus
        self.connects = 0

    @property
    def reconnects(self) -> int:
        """Opens after the first one: 0 for a bus that never dropped (screen buses count the same way)."""
        return max(0, self.connects - 1)

    @property
    def state(self) -> DeviceState:
        return self._state

    def counters(self) -> BusCounters:
        """Counters since start(), over every connection (each connection is a new PadBus)."""
        return self._earlier.plus(self._bus.counters()) if self._bus is not None else self._earlier

    def show(self, address: int, display: PadDisplay) -> asyncio.Future[None]:
        """As ``PadBus.show``; fails at once with BusClosedError while the bus is offline, the
        answer to a request kept all the same (its handler outlived the drop: caller/answers.py)."""
        if self._bus is None or not self._bus.is_open:
            self._answers.answered(address, display)
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            future.set_exception(BusClosedError(f"bus {self.config.label} is offline"))
            return future
        return self._bus.show(address, display)

    def show_window(self, window_id: str, display: PadDisplay) -> asyncio.Future[None]:
        if self._bus is None or not self._bus.is_open:
            return self.show(0, display)
        return self._bus.show_window(window_id, display)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._supervise())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._bus is not None:
            await self._bus.close()
        for handler in list(self._handlers):
            handler.cancel()
        self._set_state(DeviceState.OFFLINE, "stopped")

    async def wait_for_state(self, state: DeviceState, timeout: float = 10.0) -> None:
        """Wait until the bus reaches ``state`` (tests and the technician's CLI use this)."""
        async with self._state_changed:
            await asyncio.wait_for(self._state_changed.wait_for(lambda: self._state is state), timeout)

    async def _supervise(self) -> None:
        backoff = self._initial_backoff
        failed_opens = 0
        while True:
            dialect = self._dialect if self._dialect.mode == "push" else None
            bus = PadBus(self.config, self._on_key, on_health=self._health, dialect=dialect, silent=self._silent,
                         answers=self._answers)
            try:
                await bus.open()
            except LineStalledError as exc:  # opened, but the line is still full: a failed open
                self._fault(str(exc), "stalled")
                failed_opens += 1
            except (OSError, ValueError) as exc:  # serial.SerialException is an OSError
                self._fault(f"cannot open: {exc}")
                failed_opens += 1
            else:
                self._bus = bus
                self.connects += 1
                backoff = self._initial_backoff
                failed_opens = 0
                self._recovered()
                self._health(bus.silent_addresses)
                lost = False
                try:
                    await bus.run()
                except LineStalledError as exc:
                    lost = True
                    self._fault(str(exc), "stalled")
                except BusClosedError as exc:
                    lost = True
                    self._fault(str(exc))
                finally:
                    # A lost line lets the hub's handler finish (it may have acted: its answer is
                    # the pad's, caller/answers.py); stop() cuts it off if it still runs then.
                    await bus.close(cut_off_handler=not lost)
                    handler = bus.running_handler
                    if handler is not None:
                        self._handlers.add(handler)
                        handler.add_done_callback(self._handlers.discard)
                    self._earlier, self._bus = self._earlier.plus(bus.counters()), None
            stalled = self._fault_kind == "stalled" and failed_opens < self._offline_after
            self._set_state(DeviceState.DEGRADED if stalled else DeviceState.OFFLINE, self._last_fault or "")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    def _health(self, silent: frozenset[int]) -> None:
        """A pad stopped or resumed answering: say so once per change, naming its window."""
        label, windows = self.config.label, self.config.windows
        for address in sorted(silent - self._silent):
            self._log.warning("pad bus %s: pad %d of window %s is not answering", label, address, windows.get(address))
        for address in sorted(self._silent - silent):
            self._log.info("pad bus %s: pad %d of window %s answers again", label, address, windows.get(address))
        self._silent = silent
        if silent:
            names = ", ".join(self._pad(address) for address in sorted(silent))
            self._set_state(DeviceState.DEGRADED, f"pads not answering: {names}")
        else:
            self._set_state(DeviceState.ONLINE, "")

    def _pad(self, address: int) -> str:
        """'4 (W04)': the address a technician finds on the pad, the window staff know it by."""
        return f"{address} ({self.config.windows.get(address, '?')})"

    def _fault(self, message: str, kind: str | None = None) -> None:
        """Log a new fault once; ``kind`` groups messages that are the same fault (a stall)."""
        kind = kind or message
        if kind != self._fault_kind:
            self._log.warning("pad bus %s: %s (retrying with back-off)", self.config.label, message)
            self._fault_kind = kind
        self._last_fault = message

    def _recovered(self) -> None:
        if self._last_fault is not None:
            self._log.info("pad bus %s: back online", self.config.label)
            self._last_fault = self._fault_kind = None

    def _set_state(self, state: DeviceState, detail: str) -> None:
        """Report a new state, or the same state for a new reason: a bus that never opened stays
        OFFLINE from the start, and its 'cannot open: …' must still reach the technician's status."""
        if state is self._state and detail == self._detail:
            return
        changed = state is not self._state
        self._state, self._detail = state, detail
        if self._on_state is not None:
            self._on_state(state, detail)
        if changed:
            asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._state_changed:
            self._state_changed.notify_all()
