"""Where announcements are heard: a pygame.mixer speaker, or nowhere (no sound device).

The announcer does not care which machine it runs on (hub or board PC): it is handed a
``Player``. Playing blocks until the clip has finished, so the announcer runs it on its own
worker thread and calls never overlap.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Player(Protocol):
    has_device: bool
    reason: str
    """Why there is no device (empty when there is one)."""

    def play(self, path: Path) -> None:
        """Play a WAV to the end; blocks."""

    def close(self) -> None: ...


@dataclass
class SilentPlayer:
    """Stands in when there is no sound device: the clip is still made, just not heard."""

    reason: str
    has_device: bool = False

    def play(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"clip to play is missing: {path}")

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
    try:
        import pygame

        if not pygame.mixer.get_init():
            pygame.mixer.init()
    except Exception as exc:  # pygame.error, or ImportError when pygame lacks SDL_mixer
        return SilentPlayer(reason=f"mixer init failed: {exc}")
    return PygamePlayer()
