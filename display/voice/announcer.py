"""One zone's speaker: calls are spoken in the order they come, never overlapping, never lost.

The hub (or a board PC) creates one ``Announcer`` per zone, sharing one ``Synthesizer`` between
them, and feeds it ``ticket.called`` events as :class:`Call` values. Each announcement is:
make the words (at enqueue time, so bad input is refused to the caller at once), synthesize or
take the clip from cache on the synthesizer's worker, optionally chime, then play ``repeat``
times on this announcer's own playback thread. Back-office calls (``silent``) are recorded but
not spoken. Each finished announcement is an :class:`Announcement` in ``played`` (capped) and is
passed to listeners, so tests and benchmarks can see text, clip, duration and timing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from display.voice.playback import Player
from display.voice.synth import Synthesizer
from display.voice.text import SpeechRules, announcement_text
from display.voice.wavinfo import wav_duration

log = logging.getLogger(__name__)

MAX_REPEAT = 5


class AnnouncerClosed(RuntimeError):
    """The announcer was closed before this call could be spoken."""


@dataclass(frozen=True)
class Call:
    """What to announce. ``window`` is a window number or its spoken name."""

    number: str
    window: int | str
    zone: str = ""
    silent: bool = False
    repeat: int = 1
    chime: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.repeat, bool) or not 1 <= self.repeat <= MAX_REPEAT:
            raise ValueError(f"repeat must be 1..{MAX_REPEAT}, got {self.repeat!r}")


@dataclass
class Announcement:
    """One call's life in the announcer; times are ``time.monotonic()`` seconds."""

    call: Call
    text: str
    queued_at: float
    wav_path: Path | None = None
    duration_s: float = 0.0
    """Length of one spoken clip (without chime and repeats)."""
    started_at: float | None = None
    finished_at: float | None = None
    plays: int = 0
    spoken: bool = False
    error: str | None = None


@dataclass
class AnnouncerStats:
    queued: int = 0
    spoken: int = 0
    silent: int = 0
    failed: int = 0
    plays: int = 0


Listener = Callable[[Announcement], None]


class Announcer:
    """FIFO voice queue of one zone; async API, blocking work on worker threads."""

    def __init__(
        self,
        zone: str,
        synthesizer: Synthesizer,
        player: Player,
        rules: SpeechRules = SpeechRules(),
        chime_path: Path | None = None,
        gap_s: float = 0.6,
        history: int = 200,
    ) -> None:
        self.zone = zone
        self.rules = rules
        self.played: deque[Announcement] = deque(maxlen=history)
        self._synth = synthesizer
        self._player = player
        self._chime_path = chime_path
        self._gap_s = gap_s
        self._stats = AnnouncerStats()
        self._listeners: list[Listener] = []
        self._queue: asyncio.Queue[tuple[Announcement, asyncio.Future[Announcement]]] = asyncio.Queue()
        self._playback = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hallq-voice-{zone}")
        self._worker: asyncio.Task[None] | None = None
        self._closed = False

    # -- public API --------------------------------------------------------------------------

    @property
    def stats(self) -> AnnouncerStats:
        return replace(self._stats)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with each finished announcement; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def enqueue(self, call: Call) -> asyncio.Future[Announcement]:
        """Queue a call; the future resolves when it has been spoken (or skipped, or failed).

        Raises ``VoiceTextError`` at once for a call that cannot be worded: nothing is queued.
        Must be called on the event loop thread.
        """
        if self._closed:
            raise AnnouncerClosed(f"announcer of zone {self.zone!r} is closed")
        text = announcement_text(call.number, call.window, call.zone or self.zone, self.rules)
        loop = asyncio.get_running_loop()
        record = Announcement(call=call, text=text, queued_at=time.monotonic())
        done: asyncio.Future[Announcement] = loop.create_future()
        self._queue.put_nowait((record, done))
        self._stats.queued += 1
        if self._worker is None:
            self._worker = loop.create_task(self._run(), name=f"announcer-{self.zone}")
        return done

    async def announce(self, call: Call) -> Announcement:
        """Queue a call and wait until it has been handled."""
        return await self.enqueue(call)

    async def drain(self) -> None:
        """Wait until everything queued so far has been handled."""
        await self._queue.join()

    async def close(self, drain: bool = True) -> None:
        """Stop taking calls; by default finish the queue first. Pending calls fail otherwise."""
        self._closed = True
        if drain and self._worker is not None:
            await self.drain()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        while not self._queue.empty():
            record, done = self._queue.get_nowait()
            if not done.done():
                done.set_exception(AnnouncerClosed(f"not spoken, announcer closed: {record.text}"))
        self._playback.shutdown(wait=True)
        self._player.close()

    async def __aenter__(self) -> "Announcer":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- worker ------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            record, done = await self._queue.get()
            try:
                await self._handle(record)
            except asyncio.CancelledError:
                if not done.done():
                    done.set_exception(AnnouncerClosed(f"interrupted: {record.text}"))
                self._queue.task_done()
                raise
            except Exception as exc:  # one bad announcement must not stop the zone's speaker
                record.error = f"{type(exc).__name__}: {exc}"
                self._stats.failed += 1
                log.error("zone %s: announcement %r failed: %s", self.zone, record.text, record.error)
            record.finished_at = time.monotonic()
            self.played.append(record)
            if not done.done():
                done.set_result(record)
            self._notify(record)
            self._queue.task_done()  # last, so drain() returns with the record already visible

    async def _handle(self, record: Announcement) -> None:
        record.started_at = time.monotonic()
        call = record.call
        if call.silent:
            self._stats.silent += 1
            log.info("zone %s: back-office call, not spoken: %s", self.zone, record.text)
            return
        record.wav_path = await self._synth.async_synthesize(record.text)
        record.duration_s = wav_duration(record.wav_path)
        log.info("zone %s: announce %s (x%d)", self.zone, record.text, call.repeat)
        loop = asyncio.get_running_loop()
        if call.chime and self._chime_path is not None:
            await loop.run_in_executor(self._playback, self._player.play, self._chime_path)
        for index in range(call.repeat):
            if index and self._player.has_device:
                await asyncio.sleep(self._gap_s)
            await loop.run_in_executor(self._playback, self._player.play, record.wav_path)
            record.plays += 1
            self._stats.plays += 1
        record.spoken = True
        self._stats.spoken += 1

    def _notify(self, record: Announcement) -> None:
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:
                log.exception("zone %s: announcement listener failed", self.zone)
