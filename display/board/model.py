"""What a zone board shows, updated by hub events: pure state, no pygame, no network.

Why separate: the rules of a board (which calls appear, in what order, what a recall does, how
queue counts move) are the part a hall argues about, and they can be tested event by event
without a screen or a hub. The pygame board and the benchmark feed the same model.

Rules:
- what the hub sends: a zone's state and stream carry that zone's queues, windows and events,
  and the calls its boards show (the hub's one rule, ``HallConfig.call_zones``: a call also
  belongs to the calling window's zone); the model keeps no zone rule of its own, which once
  differed from the hub's and dropped such a call;
- back-office calls (``payload.silent``) never appear: a back office calls silently;
- a call or a recall puts the ticket at the top of the recent list (once: a recall moves it);
- a transfer takes the ticket off the list (``LEAVE_KINDS``): the case waits again for another
  window or a back office, and its line at the old window read as still served there (and
  twice once called at the next); a finished, no-show or parked case keeps its line, the number
  a citizen back from the restroom looks for, at the window they go back to;
- waiting counts move with the events that change them (issued, called, requeued, transferred,
  cancelled), except a back office's case (sent there, called there silently), which the
  windows never call and the hub does not count, open windows with a window's login, logout, pause and resume, and the estimated
  wait follows both at the minutes a window takes per person the hub last reported (the engine's
  own rule), so nothing needs to poll the hub;
- a queue no open window serves says so, never 无需等候 (nobody waits because nobody serves);
- an event at or below the last applied ``seq`` is ignored, so a replay after a reconnect never
  counts anything twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

RECENT_CALLS = 8
CALL_KINDS = frozenset({"ticket.called", "ticket.recalled", "ticket.resumed"})
"""Events that invite a citizen to a window. ``ticket.resumed`` is a parked case called back."""
LEAVE_KINDS = frozenset({"ticket.transferred"})
"""Events after which a ticket's call is no longer where the boards showed it: the case waits again,
for another window or a back office. The hub's stream sends them to the zones that showed the call."""

WAITING_DELTA = {
    "ticket.issued": 1,
    "ticket.requeued": 1,
    "ticket.transferred": 1,
    "ticket.called": -1,
    "ticket.cancelled": -1,
}

WINDOW_OPENS = {"window.login": True, "window.resumed": True, "window.logout": False, "window.paused": False}
"""How each window event changes whether the window serves its queues (the engine counts a window
open while someone is logged in and it is not paused)."""
"""How each event changes its queue's waiting count (the engine's own status transitions)."""


