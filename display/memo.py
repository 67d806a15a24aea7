"""Results of drawing work kept from frame to frame, bounded: shared by the kiosk and the TV board.

Both draw 30 frames a second of screens that change a few times a minute; both measure the same
texts again and again. It lived in kiosk/widgets.py, where the board could not import it without
depending on the kiosk.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

MEMO_ENTRIES = 512
"""How many results a :class:`Memo` keeps: every layout, QR code, wrapped text and fitted label
of the screen shown (about a hundred on the item list with its letter keyboard open), with room
for the screens a citizen goes back to; a few hundred short strings and numbers."""

T = TypeVar("T")


class Memo:
    """Results of the screens' layout work, kept from frame to frame by the app that owns it.

    The kiosk lays out 30 frames a second of a screen that changes a few times a minute, and the
    号票未能打印 screen tried up to ten layouts, measuring every text again, and fitted a QR code
    in every frame. Each result is keyed by all it depends on (texts, sizes, the screen's size and
    text mode), so another ticket, size or text mode computes anew and never shows a stale layout.
    Only the newest :data:`MEMO_ENTRIES` are kept: a kiosk issues hundreds of tickets a day.
    Results are shared between frames: callers must not change them (tuples, frozen dataclasses).
    """

    def __init__(self, entries: int = MEMO_ENTRIES) -> None:
        self.entries = entries
        self._results: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The result kept for ``key``, else ``compute()``'s, kept."""
        if key in self._results:
            self._results.move_to_end(key)
            return cast(T, self._results[key])
        result = compute()
        self._results[key] = result
        if len(self._results) > self.entries:
            self._results.popitem(last=False)
        return result
