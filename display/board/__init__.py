"""The TV board of a zone (综合屏 on a PC or a smart TV's browser).

Split in three so each part is testable on its own: :mod:`display.board.model` turns hub events
into what the board shows (pure, no pygame, no network), :mod:`display.board.render` draws that
state with pygame at any resolution, and :mod:`display.board.app` wires the hub client, the event
stream, the frame loop and (``--voice``) the zone's announcer.
"""

from display.board.model import BoardCall, BoardModel, QueueLine, call_text

__all__ = ["BoardCall", "BoardModel", "QueueLine", "call_text"]
