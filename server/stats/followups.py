"""Bad-rating follow-up (差评回访整改): every rating of 1 or 2 is verified with the citizen and, when
it holds, rectified, within working-day deadlines (国办发〔2019〕51号; HALL.md, Evaluation).

A follow-up row is made for each bad rating from the `ticket.rated` events, read past a watermark
like the fact builder reads them, not by a hook in the engine's rating transaction: the engine
stays the one writer of ratings, a rating given while this service was down is still found, and
the dashboard counts a small table instead of scanning every rated ticket on each refresh.

States: contact (待回访) -> rectify (已回访待整改) -> closed (已办结). Contact is recorded as
attempts: reached, or unreachable after `rules.followup_attempts` failed calls (then the hall
verifies by its own means). A citizen found unreachable may leave a number that answers, once,
before the finding: the contact opens again for it (待再次回访), with the set calls to that number,
still due by the rectification deadline (the contact deadline was met by the calls made). The finding (属实 / 部分属实 / 不属实) follows; an unfounded one closes
the follow-up, a founded one waits for the rectification (整改措施), which closes it. Each step is
a row update and a ticket event (the audit trail, as appeals keep theirs).

The citizen may leave a call-back number from the status page. It is personal data kept only for
the call: masked to everyone but the manager or chief who works the follow-up, never written to
an event, and erased when the follow-up closes.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from server.config.models import HallConfig
from server.engine.clock import Clock
from server.engine.hours import hall_day, working_days_after
from server.engine.views import HallEvent
from server.errors import HallQError, bad_request, invalid_state, not_found
from server.events import EventBus
from server.stats.appeals import rating_event
from server.stats.unit_scope import ticket_of_unit
from server.stats.watermarks import read_watermark, write_watermark
from server.storage.db import Database
from server.storage.schema import rating_followups, ticket_events, tickets

WATERMARK = "followups"
STATES = ("contact", "rectify", "closed")
STATE_ZH = {"contact": "待回访", "rectify": "已回访待整改", "closed": "已办结"}
CONTACTED_ZH = {"reached": "已回访待核实", "unreachable": "无法联系，待核实"}
"""A follow-up whose contact is recorded, by its result, but whose finding is not yet."""
AGAIN_ZH = "待再次回访"
"""A follow-up whose citizen, found unreachable, left a new number that has not been called yet."""
FINDINGS = {"substantiated": "属实", "partly": "部分属实", "unfounded": "不属实"}
RESULTS_ZH = {"reached": "联系上", "unreachable": "无法联系"}
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")  # area code (3-4 digits with the 0) and a 7-8 digit number


def normalise_phone(raw: str) -> str:
    """The digits of a mainland mobile (11 digits, 1[3-9]...) or a landline with its area code
    (0571-88881234); spaces and dashes as people type them are dropped. Anything else is refused
    with what to type instead."""
    digits = re.sub(r"[\s\-]", "", raw or "")
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    raise bad_request("a phone number is a mainland mobile (11 digits) or a landline with its area code",
                      "电话号码格式不正确：请填写11位手机号码，或带区号的固定电话（如 0571-88881234）")


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough for the citizen to recognise their number, not enough to call it."""
    return None if phone is None else f"{phone[:3]}****{phone[-4:]}"


@dataclass(frozen=True)
class FollowUp:
    id: int
    ticket_id: int
    number: str
    hall_day: date
    rated_day: date
    staff_id: str | None
    window_id: str | None
    rating: int
    state: str
    state_zh: str
    contact_due: date
    rectify_due: date
    due: date | None
    """The deadline of the step now open (contact, then rectification); None once closed."""
    overdue: bool
    phone: str | None
    """In full only for the manager or chief working it; masked otherwise; None once closed."""
    attempts: int
    last_attempt_at: float | None
    phone_left_at: float | None
    new_number_at: float | None
    """When the citizen, found unreachable, left a new number (the contact opened again, once)."""
    contact_result: str | None
    contacted_by: str | None
    contacted_at: float | None
    finding: str | None
    finding_note: str | None
    found_by: str | None
    found_at: float | None
    rectification: str | None
    rectified_by: str | None
    rectified_at: float | None
    closed_at: float | None

    @property
    def calling(self) -> bool:
        """The hall has called the number left since it was left (calls made before, to a number
        it had from elsewhere, do not count), and has no result yet."""
        return (self.phone is not None and self.contact_result is None and self.last_attempt_at is not None
                and self.phone_left_at is not None and self.last_attempt_at >= self.phone_left_at)

    @property
    def takes_a_number(self) -> bool:
        """Whether the citizen may leave (or correct) a call-back number now: while the contact
        is still to be made, and not while the hall is calling the number left (a number being
        called is not replaced by whoever holds the paper ticket); and once, before the finding,
        after the set calls found nobody. Once the citizen is reached the hall goes on to its
        finding: a number then would be called by nobody."""
        if self.state != "contact" or self.calling:
            return False
        return self.contact_result is None or (self.contact_result == "unreachable" and self.new_number_at is None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"finding_zh": FINDINGS.get(self.finding or ""),
                               "contact_result_zh": RESULTS_ZH.get(self.contact_result or "")}


