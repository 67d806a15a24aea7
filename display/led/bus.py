"""Screen bus driver: the newest text of every screen on one serial bus, written in turn, paced.

An LED screen only needs its newest text, so the bus keeps at most one pending text per
address: a text posted while an older one for the same screen still waits replaces it in place.
The queue is therefore bounded by the number of screens, and a slow or stalled line can never
leave the screens showing calls minutes old once it moves again. Pending addresses are written
in the order they first became pending, so a busy screen cannot starve the others.

post() encodes at once (bad text fails the caller, nothing is queued) and returns a future that
resolves when the screen's newest text is written; it fails with BusClosedError if the link drops
or the bus closes, so no caller hangs on a dead screen. Every frame has a send deadline derived
from its wire time at the bus baud plus a margin; a line that misses it is dropped with a fault
the supervisor reports and reopens. The last text per address is kept and replayed when a link
opens again (screens forget after a power cut), so a text that failed while offline is not lost.
Counters describe the bus for the device page.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from display.led.codec import Codec
from display.led.errors import BusClosedError, BusOfflineError
from display.led.link import SerialLink, open_serial_link
from display.led.model import ScreenKind, ScreenText
from caller.serial_line import DRAIN_MARGIN_S



@dataclass
class _Pending:
    """The newest unwritten text of one screen and everyone waiting for it."""

    frames: list[bytes]
    future: asyncio.Future[None]
    since: float  # when the screen first had unwritten text: latency is measured from here


@dataclass(frozen=True)
class BusStats:
    """A snapshot of the bus counters; latency is show() to written, over recent shows."""

    frames: int
    bytes: int
    write_errors: int
    failed_shows: int
    queue_depth: int
    connected: bool
    latency_p50_s: float | None
    latency_p99_s: float | None
    latency_samples: int = field(default=0)


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


class ScreenBus:
    """Newest text per screen on one serial bus, written one frame at a time with the dialect's gap."""

    def __init__(
        self,
        codec: Codec,
        *,
        baud: int | None = None,
        kinds: Mapping[int, ScreenKind] | None = None,
        latency_window: int = 1024,
        drain_margin_s: float = DRAIN_MARGIN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.codec = codec
        self.baud = baud or codec.params.baud
        self.kinds = dict(kinds or {})
        self.drain_margin_s = drain_margin_s
        self._clock = clock
        self._pending: dict[int, _Pending] = {}  # insertion order = write order
        self._current: _Pending | None = None
        self._wakeup = asyncio.Event()
        self._link: SerialLink | None = None
        self._writer: asyncio.Task[None] | None = None
        self._next_write_at = 0.0
        self._closed = False
        self._dropped = False  # a link was lost or an open failed: post() fails fast until one opens
        self._last_shown: dict[int, list[bytes]] = {}
        self._line_takes_data: asyncio.Future[None] | None = None  # of the current link
        self._latencies: deque[float] = deque(maxlen=latency_window)
        self.frames_written = 0
        self.bytes_written = 0
        self.write_errors = 0
        self.failed_shows = 0

    # --- link management (the supervisor's open coroutine calls open()) -------------------
    async def open(self, url: str) -> SerialLink:
        """Open url, make it the bus's link and replay the last text of every screen.

        Returns once the line has taken the first frame, and raises why not otherwise: a port
        that opens but never drains (a hung adapter) is a failed open, not a link that comes
        online and drops again at every retry, so the supervisor backs off and goes offline.
        """
        if self._closed:
            raise BusClosedError("screen bus is closed")
        try:
            link = await open_serial_link(url, self.baud)
        except Exception as exc:  # whatever the port says, callers waiting for a first open must hear
            self._dropped = True
            self._fail_pending(BusOfflineError(f"could not open {url}: {exc}; kept for replay"))
            raise
        self.attach(link)
        if self._pending:
            assert self._line_takes_data is not None
            await asyncio.shield(self._line_takes_data)
        return link

    def attach(self, link: SerialLink) -> None:
        """Use an already open link (tests, or a link shared with another driver)."""
        self._link = link
        self._dropped = False
        loop = asyncio.get_running_loop()
        self._line_takes_data = loop.create_future()
        for address, frames in self._last_shown.items():
            if address not in self._pending:
                self._pending[address] = _Pending(frames, loop.create_future(), self._clock())
        self._ensure_writer()
        self._wakeup.set()
        loop.create_task(self._watch(link))

    async def _watch(self, link: SerialLink) -> None:
        reason = await link.wait_closed()
        if self._link is link:
            self._link = None
            self._dropped = True
            if self._line_takes_data is not None and not self._line_takes_data.done():
                self._line_takes_data.set_exception(reason or BusClosedError(f"link {link.url} closed"))
                self._line_takes_data.exception()  # only open() may be waiting for it
            self._fail_pending(BusClosedError(f"link {link.url} lost: {reason or 'closed'}"))

    # --- the public API ------------------------------------------------------------------
    def post(self, address: int, text: ScreenText, kind: ScreenKind | None = None) -> asyncio.Future[None]:
        """Make text the newest for address; the future resolves when it (or a newer one) is written.

        Raises EncodeError for text the dialect cannot express and BusClosedError after close().
        Before the first open the text waits for the link (the hub posts every screen's state
        before its supervisor's first attempt: that is no failure). After a drop or a failed open
        the future fails with BusOfflineError at once, so nobody waits on a dead screen; the text
        is kept and shown on reconnect. It fails with BusClosedError if the link drops before
        the text is written.
        """
        frames = self._encode(address, text, kind)
        if self._closed:
            raise BusClosedError("screen bus is closed")
        self._last_shown[address] = frames
        loop = asyncio.get_running_loop()
        if self._link is None and self._dropped:
            self.failed_shows += 1
            offline: asyncio.Future[None] = loop.create_future()
            offline.set_exception(
                BusOfflineError(f"no link to the screen bus; address {address} will be shown on reconnect"))
            return offline
        pending = self._pending.get(address)
        if pending is None:
            pending = self._pending[address] = _Pending(frames, loop.create_future(), self._clock())
        else:
            pending.frames = frames  # the older text never reaches the screen: it is out of date
        self._ensure_writer()
        self._wakeup.set()
        return pending.future

    async def show(self, address: int, text: ScreenText, kind: ScreenKind | None = None) -> None:
        """post() and wait: returns when written, raises BusClosedError if it was not."""
        await asyncio.shield(self.post(address, text, kind))

    async def close(self) -> None:
        """Fail everything pending, stop the writer and close the link."""
        self._closed = True
        self._fail_pending(BusClosedError("screen bus closed"))
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        if self._link is not None:
            self._link.close()
            self._link = None

    def stats(self) -> BusStats:
        ordered = sorted(self._latencies)
        return BusStats(
            frames=self.frames_written,
            bytes=self.bytes_written,
            write_errors=self.write_errors,
            failed_shows=self.failed_shows,
            queue_depth=len(self._pending) + (1 if self._current else 0),
            connected=self._link is not None,
            latency_p50_s=statistics.median(ordered) if ordered else None,
            latency_p99_s=_percentile(ordered, 0.99) if ordered else None,
            latency_samples=len(ordered),
        )

    # --- internals -----------------------------------------------------------------------
    def _encode(self, address: int, text: ScreenText, kind: ScreenKind | None = None) -> list[bytes]:
        return self.codec.encode(address, text, kind or self.kinds.get(address, ScreenKind.WINDOW))

    def _ensure_writer(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_loop(), name="screen bus writer")

    def _fail_pending(self, error: BusClosedError) -> None:
        pendings = ([self._current] if self._current else []) + list(self._pending.values())
        self._pending.clear()
        self._current = None
        for pending in pendings:
            self._finish(pending, error)

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending and self._link is not None:
                address = next(iter(self._pending))
                pending = self._current = self._pending.pop(address)
                try:
                    await self._write_frames(pending, self._link)
                except BusClosedError as exc:
                    self._finish(pending, exc)
                except OSError as exc:  # a driver error on write: count, fail the caller
                    self.write_errors += 1
                    self._finish(pending, BusClosedError(f"write failed: {exc}"))
                else:
                    self._latencies.append(self._clock() - pending.since)
                    self._finish(pending, None)
                if self._current is pending:
                    self._current = None

    async def _write_frames(self, pending: _Pending, link: SerialLink) -> None:
        for frame in pending.frames:
            delay = self._next_write_at - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._current is not pending or self._link is not link:  # failed by a link loss or close
                raise BusOfflineError("link lost before the frame was written")
            try:
                await link.send(frame, self.codec.wire_seconds(frame, self.baud) + self.drain_margin_s)
            except BusClosedError:
                self.write_errors += 1
                raise
            if self._link is link and self._line_takes_data is not None and not self._line_takes_data.done():
                self._line_takes_data.set_result(None)
            self.frames_written += 1
            self.bytes_written += len(frame)
            self._next_write_at = self._clock() + self.codec.gap_after(frame, self.baud)

    def _finish(self, pending: _Pending, error: BusClosedError | None) -> None:
        if pending.future.done():
            return
        if error is None:
            pending.future.set_result(None)
        else:
            self.failed_shows += 1
            pending.future.set_exception(error)
            pending.future.exception()  # replayed later; nobody need be waiting to hear of it
