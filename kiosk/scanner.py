"""Telling a keyboard-wedge scanner (QR codes, ID cards) from a person typing.

A USB scanner or ID card reader in keyboard mode "types" the code it read: many keystrokes a
few milliseconds apart, ending in Enter. A person types far slower. So a burst of at least
``min_length`` characters, each within ``max_gap_s`` of the previous one, followed by Enter, is
a scan; anything else is a person's typing.

Characters are held while they may still be a scan, and passed on as typing only once their
burst has ended without Enter (``max_gap_s`` later, too soon for a person to notice). Passing
them on at once put a card's 18 digits in the search box in clear, beside the masked number,
and the kiosk went back to that screen when the card had no booking.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WedgeDetector:
    max_gap_s: float = 0.05
    min_length: int = 4
    _held: list[str] = field(default_factory=list)
    _last_at: float | None = None

    def key(self, text: str, at: float) -> str:
        """Text arrived at time ``at`` (seconds, any monotonic clock) and is held; returns the
        text held before it if this does not continue its burst: a person's typing, to pass on."""
        typed = self.due(at)
        self._held.append(text)
        self._last_at = at
        return typed

    def due(self, at: float) -> str:
        """The held text if its burst has ended without Enter (a person's typing), else ""."""
        if self._last_at is not None and at - self._last_at > self.max_gap_s:
            return self.release()
        return ""

    def release(self) -> str:
        """Everything held, as typing: before a touch or Backspace acts on what was typed."""
        text = "".join(self._held)
        self._held.clear()
        self._last_at = None
        return text

    def enter(self, at: float) -> str | None:
        """Enter arrived: the scanned code, dropped from what is held (it was never typing), or
        ``None`` if this was a person's Enter (what they typed is still passed on)."""
        fast = self._last_at is not None and at - self._last_at <= self.max_gap_s
        code = "".join(self._held).strip()
        if not (fast and len(code) >= self.min_length):
            return None
        self._held.clear()
        self._last_at = None
        return code
