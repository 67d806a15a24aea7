"""The ledger of states (ticket_intervals), derived from the event log after the fact.

Each interval is one stretch of a ticket in one state (waiting, called, serving, on hold) of one
leg, with the reason it ended. Every one of them follows from the ticket's events, which the
engine writes anyway: deriving them here, in the statistics' catch-up, instead of in every hall
action took two statements and four of the twelve pages a call commits off the hub's hot path
(docs/benchmarks.md). Readers of intervals (the ticket facts and window-day figures) run this
first, in the same transaction, so they never see a ledger behind the events they read.

The rules are the engine's own transitions (server/engine/engine.py):

    ticket.issued                      -> open waiting, leg 1
    ticket.called, ticket.resumed      -> close ("called" from waiting, else "resumed"), open called
    ticket.serving                     -> close "arrived", open serving
    ticket.finished                    -> close "served"
    ticket.no_show                     -> close "no_show"
    ticket.requeued                    -> open waiting (same leg)
    ticket.transferred                 -> close "transferred_<target kind>", open waiting, next leg
    ticket.parked                      -> close "parked", open on hold
    ticket.cancelled                   -> close "cancelled"
    ticket.closed                      -> close "closed_eod"

Like the facts, a ticket's intervals are rebuilt whole from its events whenever new ones arrive,
and the watermark moves in the same transaction: running it twice, after a crash half-way or after
a lost watermark gives the same rows. Events from before this module existed had their intervals
written by the engine under the same rules (migration 0006 starts the watermark after them).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, RowMapping

from server.stats.watermarks import read_watermark, write_watermark
from server.storage.schema import ticket_events, ticket_intervals

INTERVALS_MARK = "intervals"
CHUNK = 500


@dataclass(frozen=True)
class Transition:
    closes: bool  # the open interval ends
    opens: str | None  # the state of the interval that starts, if one does
    at_window: bool = False  # the new interval is at the event's window, with its staff
    next_leg: bool = False


TRANSITIONS: dict[str, Transition] = {
    "ticket.issued": Transition(False, "waiting"),
    "ticket.called": Transition(True, "called", at_window=True),
    "ticket.resumed": Transition(True, "called", at_window=True),
    "ticket.serving": Transition(True, "serving", at_window=True),
    "ticket.finished": Transition(True, None),
    "ticket.no_show": Transition(True, None),
    "ticket.requeued": Transition(False, "waiting"),
    "ticket.transferred": Transition(True, "waiting", next_leg=True),
    "ticket.parked": Transition(True, "on_hold", at_window=True),
    "ticket.cancelled": Transition(True, None),
    "ticket.closed": Transition(True, None),
}
_FIXED_OUTCOMES = {
    "ticket.serving": "arrived",
    "ticket.finished": "served",
    "ticket.no_show": "no_show",
    "ticket.parked": "parked",
    "ticket.cancelled": "cancelled",
    "ticket.closed": "closed_eod",
}


def close_outcome(kind: str, payload: dict[str, Any] | None, state: str) -> str:
    """Why the open interval (in `state`) ended on an event of this kind."""
    if kind in ("ticket.called", "ticket.resumed"):
        return "called" if state == "waiting" else "resumed"
    if kind == "ticket.transferred":
        return f"transferred_{(payload or {}).get('target_kind', 'queue')}"
    return _FIXED_OUTCOMES[kind]


def in_chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """`values` in slices small enough for one IN list each (the statistics' reads by ticket)."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def ledger_of(events: Iterable[Mapping[Any, Any]]) -> list[dict[str, Any]]:  # dicts or RowMappings
    """One ticket's intervals from its events in sequence order (seq, at, hall_day, kind, queue,
    window_id, staff_id, payload), each with `opened_by`, the seq of the event that began it."""
    intervals: list[dict[str, Any]] = []
    for e in events:
        rule = TRANSITIONS.get(e["kind"])
        if rule is None:
            continue
        current = intervals[-1] if intervals else None
        if rule.closes and current is not None and current["end_at"] is None:
            current["end_at"] = e["at"]
            current["outcome"] = close_outcome(e["kind"], e["payload"], current["state"])
        if rule.opens is None:
            continue
        if current is None or e["kind"] == "ticket.issued":  # the first interval of its ticket
            hall_day, leg = e["hall_day"], 1
        else:
            hall_day, leg = current["hall_day"], current["leg"] + (1 if rule.next_leg else 0)
        intervals.append({
            "ticket_id": e["ticket_id"],
            "hall_day": hall_day,
            "leg": leg,
            "state": rule.opens,
            "queue": e["queue"],
            "window_id": e["window_id"] if rule.at_window else None,
            "staff_id": e["staff_id"] if rule.at_window else None,
            "start_at": e["at"],
            "end_at": None,
            "outcome": None,
            "opened_by": e["seq"],
        })
    return intervals


def derive_intervals(conn: Connection, upto: int | None = None) -> int:
    """Rebuild the intervals of every ticket the events after the watermark (up to seq `upto`, if
    given) moved, from all of that ticket's events so far, as the facts are rebuilt: running it
    twice, or after a lost watermark, gives the same rows. Moves the watermark and returns it."""
    mark = read_watermark(conn, INTERVALS_MARK)
    if upto is not None and upto <= mark:
        return mark
    query = select(ticket_events.c.seq, ticket_events.c.ticket_id, ticket_events.c.kind).where(ticket_events.c.seq > mark)
    if upto is not None:
        query = query.where(ticket_events.c.seq <= upto)
    batch = conn.execute(query.order_by(ticket_events.c.seq)).all()
    if not batch:
        return mark
    last = int(batch[-1].seq)
    moved = sorted({e.ticket_id for e in batch if e.ticket_id is not None and e.kind in TRANSITIONS})
    for chunk in in_chunks(moved):
        history: dict[int, list[RowMapping]] = {}
        for e in conn.execute(
            select(*_EVENT_COLUMNS)
            .where(ticket_events.c.ticket_id.in_(chunk), ticket_events.c.seq <= last)
            .order_by(ticket_events.c.seq)
        ):
            history.setdefault(e.ticket_id, []).append(e._mapping)
        rows = sorted((i for events in history.values() for i in ledger_of(events)), key=itemgetter("opened_by"))
        for row in rows:  # ids in the order the intervals began, as the engine wrote them
            del row["opened_by"]
        conn.execute(delete(ticket_intervals).where(ticket_intervals.c.ticket_id.in_(chunk)))
        if rows:
            conn.execute(insert(ticket_intervals), rows)
    write_watermark(conn, last, INTERVALS_MARK)
    return last


_EVENT_COLUMNS = (
    ticket_events.c.seq, ticket_events.c.at, ticket_events.c.hall_day, ticket_events.c.kind, ticket_events.c.ticket_id,
    ticket_events.c.queue, ticket_events.c.window_id, ticket_events.c.staff_id, ticket_events.c.payload,
)
