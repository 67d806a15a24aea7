"""Offline Mandarin synthesis: pyttsx3 + bundled espeak-ng, one engine on one worker thread.

Why a dedicated thread: pyttsx3's engine is not thread-safe and ``runAndWait`` blocks; espeak-ng
itself is one instance per process. So every call into pyttsx3 happens on the same single worker
thread, and callers (the asyncio loop, benchmarks) only submit work to it. Create ONE
``Synthesizer`` per process and share it between the zones' announcers.

Why a cache: a hall repeats the same sentences all day (recalls, the same ticket/window pairs
across days), so clips are stored by content hash (text + voice + rate + volume + engine
version). A hit costs a ``stat`` and never touches the engine.

Two pyttsx3 2.99 quirks this module works around (see ``_open_engine``/``_render``):
- right after ``pyttsx3.init()`` the proxy is "busy", so the first ``runAndWait`` runs its own
  end-of-loop command before synthesis finishes and returns before the WAV is written. One empty
  ``runAndWait`` at start-up settles that state; afterwards ``runAndWait`` waits for the clip.
  (``runAndWait`` on an already settled engine with nothing queued never returns, so the
  settling is done only while ``isBusy()``.)
- errors raised by queued commands (e.g. an unknown voice) are swallowed into the engine's
  ``error`` notification; we subscribe to it and also read the voice/rate back to confirm them.
pyttsx3's espeak driver prints "Audio saved to …" on stdout for every clip (from espeak's own
thread): its prints are sent to this module's log instead (``_driver_print``), so a hub's console
shows the hall, not one line per clip.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from display.voice.espeak_bundle import SynthesisError, load_bundled_espeak, resolve_voice
from display.voice.wavinfo import BadWav, read_wav_info

log = logging.getLogger(__name__)

DEFAULT_VOICE = "cmn"
DEFAULT_FALLBACK_VOICES = ("cmn-latn-pinyin",)
DEFAULT_RATE = 160
"""espeak words per minute; 160 is a little slower than espeak's 175, for a big echoing hall."""
CACHE_MAX_BYTES = 256 * 1024 * 1024
"""The clip cache's size before its least recently used clips go (about 1,300 calls of ~190 KB).
Why a bound: every ticket number and window pair is a clip of its own, so a hall kept adding new
ones day after day (bench/soak.py: 130 MB a day at half the sample hall's volume, on the disk
that holds the hub's database); the numbers a hall calls every day stay, being used."""
_CLIP_NAME = re.compile(r"[0-9a-f]{32}\.wav")
CACHE_KEEP_SHARE = 0.75
"""What a pruning leaves of the bound, so the cache is not pruned again at the very next clip."""
CLIP_ROOM_BYTES = 2 * 1024 * 1024  # ~47 s of 22,050 Hz 16-bit mono: more than any hall sentence


