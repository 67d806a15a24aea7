"""Which hub events are spoken, and as what: shared by the hub's voice service and ``board --voice``.

One rule for both places, so a zone sounds the same whichever machine owns its speaker:
``ticket.called``, ``ticket.recalled`` (a recall is announced again) and ``ticket.resumed`` (a parked
case called back) are spoken at the window that called; back-office calls (``payload.silent``) are
handed to the announcer as silent calls, which it records and never speaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from display.board.model import CALL_KINDS
from display.voice import Call


def call_for_event(kind: str, number: str | None, payload: Mapping[str, Any], zone: str = "",
                   repeat: int = 1, chime: bool = True) -> Call | None:
    """The :class:`Call` to announce for an event, or None when the event is not a call."""
    if kind not in CALL_KINDS or not number:
        return None
    silent = bool(payload.get("silent"))
    window = payload.get("window_number")
    if window is None:
        window = str(payload.get("window_name") or "窗口")
    return Call(number=number, window=window, zone=zone, silent=silent, repeat=repeat, chime=chime)