def _view(row: Any, number: str, today: date, reveal: bool) -> FollowUp:
    m = row._mapping
    contacted = m["state"] == "contact" and m["contact_result"] is not None
    again = m["state"] == "contact" and m["contact_result"] is None and m["new_number_at"] is not None
    # Once the citizen has been called, the step open is the finding and the rectification, due by
    # the rectification deadline: the contact deadline is met, and must not make it overdue; nor
    # does a new number the citizen left after the calls found nobody.
    due = m["rectify_due"] if contacted or again else {"contact": m["contact_due"], "rectify": m["rectify_due"]}.get(m["state"])
    phone = m["phone"] if reveal else mask_phone(m["phone"])
    state_zh = CONTACTED_ZH[m["contact_result"]] if contacted else AGAIN_ZH if again else STATE_ZH[m["state"]]
    return FollowUp(
        m["id"], m["ticket_id"], number, m["hall_day"], m["rated_day"], m["staff_id"], m["window_id"], m["rating"],
        m["state"], state_zh, m["contact_due"], m["rectify_due"], due, due is not None and today > due,
        phone, m["attempts"], m["last_attempt_at"], m["phone_left_at"], m["new_number_at"], m["contact_result"], m["contacted_by"],
        m["contacted_at"], m["finding"], m["finding_note"], m["found_by"], m["found_at"], m["rectification"],
        m["rectified_by"], m["rectified_at"], m["closed_at"],
    )


def catch_up(conn: Connection, config: HallConfig) -> int:
    """Make the follow-ups of the bad ratings given since the watermark; how many were made.
    The deadlines are fixed when the row is made: a later change of the rules does not move the
    deadline of a complaint already being worked."""
    mark = read_watermark(conn, WATERMARK)
    last = conn.execute(select(func.max(ticket_events.c.seq))).scalar()
    if last is None or int(last) <= mark:
        return 0
    rules = config.rules
    rated = conn.execute(
        select(ticket_events.c.ticket_id, ticket_events.c.at, ticket_events.c.hall_day, ticket_events.c.staff_id,
               ticket_events.c.window_id, tickets.c.rating, tickets.c.hall_day.label("visit_day"))
        .join(tickets, tickets.c.id == ticket_events.c.ticket_id)
        .where(ticket_events.c.seq > mark, ticket_events.c.seq <= last, ticket_events.c.kind == "ticket.rated",
               tickets.c.rating <= 2)
        .order_by(ticket_events.c.seq)
    ).all()
    made = 0
    for r in rated:
        if conn.execute(select(rating_followups.c.id).where(rating_followups.c.ticket_id == r.ticket_id)).first():
            continue
        conn.execute(insert(rating_followups), {
            "ticket_id": r.ticket_id, "hall_day": r.visit_day, "rated_day": r.hall_day, "rated_at": r.at,
            "staff_id": r.staff_id, "window_id": r.window_id, "rating": r.rating, "state": "contact", "attempts": 0,
            "contact_due": working_days_after(config, r.hall_day, rules.followup_contact_days),
            "rectify_due": working_days_after(config, r.hall_day, rules.followup_rectify_days),
        })
        made += 1
    write_watermark(conn, int(last), WATERMARK)
    return made


# How far the watermark may lag with no bad rating past it before a write moves it on: every
# look (each dashboard refresh) wrote the watermark in a busy hall, a commit for nothing.
LAG_EVENTS = 5000


def _behind(conn: Connection) -> bool:
    """Whether a bad rating was given past the watermark, or the watermark lags far enough to be
    worth moving (the scan past it grows with the day's events)."""
    mark = read_watermark(conn, WATERMARK)
    last = conn.execute(select(func.max(ticket_events.c.seq))).scalar()
    if last is None or int(last) <= mark:
        return False
    if int(last) - mark > LAG_EVENTS:
        return True
    return conn.execute(
        select(ticket_events.c.seq).join(tickets, tickets.c.id == ticket_events.c.ticket_id)
        .where(ticket_events.c.seq > mark, ticket_events.c.kind == "ticket.rated", tickets.c.rating <= 2).limit(1)
    ).first() is not None


