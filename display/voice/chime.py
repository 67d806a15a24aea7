"""The two-tone chime (叮咚) played before a call, generated once with the stdlib.

A chime makes people look up before the number is spoken. It is generated rather than shipped
so there is no audio asset to license or lose, and so its tones and length are configuration.
"""

from __future__ import annotations

import array
import math
import os
import sys
import wave
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chime:
    """Tones as (frequency Hz, seconds); the defaults are a falling major third (E5 → C5)."""

    tones: tuple[tuple[float, float], ...] = ((659.25, 0.35), (523.25, 0.55))
    sample_rate: int = 22050
    volume: float = 0.5

    def __post_init__(self) -> None:
        if not self.tones or any(freq <= 0 or secs <= 0 for freq, secs in self.tones):
            raise ValueError(f"chime tones must be positive (Hz, seconds) pairs, got {self.tones}")
        if not 0 < self.volume <= 1:
            raise ValueError(f"chime volume must be in (0, 1], got {self.volume}")

    def file_name(self) -> str:
        """Name that changes whenever the sound would change, so a cached file is never stale."""
        key = "-".join(f"{freq:g}x{secs:g}" for freq, secs in self.tones)
        return f"chime-{key}-{self.sample_rate}-{self.volume:g}.wav"

    def samples(self) -> array.array:
        """16-bit mono samples: each tone with a bell-like exponential decay and a soft attack."""
        out = array.array("h")
        for freq, secs in self.tones:
            count = int(secs * self.sample_rate)
            attack = max(1, int(0.005 * self.sample_rate))
            for i in range(count):
                t = i / self.sample_rate
                envelope = min(1.0, i / attack) * math.exp(-3.0 * t / secs)
                out.append(int(32767 * self.volume * envelope * math.sin(2 * math.pi * freq * t)))
        if sys.byteorder == "big":
            out.byteswap()
        return out


def ensure_chime(directory: Path, chime: Chime = Chime()) -> Path:
    """Write the chime WAV into ``directory`` unless it is already there; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / chime.file_name()
    if path.is_file():
        return path
    partial = path.with_suffix(f".{os.getpid()}.part")
    with wave.open(str(partial), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(chime.sample_rate)
        clip.writeframes(chime.samples().tobytes())
    os.replace(partial, path)
    return path
