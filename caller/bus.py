"""One serial bus of call-pads on asyncio: frames in, PadKeyEvents out, displays written back.

Why this shape (ARCHITECTURE.md examples 5, 6, 8): the dialect does the bytes, pyserial's URL
handlers do the transport (``/dev/ttyUSB0``, ``socket://``, ``rfc2217://``, a pty path), and every
``show()`` returns a future that is resolved only when the pad has the text (or it was written,
for dialects without acknowledgement) and fails when the bus closes, so the hub never hangs on
a dead device. Push dialects are listened to; polled dialects are scanned address by address.

Every byte goes out through one outbox, written in order by one task that never blocks the event
loop on a full line and gives each frame a deadline (its wire time at the baud plus
``drain_margin_s``, see caller/serial_line.py): a line that stops taking data (a hung bus converter, flow
control held off) is dropped with a LineStalledError the supervisor reports, instead of freezing
the hub in pyserial's busy retry or waiting for ever while the bus looks online.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import logging
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import serial
import serial_asyncio_fast

from caller.actions import PadDisplay, PadKeyEvent
from caller.answers import AnsweredRequests
from caller.dialects import Dialect, Frame, make_dialect
from caller.dialects.base import NO_REQUEST, check_address
from caller.errors import (
    BusClosedError, CallerError, DisplayNotConfirmed, InvalidPadValue, LineStalledError, PortInUse,
)
from caller.serial_line import DRAIN_MARGIN_S, send_deadline, send_within, stalled_message, wait_for_room

KeyCallback = Callable[[PadKeyEvent], Awaitable[None]]
HealthCallback = Callable[[frozenset[int]], None]
LOG = logging.getLogger(__name__)
NOISE_WARN_BYTES = 512
"""Bytes without a frame before the log says so: a pad's frames are 10-40 bytes, so this is
dozens of frames' worth, not one damaged frame."""


@dataclass(frozen=True)
class BusConfig:
    """One bus as the technician configures it (docs/callpads.md lists the keys).

    ``windows`` maps pad address -> window id; a polled bus scans exactly these addresses.
    """

    url: str
    dialect: str
    windows: Mapping[int, str]
    baudrate: int = 9600
    dialect_params: Mapping[str, Any] = field(default_factory=dict)
    poll_timeout: float = 0.05
    scan_pause: float = 0.08
    ack_timeout: float = 0.2
    display_attempts: int = 3
    silent_after: int = 3
    name: str = ""
    drain_margin_s: float = DRAIN_MARGIN_S  # a frame's wire time plus this, or the line counts as stalled

    def __post_init__(self) -> None:
        if not self.windows:
            raise InvalidPadValue(f"bus {self.label}: the address -> window table is empty")
        if self.display_attempts < 1 or self.poll_timeout <= 0 or self.ack_timeout <= 0 or self.drain_margin_s <= 0:
            raise InvalidPadValue(f"bus {self.label}: attempts and timeouts must be positive")

    @property
    def label(self) -> str:
        return self.name or self.url


@dataclass(frozen=True)
class BusCounters:
    """A snapshot of one bus's health figures (monotonic since the bus was opened)."""

    bytes_in: int = 0
    bytes_out: int = 0
    frames: int = 0
    bad_frames: int = 0
    garbage_bytes: int = 0
    events: int = 0
    unknown_address: int = 0
    callback_errors: int = 0
    polls: int = 0
    timeouts: int = 0
    retries: int = 0
    displays: int = 0
    displays_failed: int = 0
    repeats_answered: int = 0  # a polled pad's request repeated after it was acted on: answered again, not acted on
    round_trip_p50_ms: float | None = None
    round_trip_p99_ms: float | None = None

    def plus(self, later: BusCounters) -> BusCounters:
        """These counts and a later connection's, summed: the technician's figures outlive a replug.

        Round trips are a recent window, not a count: the later connection's when it has any.
        """
        summed: dict[str, Any] = {
            f.name: getattr(self, f.name) + getattr(later, f.name)
            for f in fields(self) if not f.name.startswith("round_trip")
        }
        recent = later if later.round_trip_p50_ms is not None else self
        return BusCounters(
            **summed, round_trip_p50_ms=recent.round_trip_p50_ms, round_trip_p99_ms=recent.round_trip_p99_ms
        )


@dataclass
class _Pending:
    address: int
    display: PadDisplay
    future: asyncio.Future[None]


@dataclass
class _Inflight:
    address: int
    display: PadDisplay
    seq: int
    future: asyncio.Future[bool]