def of_unit(unit: str) -> Any:
    """The bad ratings a unit's chief representative works: those of the unit's tickets, as its
    report counts them (`unit_scope.ticket_of_unit`, as the appeals they see). Scoped by the
    clerk's account unit before, a chief saw a bad rating in their unit's report (a 综合窗口 clerk
    of no unit serving their queue) without its follow-up, and the follow-ups of their own
    people's work for other units, which their report did not count."""
    return ticket_of_unit(rating_followups.c.ticket_id, unit)


@dataclass(frozen=True)
class FollowUpCounts:
    """The dashboard's figures: follow-ups open, and those past the deadline of their open step."""

    open: int
    overdue: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FollowUpFigures:
    """What the hall reports for a period's bad ratings (by visit day): how many, how many were
    contacted (reached or unreachable after the set attempts) by the contact deadline, and how
    many were closed by the rectification deadline. Both rates are of all bad ratings: a rating
    not followed up at all counts against them, not out of them. Those whose deadline has not come
    yet are counted apart too (`contact_not_due`, `close_not_due`): a month exported on the 1st
    read 0 of 32 contacted on time, every one of them still within its deadline."""

    bad_ratings: int
    contacted_on_time: int
    closed_on_time: int
    still_open: int
    contact_not_due: int = 0
    close_not_due: int = 0

    @property
    def contact_rate(self) -> float | None:
        return self.contacted_on_time / self.bad_ratings if self.bad_ratings else None

    @property
    def closed_rate(self) -> float | None:
        return self.closed_on_time / self.bad_ratings if self.bad_ratings else None

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"contact_rate": self.contact_rate, "closed_rate": self.closed_rate}


def period_figures(conn: Connection, config: HallConfig, start: date, end: date, today: date,
                   unit: str | None = None) -> FollowUpFigures:
    """The period's figures as they stand on hall day `today`, of the whole hall or of one unit's
    tickets (`of_unit`)."""
    rows = conn.execute(
        select(rating_followups.c.staff_id, rating_followups.c.contact_due, rating_followups.c.rectify_due,
               rating_followups.c.contacted_at, rating_followups.c.closed_at, rating_followups.c.state)
        .where(rating_followups.c.hall_day >= start, rating_followups.c.hall_day <= end,
               *([of_unit(unit)] if unit is not None else []))
    ).all()
    contacted = sum(r.contacted_at is not None and hall_day(config, r.contacted_at) <= r.contact_due for r in rows)
    closed = sum(r.closed_at is not None and hall_day(config, r.closed_at) <= r.rectify_due for r in rows)
    return FollowUpFigures(len(rows), contacted, closed, sum(r.state != "closed" for r in rows),
                           contact_not_due=sum(r.contacted_at is None and r.contact_due >= today for r in rows),
                           close_not_due=sum(r.closed_at is None and r.rectify_due >= today for r in rows))


