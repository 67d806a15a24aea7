"""Facts about a WAV clip (length, loudness) from the stdlib alone.

The announcer records each clip's duration, the synthesizer refuses empty output, and tests
prove a clip is speech rather than silence; none of that should need numpy or audioop
(which Python 3.13 removes).
"""

from __future__ import annotations

import array
import math
import sys
import wave
from dataclasses import dataclass
from pathlib import Path


class BadWav(ValueError):
    """The file is not a readable 16-bit PCM WAV."""


@dataclass(frozen=True)
class WavInfo:
    path: Path
    channels: int
    sample_rate: int
    frames: int
    duration_s: float
    rms: float
    """Root mean square of the samples, as a fraction of full scale (0.0 silence … 1.0)."""


def wav_duration(path: Path) -> float:
    """Seconds of audio, from the header only (cheap enough for every announcement)."""
    try:
        with wave.open(str(path), "rb") as clip:
            rate = clip.getframerate()
            return clip.getnframes() / rate if rate else 0.0
    except (OSError, EOFError, wave.Error) as exc:
        raise BadWav(f"{path}: not a readable WAV ({exc})") from exc


def read_wav_info(path: Path) -> WavInfo:
    """Read the header and all samples of a 16-bit PCM WAV."""
    try:
        with wave.open(str(path), "rb") as clip:
            channels = clip.getnchannels()
            sample_rate = clip.getframerate()
            width = clip.getsampwidth()
            frames = clip.getnframes()
            raw = clip.readframes(frames)
    except (OSError, EOFError, wave.Error) as exc:
        raise BadWav(f"{path}: not a readable WAV ({exc})") from exc
    if width != 2:
        raise BadWav(f"{path}: expected 16-bit samples, got {8 * width}-bit")
    samples = array.array("h")
    samples.frombytes(raw[: len(raw) - len(raw) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768 if samples else 0.0
    duration = frames / sample_rate if sample_rate else 0.0
    return WavInfo(
        path=path, channels=channels, sample_rate=sample_rate, frames=frames, duration_s=duration, rms=rms
    )
