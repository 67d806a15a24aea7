"""Where announcements are heard: a pygame.mixer speaker, or nowhere (no sound device).

The announcer does not care which machine it runs on (hub or board PC): it is handed a
``Player``. Playing blocks until the clip has finished, so the announcer runs it on its own
worker thread and calls never overlap. One player serves every zone of a process (the mixer is
the process's anyway).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class Player(Protocol):
    has_device: bool
    reason: str
    """Why there is no device (empty when there is one)."""

    def play(self, path: Path) -> None:
        """Play a WAV to the end; blocks."""

    def close(self) -> None: ...


@dataclass
class SilentPlayer:
    """Stands in when there is no sound device: the clip is still made, just not heard. Says so
    once, at the first clip: the technician learns why the hall is quiet, and the log is not
    filled with it (one player serves every zone of a process)."""

    reason: str
    has_device: bool = False
    _told: bool = field(default=False, repr=False)
    _telling: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def play(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"clip to play is missing: {path}")
        with self._telling:  # zones play on their own threads
            if not self._told:
                self._told = True
                log.warning("no sound device (%s): announcements are synthesized and logged only", self.reason)

    def close(self) -> None:
        return None


class PygamePlayer:
    """Plays through ``pygame.mixer``, which must already be initialised (see :func:`open_player`)."""

    has_device = True
    reason = ""

    def __init__(self, poll_s: float = 0.01) -> None:
        self._poll_s = poll_s

    def play(self, path: Path) -> None:
        import pygame

        sound = pygame.mixer.Sound(str(path))
        channel = sound.play()
        if channel is None:  # every channel busy: wait for the sound's length instead
            time.sleep(sound.get_length())
            return
        while channel.get_busy():
            time.sleep(self._poll_s)

    def close(self) -> None:
        """Leave the mixer running: other zones' players in this process may share it."""
        return None


def open_player() -> Player:
    """A mixer-backed player if this machine has a sound device, else a :class:`SilentPlayer`.

    ``SDL_AUDIODRIVER=dummy`` counts as no device: SDL would accept the sound and play it to
    nowhere in real time.
    """
    if os.environ.get("SDL_AUDIODRIVER", "").lower() == "dummy":
        return SilentPlayer(reason="SDL_AUDIODRIVER=dummy")
    missing = missing_sound_device()
    if missing:
        return SilentPlayer(reason=missing)
    try:
        import pygame

        if not pygame.mixer.get_init():
            pygame.mixer.init()
    except Exception as exc:  # pygame.error, or ImportError when pygame lacks SDL_mixer
        return SilentPlayer(reason=f"mixer init failed: {exc}")
    return PygamePlayer()


def missing_sound_device(proc: Path = Path("/proc"), run: Path = Path("/run"),
                         env: Mapping[str, str] = os.environ) -> str:
    """Why this Linux machine cannot have a sound device, or "" if it may have one.

    Asked before the mixer, because on a machine without one (a hub in a server room, a
    container) every attempt makes libasound print a page of errors on stderr, which reads like a
    fault. No card in /proc/asound and no PulseAudio or PipeWire server to play through means no
    device; anything else is left to the mixer to find out. An explicit SDL_AUDIODRIVER or
    PULSE_SERVER is the technician's word: the mixer is asked.
    """
    if not sys.platform.startswith("linux") or env.get("SDL_AUDIODRIVER") or env.get("PULSE_SERVER"):
        return ""
    cards = proc / "asound" / "cards"
    try:
        listed = cards.read_text(encoding="utf-8", errors="replace")
    except OSError:
        listed = ""
    if listed.strip() and "no soundcards" not in listed:
        return ""
    runtime = env.get("XDG_RUNTIME_DIR")
    servers = [run / "pulse" / "native"] + ([Path(runtime) / "pulse" / "native", Path(runtime) / "pipewire-0"] if runtime else [])
    if any(server.exists() for server in servers):
        return ""
    return f"no sound card in {cards} and no sound server running"
