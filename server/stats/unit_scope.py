"""Which unit a rated ticket belongs to, for every page a unit's chief representative reads.

Why one place: follow-ups went by the ticket fact's unit while appeals went by the clerk's
account unit, so a chief saw the follow-up of a bad rating their report counted but another
chief saw its appeal (a 综合窗口 clerk of no unit, or a clerk relieving at another unit's window).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import exists
from sqlalchemy.sql.elements import ColumnElement

from server.storage.schema import stat_ticket_facts


def ticket_of_unit(ticket_id: ColumnElement[Any], unit: str) -> ColumnElement[bool]:
    """Whether the ticket `ticket_id` names is one of `unit`'s, as its report counts it (the
    ticket fact's unit: the item's unit, or else that of the queue the ticket was issued to;
    stats/ledger.py), whoever served it and whatever unit their account names.

    The ticket's fact must be written: readers catch the facts up first (a rated ticket has
    ended, so it has one). A correlated EXISTS, each row's fact found by its key: `ticket_id IN
    (the unit's facts)` read every fact of the unit's years (no index leads with the unit)."""
    return exists().where(stat_ticket_facts.c.ticket_id == ticket_id, stat_ticket_facts.c.unit == unit)