def cache_problem(folder: Path) -> str | None:
    """Why clips could not be cached in `folder`, or None. Asked before a program starts speaking:
    the first call found it out as a traceback (`FileExistsError` for a file given as the folder)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing}: no permission to write there"
    return None


@dataclass(frozen=True)
class SynthConfig:
    cache_dir: Path
    voice: str = DEFAULT_VOICE
    fallback_voices: tuple[str, ...] = DEFAULT_FALLBACK_VOICES
    rate: int = DEFAULT_RATE
    volume: float = 1.0
    cache_max_bytes: int = CACHE_MAX_BYTES

    def __post_init__(self) -> None:
        if not 80 <= self.rate <= 450:
            raise ValueError(f"rate must be 80..450 words per minute, got {self.rate}")
        if not 0 < self.volume <= 1:
            raise ValueError(f"volume must be in (0, 1], got {self.volume}")


@dataclass
class SynthStats:
    """Counters since start; ``synthesized`` excludes cache hits."""

    hits: int = 0
    synthesized: int = 0
    failures: int = 0


@dataclass
class _Engine:
    engine: Any
    voice_id: str
    version: str
    errors: list[BaseException] = field(default_factory=list)
    token: Any = None
    library: Any = None


class Synthesizer:
    """Text → WAV path, cached; all pyttsx3 work on one private worker thread."""

    def __init__(self, config: SynthConfig) -> None:
        self.config = config
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hallq-tts")
        self._lock = threading.Lock()
        self._stats = SynthStats()
        self._engine: _Engine | None = None
        self._closed = False
        self._cache_bytes: int | None = None  # the cache's size, counted at the first new clip

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Open the engine (on the worker) if not yet open; raises SynthesisError if impossible."""
        if self._closed:
            raise SynthesisError("synthesizer is closed")
        if self._engine is None:
            self._executor.submit(self._ensure_engine).result()

    async def async_start(self) -> None:
        if self._closed:
            raise SynthesisError("synthesizer is closed")
        await asyncio.wrap_future(self._executor.submit(self._ensure_engine))

    def close(self) -> None:
        """Release the engine on its own thread and stop the worker; clips stay in the cache."""
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._drop_engine)
        self._executor.shutdown(wait=True)

    def __enter__(self) -> "Synthesizer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API --------------------------------------------------------------------------

    @property
    def voice_id(self) -> str:
        """The espeak voice actually used (after fallbacks), e.g. ``sit/cmn``."""
        self.start()
        assert self._engine is not None
        return self._engine.voice_id

    @property
    def ready(self) -> bool:
        """Whether the engine is open (it failed to start, or was never started, otherwise); never
        starts it, so a health check can ask without waiting."""
        return self._engine is not None and not self._closed

    @property
    def engine_version(self) -> str:
        self.start()
        assert self._engine is not None
        return self._engine.version

    @property
    def stats(self) -> SynthStats:
        with self._lock:
            return replace(self._stats)

    def cache_path(self, text: str) -> Path:
        """Where the clip for ``text`` lives (whether or not it exists yet)."""
        key = json.dumps(
            [self.engine_version, self.voice_id, self.config.rate, self.config.volume, text],
            ensure_ascii=False,
        )
        return self.config.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.wav"

    def synthesize(self, text: str) -> Path:
        """Blocking: the WAV for ``text``, from cache or freshly synthesized on the worker."""
        text = _checked(text)
        path = self.cache_path(text)
        if path.is_file():
            self._hit(path)
            return path
        return self._executor.submit(self._render, text, path).result()

    async def async_synthesize(self, text: str) -> Path:
        """Loop-friendly :meth:`synthesize`: the loop never blocks on the engine."""
        text = _checked(text)
        if self._engine is None:
            await self.async_start()
        path = self.cache_path(text)
        if path.is_file():
            self._hit(path)
            return path
        return await asyncio.wrap_future(self._executor.submit(self._render, text, path))

    # -- worker thread only ------------------------------------------------------------------

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self._stats, name, getattr(self._stats, name) + 1)

    def _hit(self, path: Path) -> None:
        """A clip used again: its access time says so (the mtime stays when it was written), so
        pruning keeps the sentences a hall says every day."""
        self._count("hits")
        with contextlib.suppress(OSError):  # pruned by another process sharing the folder
            os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))

    def _keep_cache_bounded(self, added: Path) -> None:
        """Worker thread, after a new clip: past `cache_max_bytes`, the least recently used clips
        go until the cache is down to CACHE_KEEP_SHARE of it (never the clip just made, which its
        caller is about to play). The folder is read only to count it once and to prune."""
        if self._cache_bytes is None:
            self._cache_bytes = sum(size for _, size, _ in _clips(self.config.cache_dir))
        else:
            self._cache_bytes += added.stat().st_size
        if self._cache_bytes <= self.config.cache_max_bytes:
            return
        clips = sorted(_clips(self.config.cache_dir))
        total = sum(size for _, size, _ in clips)
        keep = int(self.config.cache_max_bytes * CACHE_KEEP_SHARE)
        for _, size, clip in clips:
            if total <= keep:
                break
            if clip != added:
                clip.unlink(missing_ok=True)
                total -= size
        log.info("voice clip cache pruned to %.0f MB (bound %.0f MB)", total / 2**20, self.config.cache_max_bytes / 2**20)
        self._cache_bytes = total

    def _ensure_engine(self) -> None:
        if self._engine is None:
            self._engine = self._open_engine()

    def _drop_engine(self) -> None:
        if self._engine is not None and self._engine.token is not None:
            self._engine.engine.disconnect(self._engine.token)
        self._engine = None

    def _open_engine(self) -> _Engine:
        bundle = load_bundled_espeak()
        try:
            import pyttsx3

            engine = pyttsx3.init("espeak")
            from pyttsx3.drivers import espeak as espeak_driver
        except (ImportError, RuntimeError, OSError) as exc:
            raise SynthesisError(f"pyttsx3 cannot start its espeak driver: {exc}") from exc
        setattr(espeak_driver, "print", _driver_print)  # its module's name `print` now means ours
        state = _Engine(engine=engine, voice_id="", version=bundle.version, library=bundle.library)
        state.token = engine.connect(
            "error", lambda name=None, exception=None: state.errors.append(exception)
        )
        # The driver's constructor queued its default rate/volume on espeak's FIFO; let them apply,
        # or the settling runAndWait() below sees espeak "playing", cancels, and leaves the driver
        # flagged as stopping, which then cancels our first real clip (a silent WAV).
        bundle.library.espeak_Synchronize()
        if engine.isBusy():
            # A fresh engine starts "busy": settle it (see module docstring). pyttsx3.init() may
            # also hand back the engine a closed Synthesizer left alive; that one is idle, and
            # runAndWait() on an idle engine with nothing to say would never return.
            engine.runAndWait()
        state.voice_id = resolve_voice(
            engine.getProperty("voices"), self.config.voice, self.config.fallback_voices
        )
        if state.voice_id.rsplit("/", 1)[-1] != self.config.voice.lower():
            log.warning("voice %r not in espeak-ng %s; using %r", self.config.voice, bundle.version, state.voice_id)
        self.config.cache_dir.mkdir(parents=True, exist_ok=True)
        log.info("speech engine ready: espeak-ng %s, voice %s, rate %d", bundle.version, state.voice_id, self.config.rate)
        return state

    def _render(self, text: str, path: Path) -> Path:
        if path.is_file():  # another request rendered it while this one waited
            self._count("hits")
            return path
        self._ensure_engine()
        state = self._engine
        assert state is not None
        partial = path.with_suffix(f".{os.getpid()}.part.wav")
        try:
            _make_room(partial)
            self._speak_to_file(state, text, partial)
            info = read_wav_info(partial)
            if info.frames == 0 or info.rms == 0.0:
                raise SynthesisError("espeak-ng produced only silence (nothing speakable?)")
            os.replace(partial, path)
        except (SynthesisError, BadWav) as exc:
            self._count("failures")
            partial.unlink(missing_ok=True)
            raise SynthesisError(f"cannot synthesize {text!r}: {exc}") from exc
        self._count("synthesized")
        self._keep_cache_bounded(path)
        return path

    def _speak_to_file(self, state: _Engine, text: str, target: Path) -> None:
        engine = state.engine
        state.errors.clear()
        engine.setProperty("voice", state.voice_id)
        engine.setProperty("rate", self.config.rate)
        engine.setProperty("volume", self.config.volume)
        if state.errors:
            raise SynthesisError(f"engine refused settings: {state.errors[0]}")
        if engine.getProperty("voice") != state.voice_id.lower():
            raise SynthesisError(f"engine did not switch to voice {state.voice_id}")
        # espeak-ng runs asynchronously (pyttsx3 starts it so): SetParameter only queues the change
        # on espeak's command FIFO. runAndWait() then calls the driver's stop(), which cancels
        # everything still queued while espeak "is playing" - the new rate would be silently lost
        # now and then. Wait for the FIFO to apply it, then read it back.
        state.library.espeak_Synchronize()
        if engine.getProperty("rate") != self.config.rate:
            raise SynthesisError(f"engine did not accept rate {self.config.rate}")
        engine.save_to_file(text, str(target))
        engine.runAndWait()
        if state.errors:
            raise SynthesisError(str(state.errors[0]))
        if not target.is_file():
            raise SynthesisError("engine returned without writing the clip")