class _SerialProtocol(asyncio.Protocol):
    """Thin adapter: the transport calls in here, the bus does the work."""

    def __init__(self, bus: PadBus) -> None:
        self._bus = bus

    def data_received(self, data: bytes) -> None:
        self._bus._on_bytes(data)

    def pause_writing(self) -> None:
        self._bus._writable.clear()

    def resume_writing(self) -> None:
        self._bus._writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self._bus._on_lost(exc)


class PadBus:
    """Drive one bus. Use: ``await bus.open()``, then ``await bus.run()`` until it ends."""

    def __init__(
        self,
        config: BusConfig,
        on_key: KeyCallback,
        *,
        on_health: HealthCallback | None = None,
        dialect: Dialect | None = None,
        silent: frozenset[int] = frozenset(),
        answers: AnsweredRequests | None = None,
    ) -> None:
        """``silent``: pads known not to answer (from an earlier connection); they stay so until heard.
        ``answers``: what was acted on and answered for each pad, from earlier connections (caller/answers.py)."""
        self.config = config
        self.dialect = dialect or make_dialect(config.dialect, config.dialect_params)
        for address in config.windows:
            check_address(self.dialect, address)
        self._on_key = on_key
        self._on_health = on_health
        self._decoder = self.dialect.new_decoder()
        self._counts: collections.Counter[str] = collections.Counter()
        self._round_trips: collections.deque[float] = collections.deque(maxlen=2048)
        self._queue: collections.deque[_Pending] = collections.deque()
        self._wakeup = asyncio.Event()
        #: each event with the polled request it acts on (None: not a request), for its answer to be kept
        self._events: asyncio.Queue[tuple[PadKeyEvent, tuple[str, ...] | None]] = asyncio.Queue()
        self._answers = answers if answers is not None else AnsweredRequests()
        self._handler: asyncio.Task[None] | None = None  # the hub's handler of the event delivered last
        self._inflight: _Inflight | None = None
        self._poll_waiter: tuple[int, asyncio.Future[None]] | None = None
        self._seq: dict[int, int] = {}
        self._misses: dict[int, int] = {}
        self._silent = frozenset(silent)
        # A pad set to an address nobody configured was ACKed and ignored without a trace but a
        # count: the technician had no address to look for.
        self._unknown_told: set[int] = set()
        self._noise_mark = 0  # garbage bytes counted when the last frame came
        self._noise_told = False
        self._transport: asyncio.Transport | None = None
        self._outbox: collections.deque[tuple[bytes, asyncio.Future[None] | None]] = collections.deque()
        self._outbox_ready = asyncio.Event()
        self._writable = asyncio.Event()  # cleared while the OS has not taken all we wrote
        self._writable.set()
        self._lost: asyncio.Future[Exception | None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    # lifecycle ------------------------------------------------------------------------------
    async def open(self) -> None:
        """Open the port; raises PortInUse if another process has it, other serial errors (e.g. the
        device is unplugged) unchanged."""
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        try:
            # exclusive: a POSIX flock, so a second hub on the same machine cannot open the port too
            self._transport, _ = await serial_asyncio_fast.create_serial_connection(
                loop, lambda: _SerialProtocol(self), self.config.url, baudrate=self.config.baudrate, exclusive=True
            )
        except serial.SerialException as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise PortInUse(f"port {self.config.url} in use by another process (a second hub?)") from exc
            raise
        # High-water 0: any byte the OS did not take at once pauses us, so a send knows when it is out.
        self._transport.set_write_buffer_limits(high=0, low=0)
        await self._line_has_room()
        worker = self._scan_loop() if self.dialect.mode == "polled" else self._write_loop()
        self._tasks = [
            loop.create_task(worker), loop.create_task(self._dispatch_loop()), loop.create_task(self._send_loop()),
        ]

    async def _line_has_room(self) -> None:
        """A line still full from before (reopened while stalled) is a failed open, not a bus that
        comes online and drops again at its first write, so the supervisor backs off quietly."""
        assert self._transport is not None and self._lost is not None
        timeout = send_deadline(1, self.config.baudrate, self.config.drain_margin_s)
        try:
            async with asyncio.timeout(timeout):
                await wait_for_room(self._transport, self._lost)
        except TimeoutError:
            stalled = LineStalledError(stalled_message(self.config.url, None, timeout, self.config.baudrate))
            self._on_lost(stalled)
            await asyncio.shield(self._lost)
            raise stalled from None

    async def run(self) -> None:
        """Wait until the bus ends: returns after ``close()``, raises BusClosedError if it was lost."""
        if self._lost is None:
            raise BusClosedError(f"bus {self.config.label} was never opened")
        exc = await asyncio.shield(self._lost)
        if isinstance(exc, LineStalledError):
            raise exc
        if not self._closed:
            raise BusClosedError(f"bus {self.config.label} lost: {exc or 'end of file'}") from exc

    async def close(self, *, cut_off_handler: bool = True) -> None:
        """Stop, fail every pending display with BusClosedError, close the port. The hub's handler
        still running is cut off, unless the bus was lost (``cut_off_handler=False``): then it may
        have acted already, and its answer is the one for the pad's repeat (_dispatch_loop)."""
        self._closed = True
        self._shutdown(BusClosedError(f"bus {self.config.label} closed"))
        if cut_off_handler and self._handler is not None:
            self._handler.cancel()
        if self._lost is not None and not self._lost.done():
            await asyncio.shield(self._lost)

    @property
    def running_handler(self) -> asyncio.Task[None] | None:
        """The hub's handler of the last event, while it runs (it outlives a lost line)."""
        return self._handler if self._handler is not None and not self._handler.done() else None

    @property
    def is_open(self) -> bool:
        return self._transport is not None and not (self._lost is None or self._lost.done())

    def _on_lost(self, exc: Exception | None) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(exc)
        self._shutdown(BusClosedError(f"bus {self.config.label} lost: {exc or 'end of file'}"))

    def _shutdown(self, error: BusClosedError) -> None:
        for task in self._tasks:
            task.cancel()
        if self._inflight is not None and not self._inflight.future.done():
            self._inflight.future.set_exception(error)
            self._inflight.future.exception()  # its waiter is cancelled with the tasks: nobody else reads it
        while self._queue:
            pending = self._queue.popleft()
            if not pending.future.done():
                pending.future.set_exception(error)
        while self._outbox:
            _, sent = self._outbox.popleft()
            if sent is not None and not sent.done():
                sent.set_exception(error)
        if self._transport is not None and not self._transport.is_closing():
            # abort, not close: a graceful close flushes (tcdrain), which on a stalled line never
            # returns and would hold an executor thread for ever
            self._transport.abort()

    # public API -----------------------------------------------------------------------------
    def show(self, address: int, display: PadDisplay) -> asyncio.Future[None]:
        """Queue a display (first in, first out). The future resolves when the pad has it.

        It fails with BusClosedError when the bus closes or is lost, DisplayNotConfirmed when the
        pad never acknowledged, or the dialect's error when the display cannot be expressed.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            check_address(self.dialect, address)
            self.dialect.encode_display(address, display)  # validate now, not on the wire
        except CallerError as exc:
            future.set_exception(exc)
            return future
        self._answers.answered(address, display)  # a request's answer is kept, even if the line is gone
        if self._closed or not self.is_open:
            future.set_exception(BusClosedError(f"bus {self.config.label} is not open"))
            return future
        self._queue.append(_Pending(address, display, future))
        self._wakeup.set()
        return future

    def show_window(self, window_id: str, display: PadDisplay) -> asyncio.Future[None]:
        """``show`` by window id, via the address table."""
        for address, window in self.config.windows.items():
            if window == window_id:
                return self.show(address, display)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_exception(InvalidPadValue(f"bus {self.config.label} has no pad for window {window_id!r}"))
        return future

    @property
    def silent_addresses(self) -> frozenset[int]:
        """Pads that missed ``silent_after`` polls in a row (or never acknowledged a display)."""
        return self._silent

    def counters(self) -> BusCounters:
        stats = self._decoder.stats
        samples = sorted(self._round_trips)
        p50 = p99 = None
        if len(samples) >= 2:
            cuts = statistics.quantiles(samples, n=100, method="inclusive")
            p50, p99 = cuts[49] * 1000, cuts[98] * 1000
        elif samples:
            p50 = p99 = samples[0] * 1000
        return BusCounters(
            frames=stats.frames,
            bad_frames=stats.bad_frames,
            garbage_bytes=stats.garbage_bytes,
            round_trip_p50_ms=p50,
            round_trip_p99_ms=p99,
            **self._counts,
        )

    # receiving ------------------------------------------------------------------------------
    def _on_bytes(self, data: bytes) -> None:
        self._counts["bytes_in"] += len(data)
        frames = self._decoder.feed(data)
        for frame in frames:
            self._on_frame(frame)
        self._watch_noise(bool(frames))

    def _watch_noise(self, framed: bool) -> None:
        """Say once per connection when the line carries bytes but no frame: a wrong baud rate or
        dialect, or a noisy cable, left the bus 'online' with only a growing garbage count."""
        stats = self._decoder.stats
        if framed:
            self._noise_mark = stats.garbage_bytes
        elif not self._noise_told and stats.garbage_bytes - self._noise_mark >= NOISE_WARN_BYTES:
            self._noise_told = True
            LOG.warning("bus %s: %d bytes on the line without a single %s frame: check the baud rate (%d), the dialect "
                        "and the wiring", self.config.label, stats.garbage_bytes - self._noise_mark, self.dialect.name,
                        self.config.baudrate)

    def _on_frame(self, frame: Frame) -> None:
        self._heard(frame.address)
        inflight = self._inflight
        if inflight is not None and not inflight.future.done():
            verdict = self.dialect.confirms(frame, inflight.address, inflight.display, inflight.seq)
            if verdict is not None:
                inflight.future.set_result(verdict)
        waiter = self._poll_waiter
        replying = False  # the reply to the poll now waiting (not a late one)
        if waiter is not None and self.dialect.poll_reply_address(frame) == waiter[0] and not waiter[1].done():
            waiter[1].set_result(None)
            replying = True
        reply = self.dialect.reply_to(frame)
        if reply:
            self._write(reply)
        request = self.dialect.pending_request(frame)
        event = self.dialect.decode_frame(frame)  # even for a repeat: the codec keeps its memory of the pad
        if request is not None and self._answered_again(frame.address, request, replying):
            return
        if event is None:
            return
        window = self.config.windows.get(event.bus_address)
        if window is None:
            self._counts["unknown_address"] += 1
            if event.bus_address not in self._unknown_told:  # once per pad: a clerk keeps pressing
                self._unknown_told.add(event.bus_address)
                LOG.warning("bus %s: a key from pad address %d (0x%02X), which no window has in its pads table: "
                            "check the pad's address setting (DIP switches) or add it to the bus in devices.toml",
                            self.config.label, event.bus_address, event.bus_address)
            return
        self._counts["events"] += 1
        if request:
            self._answers.acted(event.bus_address, request)
        self._events.put_nowait((replace(event, window_id=window), request or None))

    def _answered_again(self, address: int, request: tuple[str, ...], replying: bool) -> bool:
        """True for a pad still reporting the request it was answered for: its answer was lost, and
        it is sent again instead of the request being acted on again (caller/answers.py).

        Sent only in reply to a poll with nothing queued for the pad: a late reply, or one to a poll
        written before the answer, is older than the answer and no sign that it was lost."""
        if request == NO_REQUEST:
            self._answers.left(address)
            return False
        if self._answers.in_hand(address, request):
            return True  # its handler still runs (begun on a line since dropped): held, not acted on twice
        answer = self._answers.answer_to(address, request)
        if not answer:
            return False
        if replying and not any(pending.address == address for pending in self._queue):
            self._counts["repeats_answered"] += 1
            for display in answer:
                self._write(self.dialect.encode_display(address, display, self._next_seq(address)))
        return True

    async def _dispatch_loop(self) -> None:
        """Deliver events one at a time, in order. A line lost mid-way does not cut the hub's
        handler off (shielded): the engine may have acted already, and its answer is the one to
        give the pad's repeat after the reconnect (caller/answers.py); close() does cut it off."""
        while True:
            event, request = await self._events.get()
            self._handler = asyncio.get_running_loop().create_task(self._handle(event, request))
            await asyncio.shield(self._handler)

    async def _handle(self, event: PadKeyEvent, request: tuple[str, ...] | None) -> None:
        """One event to the hub; a failing callback is logged, not fatal."""
        try:
            await self._on_key(event)
        except Exception:  # noqa: BLE001 - the hub's error must not stop the bus
            self._counts["callback_errors"] += 1
            LOG.exception("bus %s: key handler failed for %s", self.config.label, event)
        finally:
            if request:
                self._answers.handled(event.bus_address, request)

    # sending --------------------------------------------------------------------------------
    def _write(self, data: bytes) -> asyncio.Future[None]:
        """Queue bytes for the line; the future resolves when the OS has them (await it or not)."""
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sent.add_done_callback(_retrieve)
        if self._transport is None or self._transport.is_closing() or not self.is_open:
            sent.set_exception(BusClosedError(f"bus {self.config.label} is not open"))
            return sent
        self._outbox.append((data, sent))
        self._outbox_ready.set()
        return sent

    async def _send_loop(self) -> None:
        """Write the outbox in order, each frame within its deadline; a stalled line drops the bus."""
        assert self._transport is not None and self._lost is not None
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while self._outbox:
                data, sent = self._outbox[0]  # stays queued while on the wire, so close() can fail it
                timeout = send_deadline(len(data), self.config.baudrate, self.config.drain_margin_s)
                try:
                    taken = await send_within(self._transport, data, timeout, self._writable, self._lost)
                except TimeoutError:
                    self._on_lost(LineStalledError(
                        stalled_message(self.config.url, len(data), timeout, self.config.baudrate)))
                    return
                if not taken:
                    return  # lost meanwhile: _shutdown fails what is left
                self._outbox.popleft()
                self._counts["bytes_out"] += len(data)
                if sent is not None and not sent.done():
                    sent.set_result(None)

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self._flush_displays()

    async def _scan_loop(self) -> None:
        addresses = sorted(self.config.windows)
        while True:
            for address in addresses:
                await self._flush_displays()
                try:
                    await self._poll(address)
                except BusClosedError:
                    return  # the bus is gone: run() reports why
            try:
                await asyncio.wait_for(self._wakeup.wait(), self.config.scan_pause)
            except TimeoutError:
                pass
            self._wakeup.clear()

    async def _poll(self, address: int) -> bool:
        """One poll round trip; True if the pad answered within the timeout."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._poll_waiter = (address, future)
        self._counts["polls"] += 1
        started = time.perf_counter()
        await self._write(self.dialect.encode_poll(address))
        try:
            await asyncio.wait_for(future, self.config.poll_timeout)
        except TimeoutError:
            self._counts["timeouts"] += 1
            self._missed(address)
            return False
        finally:
            self._poll_waiter = None
        self._round_trips.append(time.perf_counter() - started)
        return True

    async def _flush_displays(self) -> None:
        while self._queue:
            pending = self._queue[0]  # stays queued while on the wire, so close() can fail it
            try:
                if not pending.future.done():  # done = cancelled by the caller
                    await self._transmit(pending.address, pending.display)
            except CallerError as exc:
                self._counts["displays_failed"] += 1
                if not pending.future.done():
                    pending.future.set_exception(exc)
            else:
                self._counts["displays"] += 1
                if not pending.future.done():
                    pending.future.set_result(None)
            finally:
                if self._queue and self._queue[0] is pending:
                    self._queue.popleft()

    async def _transmit(self, address: int, display: PadDisplay) -> None:
        if not self.dialect.needs_confirmation(display):
            await self._write(self.dialect.encode_display(address, display, self._next_seq(address)))
            return
        loop = asyncio.get_running_loop()
        for attempt in range(self.config.display_attempts):
            if attempt:
                self._counts["retries"] += 1
            seq = self._next_seq(address)
            inflight = _Inflight(address, display, seq, loop.create_future())
            self._inflight = inflight
            started = time.perf_counter()
            await self._write(self.dialect.encode_display(address, display, seq))
            if self.dialect.mode == "polled":
                await self._poll(address)  # the pad's status reply is the confirmation
            try:
                confirmed = await asyncio.wait_for(asyncio.shield(inflight.future), self.config.ack_timeout)
            except TimeoutError:
                self._counts["timeouts"] += 1
                confirmed = False
            finally:
                self._inflight = None
            if confirmed:
                if self.dialect.mode == "push":
                    self._round_trips.append(time.perf_counter() - started)
                return
        self._missed(address, self.config.silent_after)
        raise DisplayNotConfirmed(
            f"bus {self.config.label}: pad {address} did not confirm {display.kind.value} "
            f"after {self.config.display_attempts} attempts"
        )

    def _next_seq(self, address: int) -> int:
        seq = (self._seq.get(address, 0) + 1) & 0xFF
        self._seq[address] = seq
        return seq

    # health ---------------------------------------------------------------------------------
    def _missed(self, address: int, count: int = 1) -> None:
        self._misses[address] = self._misses.get(address, 0) + count
        if self._misses[address] >= self.config.silent_after:
            self._set_silent(self._silent | {address})

    def _heard(self, address: int) -> None:
        self._misses[address] = 0
        if address in self._silent:
            self._set_silent(self._silent - {address})

    def _set_silent(self, silent: frozenset[int]) -> None:
        if silent != self._silent:
            self._silent = silent
            if self._on_health is not None:
                self._on_health(silent)


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark a send's failure as seen: replies are fire and forget, the bus reports the loss itself."""
    if not future.cancelled():
        future.exception()