class FollowUps:
    """The follow-up steps, each one transaction with its event published after the commit."""

    def __init__(self, database: Database, config: HallConfig, clock: Clock, bus: EventBus) -> None:
        self.database, self.config, self.clock, self.bus = database, config, clock, bus

    def today(self) -> date:
        return hall_day(self.config, self.clock.now())

    async def sync(self) -> None:
        """Make the rows of the bad ratings given since the last look; a read when there are none."""
        if await self.database.read(_behind):
            await self.database.write(lambda c: catch_up(c, self.config))

    async def _step(self, followup_id: int, unit: str | None, step: Any) -> FollowUp:
        """Run `step(conn, row, now)` on a follow-up the caller may work: the whole hall's for a
        manager (unit None), the bad ratings of their unit's tickets for a chief (`of_unit`). `step`
        returns the event kind and payload, or raises to change nothing."""
        await self.sync()
        now = self.clock.now()

        def work(conn: Connection) -> tuple[FollowUp, HallEvent]:
            row = conn.execute(select(rating_followups).where(rating_followups.c.id == followup_id)).first()
            if row is None:
                raise not_found("follow-up", "差评回访", followup_id)
            if unit is not None and conn.execute(
                    select(rating_followups.c.id).where(rating_followups.c.id == followup_id, of_unit(unit))).first() is None:
                raise HallQError("not_your_unit", "只能处理本单位办件的差评回访",
                                 "a chief works only the follow-ups of their own unit's tickets", 403)
            if row.state == "closed":
                raise HallQError("followup_closed", "该差评回访已办结，不能再修改", f"follow-up {followup_id} is closed", 409)
            kind, payload = step(conn, row, now)
            ticket = conn.execute(select(tickets).where(tickets.c.id == row.ticket_id)).one()
            event = rating_event(conn, self.config, kind, ticket, row.staff_id, payload | {"followup_id": followup_id}, now)
            return _read(conn, followup_id, hall_day(self.config, now), True), event

        followup, event = await self.database.write(work)
        self.bus.publish(event)
        return followup

    async def attempt(self, followup_id: int, by: str, unit: str | None, reached: bool, note: str) -> FollowUp:
        """One call to the citizen: reached, or not (the Nth failed one makes them unreachable)."""
        limit = self.config.rules.followup_attempts

        def step(conn: Connection, row: Any, now: float) -> tuple[str, dict[str, Any]]:
            if row.state != "contact" or row.contact_result is not None:
                raise HallQError("already_contacted", "回访结果已记录，请填写核实结论",
                                 "the contact has been recorded already; record the finding", 409)
            attempts = row.attempts + 1
            result = "reached" if reached else ("unreachable" if attempts >= limit else None)
            values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now}
            if result is not None:
                values |= {"contact_result": result, "contacted_by": by, "contacted_at": now}
            conn.execute(update(rating_followups).where(rating_followups.c.id == row.id).values(**values))
            return "rating.followup_attempt", {"by": by, "attempt": attempts, "reached": reached, "result": result, "note": note}

        return await self._step(followup_id, unit, step)

    async def find(self, followup_id: int, by: str, unit: str | None, finding: str, note: str) -> FollowUp:
        """核实结论: an unfounded complaint closes the follow-up (the call explained it); a founded
        one waits for its rectification."""
        if finding not in FINDINGS:
            raise bad_request(f"finding must be one of {', '.join(FINDINGS)}", "核实结论应为：属实、部分属实或不属实")
        limit = self.config.rules.followup_attempts

        def step(conn: Connection, row: Any, now: float) -> tuple[str, dict[str, Any]]:
            if row.state != "contact":
                raise HallQError("already_found", "核实结论已记录，请填写整改措施", "the finding has been recorded already", 409)
            if row.contact_result is None:
                raise HallQError("not_contacted", f"请先记录回访：联系上市民，或联系{limit}次未果后再填写核实结论",
                                 f"record the contact first (reached, or {limit} failed attempts)", 409,
                                 {"attempts": row.attempts, "needed": limit})
            values: dict[str, Any] = {"finding": finding, "finding_note": note, "found_by": by, "found_at": now}
            if finding == "unfounded":
                values |= {"state": "closed", "closed_at": now, "phone": None}
            else:
                values["state"] = "rectify"
            conn.execute(update(rating_followups).where(rating_followups.c.id == row.id).values(**values))
            return "rating.followup_finding", {"by": by, "finding": finding, "note": note, "closed": finding == "unfounded"}

        return await self._step(followup_id, unit, step)

    async def rectify(self, followup_id: int, by: str, unit: str | None, measures: str) -> FollowUp:
        """整改措施 recorded and fed back: the follow-up closes and the citizen's number is erased."""
        def step(conn: Connection, row: Any, now: float) -> tuple[str, dict[str, Any]]:
            if row.state != "rectify":
                raise HallQError("no_finding", "请先记录回访和核实结论（属实或部分属实）后再填写整改措施",
                                 "rectification follows a substantiated finding", 409)
            conn.execute(update(rating_followups).where(rating_followups.c.id == row.id).values(
                rectification=measures, rectified_by=by, rectified_at=now, state="closed", closed_at=now, phone=None))
            return "rating.followup_rectified", {"by": by, "measures": measures}

        return await self._step(followup_id, unit, step)

    async def leave_phone(self, ticket_id: int, phone: str) -> FollowUp:
        """The citizen's call-back number, from their status page (the ticket token is the
        credential, as for the rating itself), while `takes_a_number`. After the calls found
        nobody it opens the contact again, with the set calls to the new number. The event says
        that a number was left, not which."""
        number = normalise_phone(phone)
        await self.sync()
        now = self.clock.now()

        def work(conn: Connection) -> tuple[FollowUp, HallEvent]:
            row = conn.execute(select(rating_followups).where(rating_followups.c.ticket_id == ticket_id)).first()
            if row is None:
                raise invalid_state("only a bad rating (1 or 2) is followed up", "只有“不满意”或“非常不满意”的评价才会回访")
            if row.state == "closed":
                raise HallQError("followup_closed", "该评价的回访已办结，感谢您的反馈", "the follow-up is closed", 409)
            current = _view(row, "", hall_day(self.config, now), True)
            if current.calling:
                raise HallQError("phone_already_left", f"工作人员正在按您留下的电话 {mask_phone(current.phone)} 回访，请留意来电",
                                 "the hall is calling the number left; it is not replaced", 409)
            if not current.takes_a_number and current.contact_result == "unreachable":
                raise HallQError("already_contacted", "工作人员按您留下的新号码仍未能联系上您，大厅将另行核实处理，感谢您的反馈",
                                 "the new number left after the set calls was unreachable too; the hall verifies by its own means",
                                 409)
            if not current.takes_a_number:
                raise HallQError("already_contacted", "工作人员已就您的评价与您联系过，无需再留电话，感谢您的反馈",
                                 "the hall has reached the citizen about this rating already", 409)
            values: dict[str, Any] = {"phone": number, "phone_left_at": now}
            again = current.contact_result == "unreachable"
            if again:  # the contact opens again, for the set calls to this number
                values |= {"new_number_at": now, "contact_result": None, "contacted_by": None, "contacted_at": None,
                           "attempts": 0, "last_attempt_at": None}  # the calls to the old number: in the events
            conn.execute(update(rating_followups).where(rating_followups.c.id == row.id).values(**values))
            ticket = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).one()
            event = rating_event(conn, self.config, "rating.followup_phone", ticket, row.staff_id,
                                 {"followup_id": row.id, "phone_left": True} | ({"after_unreachable": True} if again else {}), now)
            return _read(conn, row.id, hall_day(self.config, now), False), event

        followup, event = await self.database.write(work)
        self.bus.publish(event)
        return followup

    async def of_ticket(self, ticket_id: int) -> FollowUp | None:
        """A ticket's follow-up as its citizen may see it (the number masked), or None."""
        await self.sync()
        today = self.today()

        def read(conn: Connection) -> FollowUp | None:
            fid = conn.execute(select(rating_followups.c.id).where(rating_followups.c.ticket_id == ticket_id)).scalar()
            return None if fid is None else _read(conn, fid, today, False)

        return await self.database.read(read)

    async def list(self, unit: str | None, state: str | None = None,
                   reveal: bool = True, ticket_ids: set[int] | None = None, open_only: bool = False) -> list[FollowUp]:
        """Open ones first, the earliest deadline first (the work in the order it falls due), then
        the closed ones, latest first. A chief's (unit) are those of their unit's tickets
        (`of_unit`); a clerk's bad ratings' (ticket_ids, reveal False) with the number masked."""
        await self.sync()
        today = self.today()

        def read(conn: Connection) -> list[FollowUp]:
            query = select(rating_followups, tickets.c.number).join(tickets, tickets.c.id == rating_followups.c.ticket_id)
            if state:
                query = query.where(rating_followups.c.state == state)
            if open_only:
                query = query.where(rating_followups.c.state != "closed")
            if ticket_ids is not None:
                query = query.where(rating_followups.c.ticket_id.in_(ticket_ids))
            if unit is not None:
                query = query.where(of_unit(unit))
            rows = conn.execute(query).all()
            views = [_view(r, r.number, today, reveal) for r in rows]
            pending = sorted((v for v in views if v.due is not None), key=lambda v: (v.due, v.id))
            closed = sorted((v for v in views if v.due is None), key=lambda v: -(v.closed_at or 0))
            return pending + closed

        return await self.database.read(read)

    async def counts(self, unit: str | None) -> FollowUpCounts:
        items = await self.list(unit, open_only=True)  # the closed ones grow every month: not read here
        return FollowUpCounts(sum(f.state != "closed" for f in items), sum(f.overdue for f in items))


def _read(conn: Connection, followup_id: int, today: date, reveal: bool) -> FollowUp:
    row = conn.execute(
        select(rating_followups, tickets.c.number).join(tickets, tickets.c.id == rating_followups.c.ticket_id)
        .where(rating_followups.c.id == followup_id)
    ).one()
    return _view(row, row.number, today, reveal)
