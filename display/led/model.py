"""Boundary dataclasses: what the hub asks a screen to show and what a decoder saw.

These are the only types that cross between templates, codecs, the bus and the simulator, so
each codec stays a pure bytes<->dataclass translator.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from display.led.errors import EncodeError


class ScreenKind(str, enum.Enum):
    """Window screen (窗口屏, one window) or zone screen (综合屏, many calls)."""

    WINDOW = "window"
    ZONE = "zone"


class Command(str, enum.Enum):
    """What a decoded frame does to a screen."""

    TEXT = "text"
    BRIGHTNESS = "brightness"
    SET_ADDRESS = "set_address"


@dataclass(frozen=True)
class ScreenText:
    """Text for one screen address.

    lines: one entry per logical line; a single-line module gets them joined by the dialect's
    line separator. blink: False steady, True blink until replaced, an int N > 0 blink N times
    (dialects without blink ignore it). brightness: 0 (dim) … 3 (bright) or None to leave it
    (only dialects that have a brightness command use it).
    """

    lines: list[str] = field(default_factory=list)
    blink: bool | int = False
    brightness: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.lines, str):
            raise EncodeError("ScreenText.lines must be a list of str, not one str")
        if not all(isinstance(line, str) for line in self.lines):
            raise EncodeError(f"ScreenText.lines must hold str only: {self.lines!r}")
        if isinstance(self.blink, bool):
            pass
        elif not isinstance(self.blink, int) or self.blink < 0:
            raise EncodeError(f"blink must be a bool or a count >= 0, got {self.blink!r}")
        if self.brightness is not None and (
            isinstance(self.brightness, bool)
            or not isinstance(self.brightness, int)
            or not 0 <= self.brightness <= 3
        ):
            raise EncodeError(f"brightness must be 0..3 or None, got {self.brightness!r}")

    @classmethod
    def single(cls, text: str, blink: bool | int = False) -> "ScreenText":
        """One-line text: the usual window-screen case."""
        return cls(lines=[text], blink=blink)


@dataclass(frozen=True)
class DecodedFrame:
    """What one frame tells one address; produced by Codec.decode for the simulator and tests."""

    address: int
    command: Command
    text: str = ""
    blink: bool | int = False
    brightness: int | None = None
    new_address: int | None = None
    kind: ScreenKind | None = None
