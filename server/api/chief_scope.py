"""What a chief representative (首席代表) reads of the hall's tickets and events: their unit's.

Why: every stats page (reports, dashboard, appeals, follow-ups) gives a chief their own unit's
tickets (server/stats/unit_scope.py), but the staff reads `/tickets`, `/tickets/{id}` and
`/events/history` gave them the whole hall's, every unit's citizens, items and notes.

A chief may also sit at a window as a clerk (window_routes, the web call-pad): the window they
are signed in at works cases of other units too (a 综合窗口 serves several units' queues, a case
is sent to it, a manager seats them in relief at another unit's window). What their pad reads
for that window stays theirs: today's tickets waiting in its queues (or no-show there), at it (called, served,
parked there) or sent to it. Plain staff, managers and admins read as before (None: no scope).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from server.accounts import Principal, Role
from server.api.keys import CONFIG, ENGINE
from server.engine.views import HallEvent
from server.errors import HallQError
from server.stats.unit_scope import chief_unit, live_ticket_of_unit, windows_of_unit
from server.storage.schema import ticket_events, tickets


@dataclass(frozen=True)
class ChiefScope:
    """A chief's reach: `tickets` a condition on the tickets table, `events` one on an event
    and its ticket's row (outer-joined, engine.events_since)."""

    tickets: ColumnElement[bool]
    events: ColumnElement[bool]
    windows: frozenset[str]  # whose events of no ticket they read (their dashboard's and their own)


async def chief_scope(request: web.Request, principal: Principal) -> ChiefScope | None:
    """None for anyone but a chief; a chief's scope (see the module docstring), or 403 for a
    chief whose account names no unit, as their reports are refused."""
    if principal.role is not Role.CHIEF:
        return None
    unit = chief_unit(principal)
    config, engine = request.app[CONFIG], request.app[ENGINE]
    seated = [w for w in await engine.windows() if w.staff_id == principal.name]
    t = tickets.c
    at_window = [
        and_(t.hall_day == engine.today(),
             or_(t.window_id == w.id, t.target_window == w.id,
                 # its line and its no-shows (过号重排 puts any back), not the queue's day
                 and_(t.status.in_(("waiting", "no_show")), t.queue.in_(list(w.queues)))))
        for w in seated
    ]
    visible = or_(live_ticket_of_unit(config, unit), *at_window)
    # Events of no ticket: the windows their dashboard shows and their own (who signed in, paused
    # why), and devices' states (they name no person; a board reads them whole).
    windows = windows_of_unit(config, unit) | {w.id for w in seated}
    e = ticket_events.c
    no_ticket = and_(e.ticket_id.is_(None), or_(e.window_id.in_(sorted(windows)), e.kind.startswith("device.")))
    return ChiefScope(tickets=visible, events=or_(and_(e.ticket_id.is_not(None), visible), no_ticket),
                      windows=frozenset(windows))


@dataclass(frozen=True)
class ChiefStream:
    """A chief's event stream (/events). It is also their dashboard's and pad's signal to read
    again (a shared queue's count moves with another unit's tickets), so it carries every event of
    its zone as before; another unit's come as a board in the hall shows them (number, queue,
    window; no staff, no notes). It gave them whole, while /events/history and /tickets refuse them."""

    request: web.Request
    principal: Principal

    async def read_whole(self, events: Sequence[HallEvent]) -> set[int]:
        """The seqs of `events` the chief reads whole (the windows they sit at read now)."""
        scope = await chief_scope(self.request, self.principal)
        assert scope is not None  # a chief's
        ids = {e.ticket_id for e in events if e.ticket_id is not None}
        theirs = await self.request.app[ENGINE].tickets_within(ids, scope.tickets) if ids else set()
        return {e.seq for e in events
                if (e.ticket_id in theirs if e.ticket_id is not None
                    else e.kind.startswith("device.") or e.window_id in scope.windows)}


def refuse_other_units_ticket() -> HallQError:
    return HallQError("forbidden", "首席代表只能查看本单位的号票", "a chief reads only their own unit's tickets", 403)