def _make_room(partial: Path) -> None:
    """Refuse a clip there is no room for, before the engine writes it. pyttsx3 writes the WAV in
    espeak's callback and swallows a failed write there, and its runAndWait() then never returns:
    one moment of full disk left the worker stuck for good, no call announced in any zone, and the
    hub deaf to SIGTERM. The room is taken (posix_fallocate) and handed back as the WAV is written."""
    try:
        with open(partial, "wb") as reserved:
            os.posix_fallocate(reserved.fileno(), 0, CLIP_ROOM_BYTES)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise SynthesisError(f"no room for a clip in {partial.parent}: {exc.strerror or exc}") from exc


def installed_voices() -> tuple[str, list[Any]]:
    """(espeak-ng version, the voices pyttsx3 offers on this machine), to check a configured voice
    name before a hall depends on it (`hallq check-config`). Opens pyttsx3's espeak engine (about
    0.1 s): call it where no Synthesizer is working in the process, as the engine is one per
    process and not thread-safe. Raises SynthesisError when the engine cannot start."""
    bundle = load_bundled_espeak()
    try:
        import pyttsx3

        engine = pyttsx3.init("espeak")
    except (ImportError, RuntimeError, OSError) as exc:
        raise SynthesisError(f"pyttsx3 cannot start its espeak driver: {exc}") from exc
    return bundle.version, list(engine.getProperty("voices"))


def _driver_print(*parts: object, **_: object) -> None:
    """What pyttsx3's espeak driver prints, logged: its "Audio saved to …" at DEBUG, anything
    else it has to say (a playback error) as a warning."""
    message = " ".join(str(part) for part in parts)
    log.log(logging.DEBUG if message.startswith("Audio saved to ") else logging.WARNING, "pyttsx3: %s", message)


def _clips(folder: Path) -> list[tuple[int, int, Path]]:
    """(last use in ns, size, path) of every clip this synthesizer made (named by `cache_path`):
    not the .part files being written, nor what others keep in the folder (the chime, made once
    at start and played before every call, would be the oldest file and go first)."""
    found = []
    for clip in folder.glob("*.wav"):
        if not _CLIP_NAME.fullmatch(clip.name):
            continue
        with contextlib.suppress(FileNotFoundError):
            info = clip.stat()
            found.append((info.st_atime_ns, info.st_size, clip))
    return found


def _checked(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"nothing to say: {text!r}")
    return text.strip()
