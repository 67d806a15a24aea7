"""The engine's hot-path SQL, built once with bind parameters, and on SQLite run on the sqlite3
driver directly (`direct()`, see direct.py).

Constructing a Core statement per call (coercing every value into a bind parameter, then keying the
compiled cache) cost ~0.2 ms a statement on these machines; a prebuilt statement executed with a
parameter dict costs a quarter of that. These are immutable SQL expressions, not state.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement, CompoundSelect, ScalarSelect, Select, and_, bindparam, func, insert, literal_column, or_, select, union_all, update,
)

from server.storage.direct import direct
from server.storage.schema import day_counters, queue_day_counts, ticket_events, tickets, window_states

WAITING = "waiting"

TICKET_BY_ID = direct(select(tickets).where(tickets.c.id == bindparam("tid")))
TICKET_BY_NUMBER = direct(
    select(tickets).where(tickets.c.hall_day == bindparam("day"), tickets.c.number == bindparam("number"))
)
# The key as stored now (a digest) or before (device:key): see server/engine/idempotency.py.
TICKET_BY_IDEMPOTENCY_KEY = direct(
    select(tickets).where(or_(tickets.c.idempotency_key == bindparam("key"), tickets.c.idempotency_key == bindparam("legacy")))
)
INSERT_TICKET = direct(insert(tickets).returning(*tickets.c))

BUMP_COUNTER = direct(
    update(day_counters)
    .where(day_counters.c.hall_day == bindparam("b_day"), day_counters.c.prefix == bindparam("b_prefix"))
    .values(last_seq=day_counters.c.last_seq + 1)
    .returning(day_counters.c.last_seq)
)
INSERT_COUNTER = direct(insert(day_counters))
ISSUED_IN_QUEUE = direct(
    select(day_counters.c.last_seq).where(day_counters.c.hall_day == bindparam("day"), day_counters.c.prefix == bindparam("prefix"))
)
ISSUED_FOR_ITEM = direct(
    select(func.count()).where(tickets.c.hall_day == bindparam("day"), tickets.c.item_code == bindparam("item"))
)
ISSUED_TO_PERSON = direct(
    select(func.count()).where(tickets.c.hall_day == bindparam("day"), tickets.c.person_key == bindparam("person"))
)

INSERT_EVENT = direct(insert(ticket_events).returning(ticket_events.c.seq))
WINDOW_STATE = direct(select(window_states).where(window_states.c.window_id == bindparam("window")))
SET_CURRENT_TICKET = direct(
    update(window_states).where(window_states.c.window_id == bindparam("window")).values(current_ticket_id=bindparam("tid"))
)


def _open_windows_among(window_ids: Sequence[str]) -> ScalarSelect[int]:
    """Staffed, unpaused windows among these, spelled out (an expanding IN parameter is recompiled
    on every execution: an eighth of the cost of issuing a ticket)."""
    if not window_ids:
        return select(literal_column("0")).scalar_subquery()
    return (
        select(func.count())
        .where(
            or_(*(window_states.c.window_id == window_id for window_id in window_ids)),
            window_states.c.staff_id.is_not(None),
            window_states.c.paused_reason.is_(None),
        )
        .scalar_subquery()
    )


def queue_figures(window_ids: Sequence[str]) -> Select[int, int, float, int]:
    """A queue's line length, finished tickets and their summed service today (kept by triggers,
    migration 0005), and how many of the windows serving it are open: what a ticket's wait
    estimate needs, in one statement. Built once per queue by the engine."""
    def today(column: Any) -> ScalarSelect[Any]:
        return (
            select(column)
            .where(queue_day_counts.c.hall_day == bindparam("day"), queue_day_counts.c.queue == bindparam("queue"))
            .scalar_subquery()
        )

    return direct(
        select(
            today(queue_day_counts.c.in_line),
            today(queue_day_counts.c.finished),
            today(queue_day_counts.c.service_seconds),
            _open_windows_among(window_ids),
        )
    )


# Literal, not a bound parameter: SQLite compares a bound value against partial indexes' conditions
# (status = 'waiting' of the queue line) and then re-plans the statement at every execution, which
# made a lookup of an empty index cost as much as issuing's INSERT.
_STATUS_WAITING = tickets.c.status == literal_column(f"'{WAITING}'")
_WAITING_HERE = and_(tickets.c.hall_day == bindparam("day"), _STATUS_WAITING)
# In a queue's line (ix_tickets_queue_line): the partial index's condition, spelled with literals.
_IN_LINE = and_(
    tickets.c.hall_day == bindparam("day"),
    tickets.c.queue == bindparam("queue"),
    _STATUS_WAITING,
    tickets.c.target_window.is_(None),
)
_CALL_ORDER = (tickets.c.priority.desc(), tickets.c.sort_key.asc(), tickets.c.id.asc())
# A head of a line is what choosing needs (id, class, place) read off its index alone: the call's
# UPDATE ... RETURNING brings the whole row of the one ticket chosen.
_HEAD = (tickets.c.id, tickets.c.status, tickets.c.priority, tickets.c.sort_key)
# The first `n` places of one priority class in a queue's line (过号重排 slots a late citizen among them).
LINE_SORT_KEYS = direct(
    select(tickets.c.sort_key)
    .where(_IN_LINE, tickets.c.priority == bindparam("priority"))
    .order_by(tickets.c.sort_key)
    .limit(bindparam("n"))
)


def heads_of_lines(queues: Sequence[str]) -> CompoundSelect | Select[Any]:
    """The head of each of a window's queue lines and of the line sent to the window itself, in
    one statement (parameters `day` and `window`): one row per line that has a head, with `arm`
    its place, queues first in the order given, the window's own line last. Built once per window
    by the engine, the queues as literal-valued parameters. Each arm reads its line's covering
    index in call order. One statement instead of one per line: on raw sqlite3 8.9 -> 5.6 us for
    a window serving one queue, 17.9 -> 6.9 us for three, before each statement's Python."""
    wheres = [
        and_(tickets.c.hall_day == bindparam("day"), tickets.c.queue == bindparam(f"queue_{i}", value=prefix),
             _STATUS_WAITING, tickets.c.target_window.is_(None))
        for i, prefix in enumerate(queues)
    ]
    wheres.append(and_(_WAITING_HERE, tickets.c.target_window == bindparam("window")))
    arms = []
    for arm, where in enumerate(wheres):
        # SQLite allows ORDER BY and LIMIT only on a whole compound select: each arm reads its
        # head in a subquery, which SQLite runs as a co-routine over the index.
        line = select(*_HEAD).where(where).order_by(*_CALL_ORDER).limit(1).subquery(f"line_{arm}")
        arms.append(select(line, literal_column(str(arm)).label("arm")))
    return direct(union_all(*arms) if len(arms) > 1 else arms[0])


