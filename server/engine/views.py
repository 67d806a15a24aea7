"""Data classes at the engine's boundary: what callers pass in and what they get back."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    ON_HOLD = "on_hold"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    CLOSED = "closed"


OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.ON_HOLD)


class TransferTarget(StrEnum):
    QUEUE = "queue"
    WINDOW = "window"
    BACK_OFFICE = "back_office"


@dataclass(frozen=True)
class IssueRequest:
    queue: str | None = None
    item_code: str | None = None
    priority_class: str | None = None
    appointment_code: str | None = None
    person_id: str | None = None
    idempotency_key: str | None = None
    device: str | None = None


@dataclass(frozen=True)
class TicketView:
    id: int
    number: str
    hall_day: date
    queue: str
    zone: str
    item_code: str | None
    status: str
    priority: bool
    priority_class: str | None
    appointment: bool
    issued_at: float
    queued_at: float
    leg: int
    window_id: str | None
    target_window: str | None
    called_at: float | None
    call_count: int
    served_at: float | None
    finished_at: float | None
    outcome: str | None
    rating: int | None
    person_masked: str | None
    printed: bool | None
    status_token: str

    def to_json(self, *, include_token: bool = False) -> dict[str, Any]:
        # Field by field rather than dataclasses.asdict, which deep-copies and was the costliest
        # step of a ticket response.
        data = {name: getattr(self, name) for name in _TICKET_FIELDS}
        data["hall_day"] = self.hall_day.isoformat()
        if not include_token:
            data.pop("status_token")
        return data


    def to_public_json(self) -> dict[str, Any]:
        """What anyone in the hall may read of a ticket at a window (boards, an unauthenticated
        caller): where it is in its visit, nothing of the person (priority class, masked ID, item,
        appointment) nor of the visit's assessment (outcome, rating)."""
        data = {name: getattr(self, name) for name in _PUBLIC_TICKET_FIELDS}
        data["hall_day"] = self.hall_day.isoformat()
        return data


_TICKET_FIELDS = tuple(f.name for f in fields(TicketView))
_PUBLIC_TICKET_FIELDS = (
    "id", "number", "hall_day", "queue", "zone", "status", "priority", "leg", "window_id", "target_window",
    "issued_at", "queued_at", "called_at", "call_count", "served_at", "finished_at",
)


@dataclass(frozen=True)
class IssueResult:
    ticket: TicketView
    people_ahead: int
    estimated_wait_min: int | None
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket.to_json(include_token=True),
            "people_ahead": self.people_ahead,
            "estimated_wait_min": self.estimated_wait_min,
            "replayed": self.replayed,
        }


@dataclass(frozen=True)
class WindowView:
    id: str
    number: int | None
    name: str
    zone: str
    kind: str
    unit: str | None
    """The unit that staffs it (windows.toml): the web pad offers a clerk their own unit's windows."""
    queues: dict[str, int]
    staff_id: str | None
    logged_in_at: float | None
    paused_reason: str | None
    paused_at: float | None
    current_ticket: TicketView | None

    @property
    def state(self) -> str:
        if self.staff_id is None:
            return "closed"
        if self.paused_reason is not None:
            return "paused"
        if self.current_ticket is not None:
            return self.current_ticket.status
        return "idle"

    def to_json(self) -> dict[str, Any]:
        data = self.to_public_json()
        data.update(
            staff_id=self.staff_id,
            logged_in_at=self.logged_in_at,
            paused_reason=self.paused_reason,
            current_ticket=self.current_ticket.to_json() if self.current_ticket else None,
        )
        return data

    def to_public_json(self) -> dict[str, Any]:
        """The window as a board shows it: its state and its ticket's public part, not who works
        there or why they paused."""
        return {
            "id": self.id,
            "number": self.number,
            "name": self.name,
            "zone": self.zone,
            "kind": self.kind,
            "unit": self.unit,
            "queues": self.queues,
            "state": self.state,
            "paused_at": self.paused_at,
            "current_ticket": self.current_ticket.to_public_json() if self.current_ticket else None,
        }


@dataclass(frozen=True)
class BackOfficeLoad:
    """Today's cases a back office (后台) has to handle, besides the one in hand: those sent to it
    and waiting (since when the oldest), and those parked there. The queues' counts leave them
    out, as a back office's cases wait for that room and not for the windows."""

    waiting: int = 0
    oldest_queued_at: float | None = None
    on_hold: int = 0


@dataclass(frozen=True)
class QueueView:
    prefix: str
    name: str
    zone: str
    waiting: int
    waiting_priority: int
    longest_wait_s: float | None
    open_windows: int
    estimated_wait_min: int | None
    issued_today: int
    service_min: float
    """Minutes a window takes per person in this queue (today's mean, or the hall's default):
    what a board multiplies by people waiting over open windows as both change between reads."""
    in_line: int = 0
    """Of `waiting`, those in the queue's line, which any of its windows may call (the rest were
    sent to one window): a window's pad counts these and the cases sent to it."""
    in_line_priority: int = 0
    in_line_longest_wait_s: float | None = None
    """The line's own priority count and longest wait: a pad showed 0 in line beside 3分1秒, the
    wait of a case sent to one window (counted in `waiting`, not in the line)."""
    beyond_today: bool = False
    """The estimated wait runs past what is left of today's opening hours: a new ticket would
    likely not be served today (the dashboard showed 460分钟 at 14:00; kiosks said nothing)."""
    window_numbers: tuple[int, ...] = ()
    """The hall-wide numbers of the front windows configured to serve the queue, ascending: the
    ticket names them (办理窗口：19-26号). Back offices never: citizens do not go there."""
    id_required: bool = False
    """A kiosk asks for the ID card before issuing (config ``Queue.id_required``)."""
    sold_out: str | None = None
    """The queue's daily cap is reached: the refusal a new ticket would get (今日该业务号已取完，请明日再来).
    A kiosk says it on the confirm screen; the citizen only learned it after 确认取号."""
    sold_out_items: dict[str, str] = field(default_factory=dict)
    """The queue's items whose own daily cap is reached: item code -> the refusal a ticket for it
    would get (今日该事项号已取完，请明日再来), said on the confirm screen as ``sold_out`` is."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HallEvent:
    """One committed change, as published on the event bus and the WebSocket stream."""

    seq: int
    at: float
    kind: str
    ticket_id: int | None = None
    number: str | None = None
    zone: str | None = None
    queue: str | None = None
    window_id: str | None = None
    staff_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
