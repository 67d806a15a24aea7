"""Time sources for the engine.

The engine never reads the system clock directly: hours, caps and dwell times depend on "now",
and a hall's rules must be testable at 08:29, at the stop-issuing minute and across the lunch break.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""

    @property
    def rate(self) -> float:
        """Hall seconds that pass per real second: what a page needs to let a shown wait tick
        between two readings (0 for a clock that moves only when told to)."""


class SystemClock:
    rate = 1.0

    def now(self) -> float:
        return time.time()


@dataclass
class ManualClock:
    """A clock that moves only when told to: for tests, simulations and replays."""

    current: float
    rate = 0.0

    def now(self) -> float:
        return self.current

    def advance(self, seconds: float) -> float:
        self.current += seconds
        return self.current

    def set(self, epoch: float) -> None:
        self.current = epoch


@dataclass
class ScaledClock:
    """Hall time that runs `speed` times faster than real time from `start`: the demo's clock."""

    start: float
    speed: float
    _origin: float = 0.0

    def __post_init__(self) -> None:
        self._origin = time.monotonic()

    def now(self) -> float:
        return self.start + (time.monotonic() - self._origin) * self.speed

    @property
    def rate(self) -> float:
        return self.speed

    def real_seconds(self, hall_seconds: float) -> float:
        return hall_seconds / self.speed
