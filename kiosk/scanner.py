"""Telling a keyboard-wedge QR scanner from a person typing.

A USB scanner in keyboard mode "types" the code it read: many keystrokes a few milliseconds
apart, ending in Enter. A person types far slower. So a burst of at least ``min_length``
characters, each within ``max_gap_s`` of the previous one, followed by Enter, is a scan; anything
else is ordinary typing and is passed on untouched.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WedgeDetector:
    max_gap_s: float = 0.05
    min_length: int = 4
    _chars: list[str] = field(default_factory=list)
    _last_at: float | None = None

    def key(self, char: str, at: float) -> None:
        """A printable character arrived at time ``at`` (seconds, any monotonic clock)."""
        if self._last_at is not None and at - self._last_at > self.max_gap_s:
            self._chars.clear()
        self._chars.append(char)
        self._last_at = at

    def enter(self, at: float) -> str | None:
        """Enter arrived: the scanned code, or ``None`` if this was human typing."""
        fast = self._last_at is not None and at - self._last_at <= self.max_gap_s
        code = "".join(self._chars).strip()
        self._chars.clear()
        self._last_at = None
        return code if fast and len(code) >= self.min_length else None
