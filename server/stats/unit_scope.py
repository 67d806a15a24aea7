"""Which unit a ticket belongs to, for every page a unit's chief representative reads.

Why one place: follow-ups went by the ticket fact's unit while appeals went by the clerk's
account unit, so a chief saw the follow-up of a bad rating their report counted but another
chief saw its appeal (a 综合窗口 clerk of no unit, or a clerk relieving at another unit's window).
The hall's ticket list and event history (server/api/chief_scope.py) read a chief the same way.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from server.accounts import Principal
from server.config.models import HallConfig
from server.errors import HallQError
from server.storage.schema import stat_ticket_facts, tickets


def chief_unit(principal: Principal) -> str:
    """A chief's own unit, whatever they ask for; refused (403) when their account names none,
    on every page they read: without a unit there is nothing of theirs to show."""
    if not principal.unit:
        raise HallQError("forbidden", "首席代表账号未设置所属单位，请联系管理员", "a chief's account has no unit", 403)
    return principal.unit


def ticket_of_unit(ticket_id: ColumnElement[Any], unit: str) -> ColumnElement[bool]:
    """Whether the ticket `ticket_id` names is one of `unit`'s, as its report counts it (the
    ticket fact's unit: the item's unit, or else that of the queue the ticket was issued to;
    stats/ledger.py), whoever served it and whatever unit their account names.

    The ticket's fact must be written: readers catch the facts up first (a rated ticket has
    ended, so it has one). A correlated EXISTS, each row's fact found by its key: `ticket_id IN
    (the unit's facts)` read every fact of the unit's years (no index leads with the unit)."""
    return exists().where(stat_ticket_facts.c.ticket_id == ticket_id, stat_ticket_facts.c.unit == unit)


def live_ticket_of_unit(config: HallConfig, unit: str) -> ColumnElement[bool]:
    """Whether a row of the tickets table is one of `unit`'s by the rule its fact will be written
    with (ledger.unit_of of its issuing queue, `prefix`, and its item): its item's unit, or, for a
    ticket of no item or of an item no longer configured, its issuing queue's. For tickets still
    in the hall, which have no fact yet; a ticket transferred to another unit's queue stays the
    unit's that its report counts it for."""
    t = tickets.c
    own_items = [i.code for i in config.items if i.unit == unit]
    own_queues = [q.prefix for q in config.queues if q.unit == unit]
    known_items = [i.code for i in config.items]
    by_item = t.item_code.in_(own_items) if own_items else false()
    no_item = or_(t.item_code.is_(None), t.item_code.not_in(known_items)) if known_items else true()
    by_queue = and_(t.prefix.in_(own_queues), no_item) if own_queues else false()
    return or_(by_item, by_queue)


def windows_of_unit(config: HallConfig, unit: str) -> frozenset[str]:
    """The windows a chief's dashboard shows: those serving one of the unit's queues (a 综合窗口
    serving it too), and the unit's back offices (they have no queues: cases reach them by
    transfer)."""
    own = {q.prefix for q in config.queues if q.unit == unit}
    return frozenset(w.id for w in config.windows
                     if own & set(w.queues) or (w.kind == "back_office" and w.unit == unit))
