"""Screen bus driver: one FIFO of frames per serial bus, paced for the dialect.

show() encodes at once (bad text fails the caller, nothing is queued), queues the frames and
returns when they are written; its future fails with BusClosedError if the link drops or the
bus closes, so no caller hangs on a dead screen. The last text per address is kept and
replayed when a link opens again (screens forget after a power cut), so a show() that failed
while offline is not lost. Counters describe the bus for the device page.
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


@dataclass
class _Job:
    address: int
    frames: list[bytes]
    future: asyncio.Future[None] | None
    enqueued_at: float


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
    """Frames for all screens on one serial bus, written one at a time with the dialect's gap."""

    def __init__(
        self,
        codec: Codec,
        *,
        baud: int | None = None,
        kinds: Mapping[int, ScreenKind] | None = None,
        latency_window: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.codec = codec
        self.baud = baud or codec.params.baud
        self.kinds = dict(kinds or {})
        self._clock = clock
        self._queue: deque[_Job] = deque()
        self._current: _Job | None = None
        self._wakeup = asyncio.Event()
        self._link: SerialLink | None = None
        self._writer: asyncio.Task[None] | None = None
        self._next_write_at = 0.0
        self._closed = False
        self._last_shown: dict[int, ScreenText] = {}
        self._latencies: deque[float] = deque(maxlen=latency_window)
        self.frames_written = 0
        self.bytes_written = 0
        self.write_errors = 0
        self.failed_shows = 0

    # --- link management (the supervisor's open coroutine calls open()) -------------------
    async def open(self, url: str) -> SerialLink:
        """Open url, make it the bus's link and replay the last text of every screen."""
        if self._closed:
            raise BusClosedError("screen bus is closed")
        link = await open_serial_link(url, self.baud)
        self.attach(link)
        return link

    def attach(self, link: SerialLink) -> None:
        """Use an already open link (tests, or a link shared with another driver)."""
        self._link = link
        self._ensure_writer()
        for address, text in self._last_shown.items():
            self._enqueue(address, self._encode(address, text), None)
        asyncio.get_running_loop().create_task(self._watch(link))

    async def _watch(self, link: SerialLink) -> None:
        reason = await link.wait_closed()
        if self._link is link:
            self._link = None
            self._fail_pending(BusClosedError(f"link {link.url} lost: {reason or 'closed'}"))

    # --- the public API ------------------------------------------------------------------
    async def show(self, address: int, text: ScreenText, kind: ScreenKind | None = None) -> None:
        """Show text at address; returns when written, raises BusClosedError if it was not."""
        frames = self._encode(address, text, kind)
        if self._closed:
            raise BusClosedError("screen bus is closed")
        self._last_shown[address] = text
        if self._link is None:
            self.failed_shows += 1
            raise BusOfflineError(f"no link to the screen bus; address {address} will be shown on reconnect")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._enqueue(address, frames, future)
        await future

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
            queue_depth=len(self._queue) + (1 if self._current else 0),
            connected=self._link is not None,
            latency_p50_s=statistics.median(ordered) if ordered else None,
            latency_p99_s=_percentile(ordered, 0.99) if ordered else None,
            latency_samples=len(ordered),
        )

    # --- internals -----------------------------------------------------------------------
    def _encode(self, address: int, text: ScreenText, kind: ScreenKind | None = None) -> list[bytes]:
        return self.codec.encode(address, text, kind or self.kinds.get(address, ScreenKind.WINDOW))

    def _enqueue(self, address: int, frames: list[bytes], future: asyncio.Future[None] | None) -> None:
        self._queue.append(_Job(address, frames, future, self._clock()))
        self._ensure_writer()
        self._wakeup.set()

    def _ensure_writer(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_loop(), name="screen bus writer")

    def _fail_pending(self, error: BusClosedError) -> None:
        jobs = ([self._current] if self._current else []) + list(self._queue)
        self._queue.clear()
        self._current = None
        for job in jobs:
            if job.future is not None and not job.future.done():
                self.failed_shows += 1
                job.future.set_exception(error)

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                job = self._current = self._queue.popleft()
                try:
                    await self._write_job(job)
                except BusClosedError as exc:
                    self._finish(job, exc)
                except OSError as exc:  # a driver error on write: count, fail the caller
                    self.write_errors += 1
                    self._finish(job, BusClosedError(f"write failed: {exc}"))
                else:
                    self._latencies.append(self._clock() - job.enqueued_at)
                    self._finish(job, None)
                if self._current is job:
                    self._current = None

    async def _write_job(self, job: _Job) -> None:
        for frame in job.frames:
            delay = self._next_write_at - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._current is not job:  # failed by a link loss or close while waiting
                return
            link = self._link
            if link is None:
                raise BusOfflineError("link lost before the frame was written")
            try:
                link.write(frame)
            except BusClosedError:
                self.write_errors += 1
                raise
            await link.drain()
            self.frames_written += 1
            self.bytes_written += len(frame)
            self._next_write_at = self._clock() + self.codec.gap_after(frame, self.baud)

    def _finish(self, job: _Job, error: BusClosedError | None) -> None:
        if job.future is None or job.future.done():
            return
        if error is None:
            job.future.set_result(None)
        else:
            self.failed_shows += 1
            job.future.set_exception(error)
