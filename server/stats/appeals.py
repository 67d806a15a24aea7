"""Rating appeals (申诉复核): staff appeal a bad rating of their own service, a manager decides.

An accepted appeal does not delete the rating: the ticket keeps it, the appeal row and its two
events stay as the audit trail, and the facts mark the rating as excluded from scores and counts
"after appeals". Events go to ticket_events (same stream, same sequence) and the bus after commit.
Once the manager has finalised a month (stats/months.py) its ratings' appeals are refused.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, insert, select, update
from sqlalchemy.engine import Connection

from server.engine.clock import Clock
from server.engine.hours import hall_day
from server.engine.views import HallEvent
from server.config.models import HallConfig
from server.errors import HallQError, invalid_state, not_found
from server.events import EventBus
from server.stats.months import refuse_if_final
from server.stats.unit_scope import ticket_of_unit
from server.storage.db import Database
from server.storage.schema import rating_appeals, ticket_events, tickets

APPEAL_STATUSES = ("pending", "accepted", "rejected")


@dataclass(frozen=True)
class Appeal:
    id: int
    ticket_id: int
    number: str
    hall_day: date
    staff_id: str
    rating: int
    reason: str
    filed_at: float
    status: str
    decided_by: str | None
    decided_at: float | None
    decision_reason: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _rated_by(conn: Connection, ticket_id: int) -> str | None:
    """The staff member whose service was rated (the `ticket.rated` event names them)."""
    return conn.execute(
        select(ticket_events.c.staff_id)
        .where(ticket_events.c.ticket_id == ticket_id, ticket_events.c.kind == "ticket.rated")
        .order_by(ticket_events.c.seq.desc())
        .limit(1)
    ).scalar()


def rating_event(conn: Connection, config: HallConfig, kind: str, ticket: Any, staff_id: str | None,
                 payload: dict[str, Any], now: float) -> HallEvent:
    """A step taken on a ticket's rating after the visit (an appeal, a follow-up), written to the
    ticket's own event stream as the audit trail; publish it after the commit."""
    values = {
        "at": now, "hall_day": hall_day(config, now), "kind": kind, "ticket_id": ticket.id,
        "number": ticket.number, "zone": ticket.zone, "queue": ticket.queue, "window_id": None,
        "staff_id": staff_id, "payload": payload,
    }
    seq = conn.execute(insert(ticket_events).returning(ticket_events.c.seq), values).scalar_one()
    return HallEvent(seq=seq, **{k: v for k, v in values.items() if k != "hall_day"})


class Appeals:
    def __init__(self, database: Database, config: HallConfig, clock: Clock, bus: EventBus) -> None:
        self.database, self.config, self.clock, self.bus = database, config, clock, bus

    def _event(self, conn: Connection, kind: str, ticket: Any, staff_id: str, payload: dict[str, Any], now: float) -> HallEvent:
        return rating_event(conn, self.config, kind, ticket, staff_id, payload, now)

    async def file(self, ticket_id: int, staff_id: str, reason: str) -> Appeal:
        now = self.clock.now()

        def work(conn: Connection) -> tuple[Appeal, HallEvent]:
            ticket = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
            if ticket is None:
                raise not_found("ticket", "票号", ticket_id)
            refuse_if_final(conn, ticket.hall_day, "对该月的评价提出申诉", "appealing its ratings")
            if ticket.rating is None or ticket.rating > 2:
                raise invalid_state("only a bad rating (1 or 2) can be appealed", "只能对差评（1-2分）提出申诉")
            if _rated_by(conn, ticket_id) != staff_id:
                raise HallQError("not_your_rating", "只能对本人办理业务的评价提出申诉",
                                 "you may appeal only ratings of your own service", 403)
            if conn.execute(select(rating_appeals.c.id).where(rating_appeals.c.ticket_id == ticket_id)).first():
                raise HallQError("duplicate", "该评价已提出过申诉", "this rating has been appealed already", 409)
            appeal_id = conn.execute(
                insert(rating_appeals).returning(rating_appeals.c.id),
                {"ticket_id": ticket_id, "hall_day": ticket.hall_day, "staff_id": staff_id, "rating": ticket.rating,
                 "reason": reason, "filed_at": now, "status": "pending"},
            ).scalar_one()
            event = self._event(conn, "rating.appeal_filed", ticket, staff_id, {"appeal_id": appeal_id, "reason": reason}, now)
            return _appeal(conn, appeal_id), event

        appeal, event = await self.database.write(work)
        self.bus.publish(event)
        return appeal

    async def decide(self, appeal_id: int, manager: str, accept: bool, reason: str) -> Appeal:
        now = self.clock.now()

        def work(conn: Connection) -> tuple[Appeal, HallEvent]:
            row = conn.execute(select(rating_appeals).where(rating_appeals.c.id == appeal_id)).first()
            if row is None:
                raise not_found("appeal", "申诉", appeal_id)
            if row.status != "pending":
                raise invalid_state(f"appeal {appeal_id} is {row.status} already", "该申诉已处理")
            refuse_if_final(conn, row.hall_day, "复核该月的申诉", "deciding its appeals")
            status = "accepted" if accept else "rejected"
            conn.execute(
                update(rating_appeals).where(rating_appeals.c.id == appeal_id)
                .values(status=status, decided_by=manager, decided_at=now, decision_reason=reason)
            )
            ticket = conn.execute(select(tickets).where(tickets.c.id == row.ticket_id)).one()
            event = self._event(conn, "rating.appeal_decided", ticket, row.staff_id,
                                {"appeal_id": appeal_id, "status": status, "by": manager, "reason": reason}, now)
            return _appeal(conn, appeal_id), event

        appeal, event = await self.database.write(work)
        self.bus.publish(event)
        return appeal

    async def list(self, status: str | None = None, unit: str | None = None) -> list[Appeal]:
        """The pending ones first, oldest first (the manager's work, in the order it came), then
        the decided ones, latest decision first. Oldest first throughout put a month's decided
        appeals above the new ones, and the page grows every month.

        `unit`: only the appeals of that unit's tickets (a chief's list), as its report and
        follow-ups count them (`unit_scope.ticket_of_unit`), not of the clerks whose account
        names the unit: catch the facts up first."""
        def work(conn: Connection) -> list[Appeal]:
            pending = rating_appeals.c.status == "pending"
            query = select(rating_appeals.c.id).order_by(
                case((pending, 0), else_=1), case((pending, rating_appeals.c.filed_at), else_=-rating_appeals.c.decided_at),
                rating_appeals.c.id,
            )
            if status:
                query = query.where(rating_appeals.c.status == status)
            if unit is not None:
                query = query.where(ticket_of_unit(rating_appeals.c.ticket_id, unit))
            return [_appeal(conn, i) for i in conn.execute(query).scalars()]

        return await self.database.read(work)


def _appeal(conn: Connection, appeal_id: int) -> Appeal:
    row = conn.execute(
        select(rating_appeals, tickets.c.number, tickets.c.hall_day).join(tickets, tickets.c.id == rating_appeals.c.ticket_id)
        .where(rating_appeals.c.id == appeal_id)
    ).one()._mapping
    return Appeal(row["id"], row["ticket_id"], row["number"], row["hall_day"], row["staff_id"], row["rating"], row["reason"],
                  row["filed_at"], row["status"], row["decided_by"], row["decided_at"], row["decision_reason"])