def _line_count(*ahead: ColumnElement[bool]) -> ScalarSelect[int]:
    return select(func.count()).where(_IN_LINE, *ahead).scalar_subquery()


# Ahead of a ticket in its line: higher priority, or the same priority and earlier in FIFO order.
# Three range counts rather than one OR, so each reads only its stretch of the index.
PEOPLE_AHEAD = direct(
    select(
        _line_count(tickets.c.priority > bindparam("priority"))
        + _line_count(tickets.c.priority == bindparam("priority"), tickets.c.sort_key < bindparam("sort_key"))
        + _line_count(
            tickets.c.priority == bindparam("priority"),
            tickets.c.sort_key == bindparam("sort_key"),
            tickets.c.id < bindparam("tid"),
        )
    )
)
# People behind a ticket in its line: the mirror of PEOPLE_AHEAD. A new ticket of the lowest class
# has (nearly) nobody behind it, so line length - 1 - this is its place without reading the line.
LINE_BEHIND = direct(
    select(
        _line_count(tickets.c.priority < bindparam("priority"))
        + _line_count(tickets.c.priority == bindparam("priority"), tickets.c.sort_key > bindparam("sort_key"))
        + _line_count(
            tickets.c.priority == bindparam("priority"),
            tickets.c.sort_key == bindparam("sort_key"),
            tickets.c.id > bindparam("tid"),
        )
    )
)


def _waiting_by_queue(*where: ColumnElement[bool]) -> Select[str, int, int, float]:
    return (
        select(tickets.c.queue, func.count(), func.sum(tickets.c.priority), func.min(tickets.c.queued_at))
        .where(tickets.c.hall_day == bindparam("day"), *where)
        .group_by(tickets.c.queue)
    )


# Today's waiting tickets per queue (count, green channel, oldest) for the queues view, which
# call-pads and boards read after every event: the queues' lines (ix_tickets_queue_line) and the
# few tickets sent to one window (ix_tickets_day_target), never the day's whole ticket list. The
# latter come per window too: the engine leaves out those held for a back office.
WAITING_IN_LINES = _waiting_by_queue(_STATUS_WAITING, tickets.c.target_window.is_(None))
WAITING_FOR_WINDOWS = (
    select(tickets.c.queue, func.count(), func.sum(tickets.c.priority), func.min(tickets.c.queued_at), tickets.c.target_window)
    .where(tickets.c.hall_day == bindparam("day"), _STATUS_WAITING, tickets.c.target_window.is_not(None))
    .group_by(tickets.c.queue, tickets.c.target_window)
)
