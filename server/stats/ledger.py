"""HALL.md's metric definitions applied to one ticket's ledger and events.

Pure functions: the fact builder feeds them rows, tests feed them hand-built histories. Decisions
the definitions leave open (documented in docs/statistics.md):
- "the last call" of a leg is the latest `ticket.called` or `ticket.recalled` before service
  started: a recall repeats the call, so the citizen was still waiting until then; a parked case
  taken up again (`ticket.resumed`) is not a new call.
- a no-show that is re-queued late stays in the same leg, so its wait runs from the leg's entry to
  the call that finally brought the citizen ("if a no-show is called again the last call counts").
- service time per leg is the time in the `serving` state; time a case spent parked (on hold) is
  reported apart as hold time. A stretch in "called" that the finish or a park ended (nobody
  pressed "start", or not again after a parked case was taken up) is service from its last call,
  or from the resume that opened it: such a leg's service neither drops to zero nor takes in the
  time parked, and its walk time is unknown (None) unless "start" marked the first arrival.
  Tickets recorded before this rule (their called interval ended "arrived" at the finish) keep
  what they had: zero service.
- dwell is issue to finish and exists only for finished tickets.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.config.models import HallConfig

FINAL_STATUSES = frozenset({"finished", "no_show", "cancelled", "closed"})
CALL_KINDS = frozenset({"ticket.called", "ticket.recalled"})


@dataclass(frozen=True)
class LegFact:
    ticket_id: int
    leg: int
    hall_day: date
    zone: str
    unit: str | None
    queue: str
    item_code: str | None
    target_window: str | None
    window_id: str | None
    staff_id: str | None
    entered_at: float
    last_call_at: float | None
    started_at: float | None
    ended_at: float | None
    calls: int
    wait_s: float | None
    walk_s: float | None
    service_s: float | None
    hold_s: float | None
    outcome: str | None
    auto_closed: bool

    def row(self) -> dict[str, Any]:
        # Shallow, field by field: dataclasses.asdict deep-copies and was a third of a catch-up.
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class TicketFact:
    ticket_id: int
    hall_day: date
    issue_hour: int
    weekday: int
    zone: str
    unit: str | None
    queue: str
    item_code: str | None
    first_window: str | None
    last_window: str | None
    first_staff: str | None
    last_staff: str | None
    legs: int
    transfers: int
    calls: int
    was_called: bool
    wait_s: float | None
    walk_s: float | None
    service_s: float | None
    hold_s: float | None
    dwell_s: float | None
    final_status: str
    outcome: str | None
    over_kpi: bool | None
    rating: int | None
    rating_staff: str | None
    rating_window: str | None
    rating_excluded: bool
    priority: bool
    appointment: bool
    auto_closed: bool

    def row(self) -> dict[str, Any]:
        # Shallow, field by field: dataclasses.asdict deep-copies and was a third of a catch-up.
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _sum(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present), 3) if present else None


def unit_of(config: HallConfig, queue: str, item_code: str | None) -> str | None:
    """The unit a ticket counts for in every report: its item's, else its queue's (a queue of a
    综合窗口 may take several units' items)."""
    item = config.item(item_code) if item_code else None
    if item is not None:
        return item.unit
    q = config.queue(queue)
    return q.unit if q is not None else None


_AT_WINDOW = frozenset({"parked", "served"})  # a "called" stretch ended by these was spent at the window


def _last_call_in(stretch: Mapping[str, Any], calls: Sequence[float]) -> float:
    """When service began in a "called" stretch nobody pressed "start" in: its last call or
    recall, else its own start (a resumed case, taken up again without a new call)."""
    inside = [c for c in calls if stretch["start_at"] <= c <= stretch["end_at"]]
    return inside[-1] if inside else float(stretch["start_at"])


def _resumed(rows: Sequence[Mapping[str, Any]], stretch: Mapping[str, Any]) -> bool:
    """Whether this "called" stretch took up a parked case (it follows a stretch on hold)."""
    index = next(i for i, r in enumerate(rows) if r is stretch)
    return index > 0 and rows[index - 1]["state"] == "on_hold"


def compute_legs(
    config: HallConfig,
    ticket: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    intervals: Sequence[Mapping[str, Any]],
) -> list[LegFact]:
    """One fact per leg (issue, then one more per transfer), from intervals ordered by id and
    events ordered by seq."""
    by_leg: dict[int, list[Mapping[str, Any]]] = {}
    for interval in intervals:
        by_leg.setdefault(int(interval["leg"]), []).append(interval)
    calls_by_leg: dict[int, list[float]] = {}
    target_by_leg: dict[int, str | None] = {1: None}
    leg = 1
    for event in events:
        kind = event["kind"]
        if kind in CALL_KINDS:
            calls_by_leg.setdefault(leg, []).append(float(event["at"]))
        elif kind == "ticket.transferred":
            leg += 1
            payload = event.get("payload") or {}
            target_by_leg[leg] = payload.get("target") if payload.get("target_kind") != "queue" else None
    # Only the leg still open when the day closed the ticket is auto-closed: an earlier one ended
    # when its window transferred the case on (受理 then 转), and its wait and service stand. Flagging
    # every leg took a clerk's accepted case out of their 办件量 whenever the back office did not
    # conclude it that day.
    closed_leg = max(by_leg, default=0) if ticket["auto_closed"] else None
    facts = []
    for number in sorted(by_leg):
        rows = by_leg[number]
        waiting = [r for r in rows if r["state"] == "waiting"]
        queue = (waiting[0] if waiting else rows[0])["queue"] or ticket["queue"]
        entered = float(min(r["start_at"] for r in (waiting or rows)))
        calls = sorted(calls_by_leg.get(number, []))
        serving = [(r["start_at"], r["end_at"]) for r in rows if r["state"] == "serving"]
        # A stretch at the window that a park or the finish ended while still "called" (nobody
        # pressed "start", or not again after a parked case was taken up) was service from its
        # last call, or from the resume that opened it. Counted from the leg's last call instead,
        # a case parked before "start" had its whole hold counted as service (and as walk once
        # started later), and one finished straight after its resume lost that last stretch.
        unstarted = [(_last_call_in(r, calls), r["end_at"]) for r in rows if r["state"] == "called" and r["outcome"] in _AT_WINDOW]
        serving = sorted(serving + unstarted)
        arrived = [r for r in rows if r["state"] == "called" and r["outcome"] == "arrived"]
        first_arrival = float(arrived[0]["end_at"]) if arrived else None
        started = float(serving[0][0]) if serving else first_arrival
        if first_arrival is not None and started is not None:
            started = min(started, first_arrival)
        counted = [c for c in calls if started is None or c <= started]
        last_call = counted[-1] if counted else None
        # The walk is known only when "start" marked the citizen's first arrival at the window.
        walked = first_arrival is not None and started == first_arrival and not _resumed(rows, arrived[0])
        holds = [r for r in rows if r["state"] == "on_hold"]
        called_rows = [r for r in rows if r["state"] == "called"]
        last = rows[-1]
        outcome = last["outcome"]
        if outcome in ("arrived", "served"):
            outcome = "served"
        q = config.queue(queue)
        facts.append(
            LegFact(
                ticket_id=int(ticket["id"]),
                leg=number,
                hall_day=ticket["hall_day"],
                zone=q.zone if q is not None else ticket["zone"],
                unit=unit_of(config, queue, ticket["item_code"]),
                queue=queue,
                item_code=ticket["item_code"],
                target_window=target_by_leg.get(number),
                window_id=called_rows[-1]["window_id"] if called_rows else None,
                staff_id=called_rows[-1]["staff_id"] if called_rows else None,
                entered_at=entered,
                last_call_at=last_call,
                started_at=started,
                ended_at=float(last["end_at"]) if last["end_at"] is not None else None,
                calls=len(calls),
                wait_s=round(last_call - entered, 3) if last_call is not None else None,
                walk_s=round(started - last_call, 3) if started is not None and walked and last_call is not None else None,
                service_s=_sum([end - start for start, end in serving if end is not None])
                if started is not None
                else None,
                hold_s=_sum([r["end_at"] - r["start_at"] for r in holds if r["end_at"] is not None]),
                outcome=outcome,
                auto_closed=number == closed_leg,
            )
        )
    for i, fact in enumerate(facts):
        if fact.started_at is not None and fact.service_s is None:
            facts[i] = LegFact(**{**fact.row(), "service_s": 0.0})
    return facts


def compute_ticket(
    config: HallConfig,
    ticket: Mapping[Any, Any],  # a dict, or an SQLAlchemy RowMapping (keyed by names and columns)
    events: Sequence[Mapping[str, Any]],
    intervals: Sequence[Mapping[str, Any]],
    *,
    rating_excluded: bool = False,
) -> tuple[TicketFact, list[LegFact]]:
    """The ticket's fact row and its leg rows; the ticket must be in a final state."""
    legs = compute_legs(config, ticket, events, intervals)
    issued = datetime.fromtimestamp(float(ticket["issued_at"]), ZoneInfo(config.hall.timezone))
    first = legs[0] if legs else None
    served_legs = [leg for leg in legs if leg.window_id is not None]
    wait = _sum([leg.wait_s for leg in legs])
    status = ticket["status"]
    rating_staff = rating_window = None
    for event in events:
        if event["kind"] == "ticket.rated":  # the front window the citizen met, not a back office
            rating_staff, rating_window = event.get("staff_id"), event.get("window_id")
    queue = first.queue if first else ticket["queue"]
    q = config.queue(queue)
    fact = TicketFact(
        ticket_id=int(ticket["id"]),
        hall_day=ticket["hall_day"],
        issue_hour=issued.hour,
        weekday=issued.isoweekday(),
        zone=q.zone if q is not None else ticket["zone"],
        unit=unit_of(config, queue, ticket["item_code"]),
        queue=queue,
        item_code=ticket["item_code"],
        first_window=served_legs[0].window_id if served_legs else None,
        last_window=served_legs[-1].window_id if served_legs else None,
        first_staff=served_legs[0].staff_id if served_legs else None,
        last_staff=served_legs[-1].staff_id if served_legs else None,
        legs=len(legs),
        transfers=max(len(legs) - 1, 0),
        calls=sum(leg.calls for leg in legs),
        was_called=any(leg.calls for leg in legs),
        wait_s=wait,
        walk_s=_sum([leg.walk_s for leg in legs]),
        service_s=_sum([leg.service_s for leg in legs]),
        hold_s=_sum([leg.hold_s for leg in legs]),
        dwell_s=round(float(ticket["finished_at"]) - float(ticket["issued_at"]), 3)
        if status == "finished" and ticket["finished_at"] is not None
        else None,
        final_status=status,
        outcome=ticket["outcome"],
        over_kpi=(wait > config.hall.service_level_min * 60) if wait is not None else None,
        rating=ticket["rating"],
        rating_staff=rating_staff,
        rating_window=rating_window,
        rating_excluded=rating_excluded,
        priority=int(ticket["priority"] or 0) > 0,
        appointment=ticket["appointment_code"] is not None,
        auto_closed=bool(ticket["auto_closed"]),
    )
    return fact, legs
