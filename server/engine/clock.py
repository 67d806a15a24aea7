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


class SystemClock:
    def now(self) -> float:
        return time.time()


@dataclass
class ManualClock:
    """A clock that moves only when told to: for tests, simulations and replays."""

    current: float

    def now(self) -> float:
        return self.current

    def advance(self, seconds: float) -> float:
        self.current += seconds
        return self.current

    def set(self, epoch: float) -> None:
        self.current = epoch
