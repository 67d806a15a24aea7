"""What a polled bus acted on for each pad and how the hub answered, kept across reconnects.

Why: a polled pad (polled-csv) reports its request on every poll until an answer (``A``) reaches
it, and its frame carries no sequence number. When the answer was lost (the line dropped just
after the hub wrote it, or a burst of noise hit it), the pad goes on reporting the same request;
a bus opened afresh after the drop took it for a new press, and the hub called a second citizen
or spent a second recall. The one thing that tells that retry from a new press of the same key is
whether the hub saw the pad leave the request in between: a pad that got its answer reports its
state (waiting, serving…) before it can report a new request. So, per pad address:

- ``acted``: the bus delivered this request to the hub (a new answer starts);
- ``answered``: the hub answered it (what a pad needs to leave its request, ACK and stars, not the
  window's state, which the hub echoes fresh after a reconnect and which would be stale here);
- ``left``: the pad reported anything else, so a later identical request is a new press;
- ``answer_to``: a report of the request acted on, not yet left: the stored answer to send
  again instead of acting again (empty: never answered, e.g. the hub's handler was cut off by the
  drop; the bus then delivers it again, as before, rather than leave the pad stuck in it).

A new press made while the hub could not see the pad (during the drop, after the answer had
arrived) looks exactly like a retry and is answered with the stored answer, not acted on: the
clerk presses again. That is the honest limit of a frame without a sequence number; acting twice
is the worse mistake (a citizen called and skipped, a recall spent).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from caller.actions import DisplayKind, PadDisplay

#: displays that are a pad's answer to its request (the rest is its window's state)
ANSWER_KINDS = frozenset({DisplayKind.ACK, DisplayKind.STARS})


@dataclass
class _Acted:
    request: tuple[str, ...]
    answer: list[PadDisplay] = field(default_factory=list)
    handling: bool = True  # the hub's handler for it still runs


class AnsweredRequests:
    """Per pad address: the request last acted on, while the pad still reports it, and its answer.

    The hub's handler of a request outlives a line drop (PadBus keeps it running), so its answer
    is kept whichever connection it comes through, or none: while it runs, a repeat of its request
    is held, neither answered nor acted on (a drop between the engine's act and the answer acted
    twice); once it ended without an answer (it failed), the repeat is acted on again."""

    def __init__(self) -> None:
        self._acted: dict[int, _Acted] = {}

    def acted(self, address: int, request: tuple[str, ...]) -> None:
        self._acted[address] = _Acted(request)

    def answered(self, address: int, display: PadDisplay) -> None:
        """Keep ``display`` as (part of) the answer to the request being handled for ``address``."""
        entry = self._acted.get(address)
        if entry is not None and entry.handling and display.kind in ANSWER_KINDS:
            entry.answer.append(display)

    def handled(self, address: int, request: tuple[str, ...]) -> None:
        """The hub's handler of ``request`` ended (answered or not)."""
        entry = self._acted.get(address)
        if entry is not None and entry.request == request:
            entry.handling = False

    def left(self, address: int) -> None:
        self._acted.pop(address, None)

    def in_hand(self, address: int, request: tuple[str, ...]) -> bool:
        """Whether ``request`` is the one the hub's handler is still acting on for ``address``."""
        entry = self._acted.get(address)
        return entry is not None and entry.request == request and entry.handling

    def answer_to(self, address: int, request: tuple[str, ...]) -> list[PadDisplay]:
        entry = self._acted.get(address)
        return list(entry.answer) if entry is not None and entry.request == request else []