class EventLike(Protocol):
    """A hub event as the client (``HubEvent``) or the hub's bus (``HallEvent``) carries it.

    Read-only members: both are frozen dataclasses, and the board never writes to an event."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> float: ...
    @property
    def kind(self) -> str: ...
    @property
    def number(self) -> str | None: ...
    @property
    def zone(self) -> str | None: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def window_id(self) -> str | None: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


class QueueLike(Protocol):
    """A queue's figures as the client (``QueueInfo``) reads them; read-only, as EventLike."""

    @property
    def prefix(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def zone(self) -> str: ...
    @property
    def waiting(self) -> int: ...
    @property
    def open_windows(self) -> int: ...
    @property
    def estimated_wait_min(self) -> int | None: ...
    @property
    def service_min(self) -> float | None: ...


@dataclass(frozen=True)
class BoardCall:
    """One line of the recent calls: ticket ``number`` invited to window ``window_number``."""

    number: str
    window_id: str
    window_number: int | None
    window_name: str
    at: float
    seq: int
    call_count: int = 1

    @property
    def text(self) -> str:
        return call_text(self.number, self.window_number, self.window_name)


def call_text(number: str, window_number: int | None, window_name: str = "") -> str:
    """The sentence the board shows, e.g. ``请 A001 号 到 3号窗口``."""
    where = f"{window_number}号窗口" if window_number is not None else (window_name or "窗口")
    return f"请 {number} 号 到 {where}"


@dataclass
class QueueLine:
    """A queue's line on the board: name, people waiting, open windows and the estimated wait."""

    prefix: str
    name: str
    waiting: int
    open_windows: int
    estimated_wait_min: int | None
    service_min: float | None = None
    """Minutes a window takes per person (the hub's figure); None: an older hub, keep its estimate."""

    def set_waiting(self, waiting: int) -> None:
        self.waiting = max(0, waiting)
        self._estimate()

    def set_open_windows(self, open_windows: int) -> None:
        self.open_windows = max(0, open_windows)
        self._estimate()

    def _estimate(self) -> None:
        """The engine's estimate (QueueEngine._estimate_wait) from the board's own counts."""
        if self.waiting == 0:
            self.estimated_wait_min = 0
        elif self.open_windows == 0:
            self.estimated_wait_min = None
        elif self.service_min is not None:
            self.estimated_wait_min = int(math.ceil(self.waiting * self.service_min / self.open_windows))

    @property
    def wait_text(self) -> str:
        """The board's wait column: a queue nobody serves says so even when nobody waits."""
        if self.open_windows == 0:
            return "暂无窗口"
        if self.waiting == 0:
            return "无需等候"
        if self.estimated_wait_min is None:
            return "暂无窗口"
        return f"约{max(1, self.estimated_wait_min)}分钟"


@dataclass
class BoardModel:
    """The state of one board. ``apply`` returns True when something visible changed."""

    recent_limit: int = RECENT_CALLS
    last_seq: int = -1
    hall_day: str = ""
    queues: dict[str, QueueLine] = field(default_factory=dict)
    recent: list[BoardCall] = field(default_factory=list)
    window_queues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The queues each window of the state serves, to move open-window counts on its events."""
    open_now: set[str] = field(default_factory=set)
    notice: str = ""
    ignored: int = 0
    """Events seen but not shown (silent calls, replays, events that change nothing): for diagnostics."""

    @property
    def current(self) -> BoardCall | None:
        """The call being announced: the newest one."""
        return self.recent[0] if self.recent else None

    def load(self, last_seq: int, hall_day: str, queues: Iterable[QueueLike],
             windows: Iterable[Mapping[str, Any]] = (), recent_calls: Iterable[Mapping[str, Any]] = ()) -> None:
        """Start from the hub's state (``GET /api/v1/state``); the stream continues from ``last_seq``.

        The state's latest calls seed the recent list, newest first, so a board switched on or
        reloaded mid-morning lists what it would have listed had it been on (seeded only from
        the calls still at a window, it lost those since finished or marked no-show; a case
        transferred since is not among them, as it left the live list). The state's windows
        are the ones whose events move open-window counts; a window of another zone that
        serves a queue here stays as the hub counted it.
        """
        self.last_seq = last_seq
        self.hall_day = hall_day
        self.queues = {}
        for q in queues:
            service_min = q.service_min
            if service_min is None and q.estimated_wait_min and q.waiting and q.open_windows:
                service_min = q.estimated_wait_min * q.open_windows / q.waiting  # a hub before service_min
            self.queues[q.prefix] = QueueLine(q.prefix, q.name, q.waiting, q.open_windows, q.estimated_wait_min, service_min)
        windows = list(windows)
        self.window_queues = {str(w["id"]): tuple(w.get("queues") or ()) for w in windows}
        self.open_now = {str(w["id"]) for w in windows if w.get("state") not in ("closed", "paused")}
        self.recent = [
            BoardCall(str(c["number"]), str(c["window_id"]), c.get("window_number"), str(c.get("window_name") or ""),
                      float(c["called_at"]), -1, int(c.get("call_count") or 1))
            for c in recent_calls
        ][: self.recent_limit]

    def apply(self, event: EventLike) -> bool:
        """Apply one event in stream order; True if the board must be redrawn."""
        if event.seq <= self.last_seq:
            self.ignored += 1
            return False
        self.last_seq = event.seq
        changed = self._count(event)
        if event.kind in WINDOW_OPENS:
            changed = self._window(event) or changed
        if event.kind in CALL_KINDS:
            changed = self._call(event) or changed
        elif event.kind in LEAVE_KINDS:
            changed = self._leave(event) or changed
        if not changed:
            self.ignored += 1
        return changed

    def _count(self, event: EventLike) -> bool:
        delta = WAITING_DELTA.get(event.kind)
        payload = event.payload or {}
        if event.kind == "ticket.closed" and payload.get("was") == "waiting":
            delta = -1  # closed at the end of the day while still waiting
        if payload.get("target_kind") == "back_office" or payload.get("silent"):
            delta = None  # a back office's case: never in the windows' count (engine.queues)
        if payload.get("leaves_only"):
            delta = None  # a transfer sent here for its call's line only (the hub's StreamFilter.render)
        line = self.queues.get(event.queue or "")
        if delta is None or line is None:
            return False
        line.set_waiting(line.waiting + delta)
        return True

    def _window(self, event: EventLike) -> bool:
        window = event.window_id or ""
        if window not in self.window_queues or (window in self.open_now) == WINDOW_OPENS[event.kind]:
            return False
        step = 1 if WINDOW_OPENS[event.kind] else -1
        if step > 0:
            self.open_now.add(window)
        else:
            self.open_now.discard(window)
        changed = False
        for prefix in self.window_queues[window]:
            line = self.queues.get(prefix)
            if line is not None:
                line.set_open_windows(line.open_windows + step)
                changed = True
        return changed

    def _call(self, event: EventLike) -> bool:
        payload = event.payload or {}
        if payload.get("silent") or not event.number or not event.window_id:
            return False
        call = BoardCall(
            number=event.number,
            window_id=event.window_id,
            window_number=payload.get("window_number"),
            window_name=str(payload.get("window_name") or ""),
            at=event.at,
            seq=event.seq,
            call_count=int(payload.get("call_count") or 1),
        )
        rest = [c for c in self.recent if c.number != call.number]
        self.recent = [call, *rest][: self.recent_limit]
        return True

    def _leave(self, event: EventLike) -> bool:
        kept = [c for c in self.recent if c.number != event.number]
        changed = len(kept) != len(self.recent)
        self.recent = kept
        return changed

    def snapshot(self) -> "BoardModel":
        """A copy to hand to another thread or to compare in tests."""
        return replace(self, queues={k: replace(v) for k, v in self.queues.items()}, recent=list(self.recent),
                       window_queues=dict(self.window_queues), open_now=set(self.open_now))
