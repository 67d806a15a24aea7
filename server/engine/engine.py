"""The queue engine: every hall rule that changes a ticket or a window, one transaction each.

The hub is the only writer of hall state. Each action runs under one lock and in one database
transaction that updates the ticket and appends its event (whose primary key is the stream's
sequence number); the ledger of state intervals that the statistics read follows from the events
(server/stats/intervals.py). Events are published on the bus only after the commit, so nothing is
announced that was not stored.
"""
from __future__ import annotations

import math
import secrets
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement

from display.board.model import CALL_KINDS, LEAVE_KINDS
from server.config.models import HallConfig, Window
from server.engine.clock import Clock
from server.engine.hours import HallCalendar, IssuingState, describe_closed, next_opening, open_minutes_left
from server.engine.idempotency import legacy_key, stored_key
from server.engine.personal import mask_code, mask_person_id, person_id_problem, person_key
from server.engine.views import (
    OPEN_STATUSES,
    BackOfficeLoad,
    HallEvent,
    IssueRequest,
    IssueResult,
    QueueView,
    TicketStatus,
    TicketView,
    TransferTarget,
    WindowView,
)
from server.errors import HallQError, bad_request, invalid_state, not_found
from server.events import EventBus
from server.storage import statements as sql
from server.storage.direct import direct
from server.storage.db import Database
from server.storage.schema import (
    appointments,
    day_counters,
    queue_day_counts,
    ticket_events,
    tickets,
    window_states,
)

DEFAULT_SERVICE_MIN = 8.0
CLOSE_LOOKBACK_DAYS = 45
T = TypeVar("T")


QUEUE_SOLD_OUT_ZH = "今日该业务号已取完"
ITEM_SOLD_OUT_ZH = "今日该事项号已取完"


@dataclass
class _Txn:
    """One open transaction and the events it will publish once committed."""

    conn: Connection
    now: float
    day: date
    acting_staff: str | None = None  # the signed-in person acting at a window, if not a device
    events: list[HallEvent] = field(default_factory=list)


@dataclass(frozen=True)
class _Waiting:
    """Waiting tickets of a queue: in its line and sent to one of its windows, added up."""

    waiting: int = 0
    waiting_priority: int = 0
    oldest: float | None = None

    def add(self, count: int, priority: int | None, oldest: float | None) -> _Waiting:
        times = [t for t in (self.oldest, oldest) if t is not None]
        return _Waiting(self.waiting + int(count), self.waiting_priority + int(priority or 0), min(times, default=None))


@dataclass(frozen=True)
class _QueueFigures:
    """A queue's line length, mean service time and open windows today (statements.queue_figures)."""

    in_line: int
    finished: int
    service_s: float
    open_windows: int

    @property
    def service_min(self) -> float:
        """Minutes a window takes per person (blended_service_min of today's services)."""
        return blended_service_min(self.service_s, self.finished)

    @classmethod
    def of(cls, in_line: int | None, finished: int | None, service_s: float | None, open_windows: int) -> _QueueFigures:
        """From a queue_day_counts row's values (None: no row yet today)."""
        return cls(int(in_line or 0), int(finished or 0), float(service_s or 0.0), int(open_windows))


PRIOR_SERVICES = 5
"""How many services at DEFAULT_SERVICE_MIN the day starts with in the estimate's mean."""


def blended_service_min(service_s: float, finished: int) -> float:
    """Today's mean service time, started from PRIOR_SERVICES at the default: a mean of the day's
    first one or two services told citizens 约1分钟 for four people after one quick 咨询 (0.02 min).
    After twenty services today's own times carry four fifths of it."""
    return (service_s / 60.0 + PRIOR_SERVICES * DEFAULT_SERVICE_MIN) / (finished + PRIOR_SERVICES)


_STATUS_ZH = {
    TicketStatus.CALLED: "已被呼叫", TicketStatus.SERVING: "正在办理", TicketStatus.ON_HOLD: "已在其他窗口挂起",
    TicketStatus.FINISHED: "已办结", TicketStatus.NO_SHOW: "已过号（可过号重排）", TicketStatus.CANCELLED: "已取消",
    TicketStatus.CLOSED: "已结束",
}


def _why_not_callable(config: HallConfig, m: Any, window_id: str) -> str:
    """Why a ticket cannot be called at `window_id`, as the clerk needs to hear it (it said only
    当前不能在本窗口呼叫 for a ticket finished an hour ago)."""
    if m["status"] == TicketStatus.WAITING:
        target = config.window(m["target_window"]) if m["target_window"] not in (None, window_id) else None
        return f"已转给{target.name}办理" if target is not None else "不属于本窗口的队列"
    return _STATUS_ZH.get(m["status"], "当前状态不能呼叫")


def _ticket_view(row: Row[Any]) -> TicketView:
    m = row._mapping
    return TicketView(
        id=m["id"],
        number=m["number"],
        hall_day=m["hall_day"],
        queue=m["queue"],
        zone=m["zone"],
        item_code=m["item_code"],
        status=m["status"],
        priority=m["priority"] > 0,
        priority_class=m["priority_class"],
        appointment=m["appointment_code"] is not None and m["priority"] > 0,
        issued_at=m["issued_at"],
        queued_at=m["queued_at"],
        leg=m["leg"],
        window_id=m["window_id"],
        target_window=m["target_window"],
        called_at=m["called_at"],
        call_count=m["call_count"],
        served_at=m["served_at"],
        finished_at=m["finished_at"],
        outcome=m["outcome"],
        rating=m["rating"],
        person_masked=m["person_masked"],
        printed=m["printed"],
        status_token=m["status_token"],
    )


class QueueEngine:
    """Applies HALL.md's rules. Construct one per hub; it holds no hall state in memory."""

    def __init__(self, database: Database, config: HallConfig, clock: Clock, bus: EventBus, secret: bytes):
        self.database = database
        self.config = config
        self._calendar = HallCalendar(config)
        self.clock = clock
        self.bus = bus
        self._secret = secret
        self._tz = ZoneInfo(config.hall.timezone)
        self._ticket_updates: dict[frozenset[str], Any] = {}
        serving = {q.prefix: tuple(w.id for w in config.windows if q.prefix in w.queues) for q in config.queues}
        self._serving = serving
        self._back_offices = frozenset(w.id for w in config.windows if w.kind == "back_office")
        self._window_numbers = {
            q.prefix: tuple(sorted(w.number for w in config.windows if q.prefix in w.queues and w.number is not None
                                   and w.kind == "window"))
            for q in config.queues
        }
        self._queue_figures = {prefix: sql.queue_figures(ids) for prefix, ids in serving.items()}
        self._heads: dict[tuple[str, ...], Any] = {}  # the heads_of_lines statement of each set of queues
        # Items with their own daily cap: looked up by every queue view, out of ~900 items.
        self._capped_items = {item.code: item for item in config.items if item.daily_cap is not None}

    # ------------------------------------------------------------------ plumbing
    async def _write(self, work: Callable[[_Txn], T], staff: str | None = None) -> T:
        """Run one action's transaction; its events are published once it has committed, in
        commit order (the database runs `after` before any later transaction's).

        `staff` is who acts at a window through the API: that it is their window is checked in
        the same transaction as the action (`_staffed_window`), so nobody else's login can slip in
        between the check and the act, and no separate read is needed. Devices (call-pads, bound to
        their window) pass None."""

        def run(conn: Connection) -> tuple[T, list[HallEvent]]:
            now = self.clock.now()
            txn = _Txn(conn, now, self._calendar.day(now), staff)
            return work(txn), txn.events

        def publish(outcome: tuple[T, list[HallEvent]]) -> None:
            for event in outcome[1]:
                self.bus.publish(event)

        result, _ = await self.database.write(run, after=publish)
        return result

    def _event(
        self,
        txn: _Txn,
        kind: str,
        *,
        ticket: Row[Any] | None = None,
        window_id: str | None = None,
        staff_id: str | None = None,
        zone: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> HallEvent:
        m = ticket._mapping if ticket is not None else {}
        window = self.config.window(window_id) if window_id else None
        values: dict[str, Any] = {
            "at": txn.now,
            "hall_day": txn.day,
            "kind": kind,
            "ticket_id": m.get("id"),
            "number": m.get("number"),
            "zone": zone or m.get("zone") or (window.zone if window else None),
            "queue": m.get("queue"),
            "window_id": window_id,
            "staff_id": staff_id,
            "payload": payload or {},
        }
        result = txn.conn.execute(sql.INSERT_EVENT, values)
        event = HallEvent(seq=result.scalar_one(), **{k: v for k, v in values.items() if k != "hall_day"})
        txn.events.append(event)
        return event

    def _update_ticket(self, txn: _Txn, ticket_id: int, **values: Any) -> Row[Any]:
        columns = frozenset(values)
        statement = self._ticket_updates.get(columns)
        if statement is None:
            statement = direct(
                update(tickets)
                .where(tickets.c.id == bindparam("_tid"))
                .values({name: bindparam(f"_v_{name}") for name in columns})
                .returning(*tickets.c)
            )
            self._ticket_updates[columns] = statement
        params = {f"_v_{name}": value for name, value in values.items()}
        params["_tid"] = ticket_id
        return txn.conn.execute(statement, params).one()

    def _window(self, window_id: str) -> Window:
        window = self.config.window(window_id)
        if window is None:
            raise not_found("window", "窗口", window_id)
        return window

    def _window_state(self, conn: Connection, window_id: str) -> Row[Any] | None:
        return conn.execute(sql.WINDOW_STATE, {"window": window_id}).first()

    def _staffed_window(self, txn: _Txn, window_id: str) -> Row[Any]:
        self._window(window_id)
        state = self._window_state(txn.conn, window_id)
        if txn.acting_staff is not None and (state is None or state._mapping["staff_id"] != txn.acting_staff):
            raise HallQError(
                "not_your_window", "您未登录该窗口", f"{txn.acting_staff} is not logged in at {window_id}", 403
            )
        if state is None or state._mapping["staff_id"] is None:
            raise HallQError("window_closed", "该窗口未登录", f"nobody is logged in at window {window_id}", 409)
        return state

    def _current_ticket(self, txn: _Txn, window_id: str, *allowed: TicketStatus) -> Row[Any]:
        state = self._staffed_window(txn, window_id)
        ticket_id = state._mapping["current_ticket_id"]
        if ticket_id is None:
            raise invalid_state(f"window {window_id} has no current ticket", "当前窗口没有正在办理的号")
        row = txn.conn.execute(sql.TICKET_BY_ID, {"tid": ticket_id}).one()
        if allowed and row._mapping["status"] not in allowed:
            raise invalid_state(
                f"ticket {row._mapping['number']} is {row._mapping['status']}",
                f"{row._mapping['number']}号当前状态不允许此操作",
                status=row._mapping["status"],
            )
        return row

    def _set_current(self, txn: _Txn, window_id: str, ticket_id: int | None) -> None:
        txn.conn.execute(sql.SET_CURRENT_TICKET, {"window": window_id, "tid": ticket_id})

    def _ticket_by_number(self, conn: Connection, day: date, number: str) -> Row[Any]:
        # Full-width Ａ１００５ (a Chinese input method's full-width mode) is the same number.
        typed = unicodedata.normalize("NFKC", number).strip().upper()
        row = conn.execute(sql.TICKET_BY_NUMBER, {"day": day, "number": typed}).first()
        if row is None:
            raise not_found("ticket", "票号", number)
        return row

    # ------------------------------------------------------------------ issuing
    async def issue(self, request: IssueRequest) -> IssueResult:
        if request.idempotency_key is not None and not (0 < len(request.idempotency_key) <= 100):
            raise bad_request("idempotency key must be 1-100 characters", "幂等键长度应为1-100个字符")
        key = legacy = None
        if request.idempotency_key:
            key, legacy = stored_key(request.device, request.idempotency_key), legacy_key(request.device, request.idempotency_key)
        def work(txn: _Txn) -> Any:
            if key is not None:
                existing = txn.conn.execute(sql.TICKET_BY_IDEMPOTENCY_KEY, {"key": key, "legacy": legacy}).first()
                if existing is not None:
                    self._check_same_request(txn.conn, existing, request, txn.day)
                    return self._issue_result(txn.conn, existing, replayed=True)
            state = self._calendar.issuing(txn.now)
            # Stop-issuing keeps new walk-ins out before closing; a citizen who booked a slot in
            # that last half hour (or arrives within its grace) already holds a place, as a
            # ticket holder does, and is served. They were turned away at the kiosk. So is one
            # who comes early for the first slot of a session (before opening, at lunch).
            if not state.open and not (state.takes_appointments and request.appointment_code):
                raise self._issuing_closed(state)
            queue_prefix, priority, appointment, item_code = self._resolve_issue_target(txn, request)
            if not state.open and not priority:
                raise self._issuing_closed(state)  # too late for the slot: a walk-in like any other
            queue = self.config.queue(queue_prefix)
            assert queue is not None
            self._check_caps(txn, request, queue_prefix, queue.daily_cap)
            seq = self._next_number(txn, queue_prefix)
            number = self.config.ticket_number(queue_prefix, seq)
            pkey = person_key(self._secret, request.person_id) if request.person_id else None
            row = txn.conn.execute(
                sql.INSERT_TICKET,
                {
                    "hall_day": txn.day,
                    "prefix": queue_prefix,
                    "seq": seq,
                    "number": number,
                    "queue": queue_prefix,
                    "zone": queue.zone,
                    "item_code": item_code,
                    "status": TicketStatus.WAITING,
                    "priority": 1 if priority else 0,
                    "priority_class": request.priority_class,
                    "appointment_code": appointment,
                    "issued_at": txn.now,
                    "queued_at": txn.now,
                    "sort_key": txn.now,
                    "leg": 1,
                    "call_count": 0,
                    "person_key": pkey,
                    "person_masked": mask_person_id(request.person_id) if request.person_id else None,
                    "idempotency_key": key,
                    "device": request.device,
                    "auto_closed": False,
                    "status_token": secrets.token_urlsafe(12),
                },
            ).one()
            if appointment is not None:
                txn.conn.execute(
                    update(appointments)
                    .where(appointments.c.code == appointment)
                    .values(status="checked_in", ticket_id=row._mapping["id"])
                )
            self._event(
                txn,
                "ticket.issued",
                ticket=row,
                payload={"priority": priority, "item_code": item_code, "device": request.device},
            )
            return self._issue_result(txn.conn, row, replayed=False, fresh=True)
        return await self._write(work)

    def _check_same_request(self, conn: Connection, existing: Row[Any], request: IssueRequest, day: date) -> None:
        """A retry with an Idempotency-Key is answered with the ticket the key gave, only if it is
        the same request, today: a key sent again for another queue was answered with the first
        queue's ticket, and one reused on a later day with yesterday's closed ticket."""
        m = existing._mapping
        given = {
            "queue": request.queue if request.queue and not request.item_code and not request.appointment_code else m["prefix"],
            # A check-in's ticket carries the item booked, which the kiosk's request does not name.
            "item_code": request.item_code if not request.appointment_code else m["item_code"],
            "priority_class": request.priority_class,
            "appointment_code": self._booking_code(conn, request.appointment_code, m["appointment_code"]),
            "person_key": person_key(self._secret, request.person_id) if request.person_id else None,
        }
        recorded = {"queue": m["prefix"], "item_code": m["item_code"], "priority_class": m["priority_class"],
                    "appointment_code": m["appointment_code"], "person_key": m["person_key"]}
        if m["hall_day"] != day or given != recorded:
            differs = sorted(k for k in given if given[k] != recorded[k]) or ["hall_day"]
            raise HallQError(
                "idempotency_conflict", "该请求编号已用于另一张票，请重新取号",
                "this Idempotency-Key was used for a different request" + (" on an earlier day" if m["hall_day"] != day else ""),
                409, {"differs": differs},
            )

    def _booking_code(self, conn: Connection, given: str | None, recorded: str | None) -> str | None:
        """The booking a retried check-in names: an ID number read at the kiosk stands for the
        booking it checked in (the ticket records the booking's code, not the number)."""
        if given is None or given.strip() == recorded or recorded is None or person_id_problem(given) is not None:
            return given.strip() if given else None
        booked_by = conn.execute(select(appointments.c.person_key).where(appointments.c.code == recorded)).scalar()
        return recorded if booked_by == person_key(self._secret, given) else given.strip()

    @staticmethod
    def _issuing_closed(state: IssuingState) -> HallQError:
        """The refusal of a ticket while issuing is closed: why, in Chinese, and when it opens."""
        zh, en = describe_closed(state)
        return HallQError(
            "issuing_closed",
            zh,
            en,
            409,
            {"reason": state.reason, "next_opening": state.next_opening.isoformat() if state.next_opening else None,
             "appointments": state.takes_appointments},
        )

    def _resolve_issue_target(self, txn: _Txn, request: IssueRequest) -> tuple[str, bool, str | None, str | None]:
        """(queue prefix, priority, appointment code, item code) for a request, or a clear refusal."""
        if request.appointment_code:
            return self._check_in_appointment(txn, request.appointment_code)
        if request.priority_class is not None and request.priority_class not in self.config.rules.priority_classes:
            raise bad_request(
                f"unknown priority class {request.priority_class!r}",
                "未知的优先类别",
                allowed=sorted(self.config.rules.priority_classes),
            )
        priority = request.priority_class is not None
        if request.item_code:
            item = self.config.item(request.item_code)
            if item is None:
                raise not_found("item", "事项", request.item_code)
            if request.queue and request.queue != item.queue:
                raise bad_request("item and queue disagree", "事项与队列不一致", item_queue=item.queue)
            return item.queue, priority, None, request.item_code
        if request.queue:
            if self.config.queue(request.queue) is None:
                raise not_found("queue", "队列", request.queue)
            return request.queue, priority, None, None
        raise bad_request("give a queue, an item or an appointment code", "请选择办理事项")

    def _check_in_appointment(self, txn: _Txn, code: str) -> tuple[str, bool, str, str | None]:
        """The booking's queue, whether it is on time (priority), its code and the item booked:
        the ticket carries the item as a kiosk's would (it came out with none, and the status
        page named no 办理事项)."""
        row = (txn.conn.execute(select(appointments).where(appointments.c.code == code.strip()))).first()
        if row is None and person_id_problem(code) is None:
            row = self._appointment_of_person(txn, code)
        if row is None:
            # An ID card reader in keyboard mode "scans" the citizen's ID number into the kiosk as
            # a code: the refusal is shown on the kiosk's screen for all to read, so never in clear.
            raise not_found("appointment", "预约", mask_code(code))
        m = row._mapping
        code = m["code"]  # found by an ID number: name the booking, never the number
        if m["status"] != "booked":
            raise HallQError("appointment_used", "该预约已签到或已取消", f"appointment {code} is {m['status']}", 409)
        if m["hall_day"] != txn.day:
            raise HallQError(
                "appointment_other_day",
                f"该预约日期为{m['hall_day']:%m月%d日}，不是今天",
                f"appointment {code} is for {m['hall_day']}",
                409,
            )
        early = self.config.rules.appointment_early_min * 60
        late = self.config.rules.appointment_late_min * 60
        if txn.now < m["slot_start"] - early:
            start = datetime.fromtimestamp(m["slot_start"], self._tz)
            raise HallQError(
                "appointment_too_early",
                f"预约时段为{start:%H:%M}，请在开始前{self.config.rules.appointment_early_min}分钟内签到",
                f"appointment {code} opens for check-in {self.config.rules.appointment_early_min} min before {start:%H:%M}",
                409,
            )
        # Checked in within the slot (plus grace): served with priority; late: an ordinary ticket.
        on_time = txn.now <= m["slot_end"] + late
        return m["queue"], on_time, m["code"], m["item_code"]

    def _appointment_of_person(self, txn: _Txn, person_id: str) -> Row[Any] | None:
        """Today's appointment of the citizen whose ID card (or number) was read, the earliest open
        one first: an ID card reader at the kiosk types the number like a scanned code, and a
        citizen booked by ID who had not the code at hand could not check in (未找到预约)."""
        rows = txn.conn.execute(
            select(appointments)
            .where(appointments.c.person_key == person_key(self._secret, person_id), appointments.c.hall_day == txn.day)
            .order_by(appointments.c.slot_start)
        ).all()
        # A booking still open first; else one already used, so a second read says so (已签到).
        return next((r for r in rows if r._mapping["status"] == "booked"), rows[0] if rows else None)

    def _come_back(self, day: date) -> str:
        """When to come back once today's numbers are gone: the next day issuing opens, by date.
        It said 请明日再来 on a Friday and before a holiday, and citizens came to a closed hall."""
        tomorrow = datetime.combine(day + timedelta(days=1), time(0), self._tz)
        opening = next_opening(self.config, tomorrow - timedelta(microseconds=1))
        if opening is None:
            return "请改日再来"
        return "请明日再来" if opening.date() == tomorrow.date() else f"请于{opening:%m月%d日}再来"

    def _sold_out(self, cap: int | None, issued: int, day: date, what: str = QUEUE_SOLD_OUT_ZH) -> str | None:
        """The refusal a new ticket of a queue (or item) would meet today (its daily cap reached),
        for a kiosk to say before the citizen chooses, or None."""
        return f"{what}，{self._come_back(day)}" if cap is not None and issued >= cap else None

    def _sold_out_items(self, conn: Connection, day: date) -> dict[str, dict[str, str]]:
        """{queue: {item code: refusal}} of the items whose own daily cap is reached today. The
        kiosk learned it only after 确认取号 (今日该事项号已取完); one grouped read, and none for a
        hall without item caps (the sample hall has none)."""
        capped = self._capped_items
        if not capped:
            return {}
        counts = conn.execute(
            select(tickets.c.item_code, func.count())
            .where(tickets.c.hall_day == day, tickets.c.item_code.in_(sorted(capped)))
            .group_by(tickets.c.item_code)
        ).all()
        sold_out: dict[str, dict[str, str]] = {}
        for code, issued in counts:
            item = capped[code]
            refusal = self._sold_out(item.daily_cap, int(issued), day, ITEM_SOLD_OUT_ZH)
            if refusal is not None:
                sold_out.setdefault(item.queue, {})[code] = refusal
        return sold_out

    def _check_caps(self, txn: _Txn, request: IssueRequest, prefix: str, queue_cap: int | None) -> None:
        conn = txn.conn
        if queue_cap is not None:
            issued = conn.execute(sql.ISSUED_IN_QUEUE, {"day": txn.day, "prefix": prefix}).scalar()
            if (issued or 0) >= queue_cap:
                raise HallQError(
                    "cap_reached", f"{QUEUE_SOLD_OUT_ZH}，{self._come_back(txn.day)}", f"daily cap of queue {prefix} reached", 409,
                    {"cap": queue_cap, "scope": "queue"},
                )
        if request.item_code:
            item = self.config.item(request.item_code)
            if item is not None and item.daily_cap is not None:
                count = conn.execute(sql.ISSUED_FOR_ITEM, {"day": txn.day, "item": item.code}).scalar_one()
                if count >= item.daily_cap:
                    raise HallQError(
                        "cap_reached", f"{ITEM_SOLD_OUT_ZH}，{self._come_back(txn.day)}", f"daily cap of item {item.code} reached",
                        409, {"cap": item.daily_cap, "scope": "item"},
                    )
        if request.person_id:
            pkey = person_key(self._secret, request.person_id)
            count = conn.execute(sql.ISSUED_TO_PERSON, {"day": txn.day, "person": pkey}).scalar_one()
            if count >= self.config.rules.per_person_daily_cap:
                raise HallQError(
                    "person_cap_reached",
                    # What to do next, too: it said only the rule, and the citizen queued at the
                    # kiosk again or left without knowing the tickets taken still count.
                    f"每人每天最多取号{self.config.rules.per_person_daily_cap}次，您今天已取满。"
                    "请凭已取的号票等候叫号；如需办理其他业务，请到服务台咨询",
                    "per-person daily cap reached",
                    409,
                    {"cap": self.config.rules.per_person_daily_cap, "scope": "person"},
                )

    def _next_number(self, txn: _Txn, prefix: str) -> int:
        """Today's next number for a prefix: a row-locked counter, never reused within the day."""
        seq = txn.conn.execute(sql.BUMP_COUNTER, {"b_day": txn.day, "b_prefix": prefix}).scalar()
        if seq is None:
            txn.conn.execute(sql.INSERT_COUNTER, {"hall_day": txn.day, "prefix": prefix, "last_seq": 1})
            seq = 1
        return int(seq)

    def _issue_result(self, conn: Connection, row: Row[Any], *, replayed: bool, fresh: bool = False) -> IssueResult:
        """`fresh`: `row` was issued in this transaction, so it is at (or next to) the end of its line."""
        m = row._mapping
        figures = self._figures(conn, m["hall_day"], m["queue"])
        ahead = self._people_ahead(conn, row, figures if fresh else None)
        return IssueResult(_ticket_view(row), ahead, self._estimate_wait(figures, ahead), replayed)

    def _figures(self, conn: Connection, day: date, queue: str) -> _QueueFigures:
        statement = self._queue_figures.get(queue)
        if statement is None:  # a queue no longer configured (a ticket from before a change)
            statement = self._queue_figures[queue] = sql.queue_figures([])
        in_line, finished, seconds, open_windows = conn.execute(statement, {"day": day, "queue": queue}).one()
        return _QueueFigures.of(in_line, finished, seconds, open_windows)

    def _people_ahead(self, conn: Connection, row: Row[Any], figures: _QueueFigures | None = None) -> int:
        """The ticket's place in its queue's line. Given the line's length (`figures`), a ticket of
        the ordinary class counts those behind it instead of those ahead: for a new ticket nobody,
        where counting ahead read the whole line."""
        m = row._mapping
        if m["status"] != TicketStatus.WAITING:
            return 0
        params = {
            "day": m["hall_day"], "queue": m["queue"], "priority": m["priority"], "sort_key": m["sort_key"], "tid": m["id"]
        }
        if figures is not None and m["priority"] == 0 and m["target_window"] is None:
            return figures.in_line - 1 - int(conn.execute(sql.LINE_BEHIND, params).scalar_one())
        return int(conn.execute(sql.PEOPLE_AHEAD, params).scalar_one())

    @staticmethod
    def _estimate_wait(figures: _QueueFigures, ahead: int) -> int | None:
        if figures.open_windows == 0:
            return None
        return int(math.ceil(ahead * figures.service_min / figures.open_windows))

    async def mark_printed(self, ticket_id: int, printed: bool, detail: str | None = None, *, device: str | None = None) -> TicketView:
        """The kiosk reports whether the ticket came out of the printer; a failure is recorded.

        With `device`, only for a ticket that device issued, and once (a repeat of the same report,
        a retry after a lost answer, changes nothing): any kiosk could rewrite any ticket's print
        state, and read its masked ID, by walking the ids."""
        def work(txn: _Txn) -> Any:
            row = (txn.conn.execute(select(tickets).where(tickets.c.id == ticket_id))).first()
            if row is None or (device is not None and row._mapping["device"] != device):
                raise not_found("ticket", "票号", ticket_id)
            if device is not None and row._mapping["printed"] is not None:
                if row._mapping["printed"] == printed:
                    return _ticket_view(row)
                raise HallQError("already_reported", "该票的打印结果已报告", "printing of this ticket was reported already", 409)
            row = self._update_ticket(txn, ticket_id, printed=printed)
            kind = "ticket.printed" if printed else "ticket.print_failed"
            self._event(txn, kind, ticket=row, payload={"detail": detail} if detail else {})
            return _ticket_view(row)
        return await self._write(work)

    # ------------------------------------------------------------------ windows and staff
    async def login(self, window_id: str, staff_id: str) -> WindowView:
        self._window(window_id)
        def work(txn: _Txn) -> Any:
            # One person, one window: logging in elsewhere ends the previous window's session.
            elsewhere = (
                txn.conn.execute(
                    select(window_states).where(
                        window_states.c.staff_id == staff_id, window_states.c.window_id != window_id
                    )
                )
            ).all()
            for other in elsewhere:
                self._logout_in(txn, other._mapping["window_id"], reason="moved")
            state = self._window_state(txn.conn, window_id)
            if state is not None and state._mapping["staff_id"] not in (None, staff_id):
                raise HallQError(
                    "window_taken",
                    "该窗口已有其他工作人员登录",
                    f"window {window_id} is in use by {state._mapping['staff_id']}",
                    409,
                )
            if state is None:
                txn.conn.execute(
                    insert(window_states).values(window_id=window_id, staff_id=staff_id, logged_in_at=txn.now)
                )
            elif state._mapping["staff_id"] is None:
                txn.conn.execute(
                    update(window_states)
                    .where(window_states.c.window_id == window_id)
                    .values(staff_id=staff_id, logged_in_at=txn.now, paused_reason=None, paused_at=None)
                )
            else:
                return self._window_view(txn.conn, window_id)
            self._event(txn, "window.login", window_id=window_id, staff_id=staff_id)
            return self._window_view(txn.conn, window_id)
        return await self._write(work)

    async def logout(self, window_id: str, *, staff: str | None = None) -> WindowView:
        def work(txn: _Txn) -> Any:
            self._staffed_window(txn, window_id)
            self._logout_in(txn, window_id, reason="logout")
            return self._window_view(txn.conn, window_id)
        return await self._write(work, staff)

    async def sign_off(self, staff_id: str) -> list[str]:
        """Log `staff_id` out of every window where nothing is open (their account was switched
        off), and return the windows still holding their current ticket or a parked case: someone
        must finish or transfer it there first, as at any logout. A case sent to the window does
        not keep them there: nobody can call it from a window held by an account switched off
        (another clerk's login there is refused as 该窗口已有其他工作人员登录); left free, a colleague
        logs in and calls it."""
        def work(txn: _Txn) -> list[str]:
            kept = []
            for row in txn.conn.execute(select(window_states).where(window_states.c.staff_id == staff_id)).all():
                window_id = row._mapping["window_id"]
                if row._mapping["current_ticket_id"] is not None or self._parked_at(txn.conn, window_id, txn.day):
                    kept.append(window_id)
                else:
                    self._leave(txn, row, "account_off")
            return kept
        return await self._write(work)

    def _logout_in(self, txn: _Txn, window_id: str, reason: str, *, taking_over: bool = False) -> None:
        """Leave a window. Refused while a case is open there: the one at the counter, one parked
        (挂起) there, which only this window can resume, or one sent to this window (转给本窗口)
        and waiting, which only this window can call: logged out, its citizen waited for a window
        nobody was at (docs/web-callpad.md: 退出 only with no open case). A transfer to a window
        nobody is at is refused for the same reason. `taking_over`: moved by a hand-over to
        another window, whose pad shows the refusal to the clerk handing over (您在59号窗口 spoke
        to the wrong person)."""
        state = self._window_state(txn.conn, window_id)
        assert state is not None
        window = self._window(window_id).name
        where, then, or_hand_over = (
            (f"接班同事在{window}", "再来接班", "") if taking_over
            else (f"您在{window}", "再到其他窗口登录", "，或交接给接班同事") if reason == "moved"
            else ("本窗口", "再退出", "，或交接给接班同事")
        )
        if state._mapping["current_ticket_id"] is not None:
            raise invalid_state(
                f"window {window_id} still has a ticket; finish or transfer it first", f"{where}还有正在办理的号，请先办结或转移{then}"
            )
        waiting_here = (
            (self._parked_at(txn.conn, window_id, txn.day), "has parked case(s) {}; resume and finish or transfer them first",
             "还有挂起的号（{}），请先恢复办理并办结或转移"),
            (self._sent_to(txn.conn, window_id, txn.day), "has case(s) {} sent to it and waiting; call them first",
             "还有转来等候办理的号（{}），请先呼叫办理"),
        )
        for numbers, english, chinese in waiting_here:
            if numbers:
                raise invalid_state(f"window {window_id} " + english.format(", ".join(numbers)) + ", or hand the window over",
                                    where + chinese.format("、".join(numbers)) + then + or_hand_over)
        self._leave(txn, state, reason)

    def _leave(self, txn: _Txn, state: Row[Any], reason: str) -> None:
        """Log the window's person out (ending a pause first), whatever is parked there."""
        window_id = state._mapping["window_id"]
        staff = state._mapping["staff_id"]
        if state._mapping["paused_reason"] is not None:
            self._event(txn, "window.resumed", window_id=window_id, staff_id=staff, payload={"by": reason})
        txn.conn.execute(
            update(window_states)
            .where(window_states.c.window_id == window_id)
            .values(staff_id=None, logged_in_at=None, paused_reason=None, paused_at=None)
        )
        self._event(txn, "window.logout", window_id=window_id, staff_id=staff, payload={"reason": reason})

    async def hand_over(self, window_id: str, to_staff: str, *, staff: str | None = None) -> WindowView:
        """交接: a colleague takes over the window, and with it the cases parked there, in one
        transaction. A clerk with a parked case (a citizen fetching a document) could neither log
        out nor let a colleague log in, so a shift change or lunch relief meant calling the case
        back aloud and sending it into the queue's line, where any window might call it."""
        def work(txn: _Txn) -> Any:
            state = self._staffed_window(txn, window_id)
            leaving = state._mapping["staff_id"]
            if to_staff == leaving:
                raise bad_request("hand the window over to someone else", "请由接班的同事登录交接")
            if state._mapping["current_ticket_id"] is not None:
                raise invalid_state(
                    f"window {window_id} still has a ticket at the counter; finish, transfer or park it first",
                    "当前还有号在办理，请先办结、转移或挂起再交接",
                )
            elsewhere = txn.conn.execute(
                select(window_states.c.window_id).where(window_states.c.staff_id == to_staff, window_states.c.window_id != window_id)
            ).scalars().all()
            for other in elsewhere:  # one person, one window, as at a login
                self._logout_in(txn, other, reason="moved", taking_over=True)
            self._leave(txn, state, "handover")
            txn.conn.execute(
                update(window_states).where(window_states.c.window_id == window_id).values(staff_id=to_staff, logged_in_at=txn.now)
            )
            self._event(txn, "window.login", window_id=window_id, staff_id=to_staff, payload={"handover_from": leaving})
            return self._window_view(txn.conn, window_id)
        return await self._write(work, staff)

    def _staffed(self, conn: Connection, window_id: str) -> bool:
        state = self._window_state(conn, window_id)
        return state is not None and state._mapping["staff_id"] is not None

    def _holds_cases(self, conn: Connection, window_id: str, day: date) -> bool:
        """Cases only this window can take up: parked there, or sent to it and waiting."""
        return bool(self._parked_at(conn, window_id, day) or self._sent_to(conn, window_id, day))

    def _sent_to(self, conn: Connection, window_id: str, day: date) -> list[str]:
        """Numbers of today's cases transferred to front window `window_id` and waiting to be
        called there. None at a back office: its cases may wait for its clerks (a transfer there
        needs nobody logged in)."""
        if window_id in self._back_offices:
            return []
        query = select(tickets.c.number).where(
            tickets.c.hall_day == day, tickets.c.status == TicketStatus.WAITING, tickets.c.target_window == window_id
        ).order_by(tickets.c.id)
        return list(conn.execute(query).scalars())

    def _parked_at(self, conn: Connection, window_id: str, day: date) -> list[str]:
        """Numbers of today's cases parked (on hold) at `window_id`."""
        query = select(tickets.c.number).where(
            tickets.c.hall_day == day, tickets.c.status == TicketStatus.ON_HOLD, tickets.c.window_id == window_id
        ).order_by(tickets.c.id)
        return list(conn.execute(query).scalars())

    async def pause(self, window_id: str, reason: str, *, staff: str | None = None) -> WindowView:
        if reason not in self.config.rules.pause_reasons:
            raise bad_request(
                f"unknown pause reason {reason!r}", "未知的暂停原因", allowed=sorted(self.config.rules.pause_reasons)
            )
        def work(txn: _Txn) -> Any:
            state = self._staffed_window(txn, window_id)
            if state._mapping["paused_reason"] is not None:
                raise invalid_state("window is already paused", "窗口已处于暂停状态")
            if state._mapping["current_ticket_id"] is not None:
                # The citizen just called would read 暂停服务 on the window's screen; a case can
                # be parked (挂起) instead if the clerk must step away mid-service.
                raise invalid_state("a ticket is open at this window; finish, transfer or park it first",
                                    "当前还有号在办理，请先办结、转移或挂起再暂停")
            txn.conn.execute(
                update(window_states)
                .where(window_states.c.window_id == window_id)
                .values(paused_reason=reason, paused_at=txn.now)
            )
            self._event(
                txn,
                "window.paused",
                window_id=window_id,
                staff_id=state._mapping["staff_id"],
                payload={"reason": reason, "label": self.config.rules.pause_reasons[reason]},
            )
            return self._window_view(txn.conn, window_id)
        return await self._write(work, staff)

    async def resume(self, window_id: str, *, staff: str | None = None) -> WindowView:
        def work(txn: _Txn) -> Any:
            state = self._staffed_window(txn, window_id)
            if state._mapping["paused_reason"] is None:
                raise invalid_state("window is not paused", "窗口未暂停")
            txn.conn.execute(
                update(window_states)
                .where(window_states.c.window_id == window_id)
                .values(paused_reason=None, paused_at=None)
            )
            self._event(
                txn,
                "window.resumed",
                window_id=window_id,
                staff_id=state._mapping["staff_id"],
                payload={"paused_s": round(txn.now - state._mapping["paused_at"], 3)},
            )
            return self._window_view(txn.conn, window_id)
        return await self._write(work, staff)

    # ------------------------------------------------------------------ calling
    async def call_next(self, window_id: str, *, staff: str | None = None) -> TicketView | None:
        """Priority first, then the fairest head by weighted waiting time; None if nobody waits."""
        window = self._window(window_id)
        def work(txn: _Txn) -> Any:
            state = self._staffed_window(txn, window_id)
            self._ensure_free(state)
            candidate = self._choose_next(txn, window)
            if candidate is None:
                return None
            row = self._call(txn, candidate, window_id, state._mapping["staff_id"])
            return _ticket_view(row)
        return await self._write(work, staff)

    def _ensure_free(self, state: Row[Any]) -> None:
        if state._mapping["paused_reason"] is not None:
            raise HallQError("window_paused", "窗口暂停中，请先恢复", "window is paused; resume first", 409)
        if state._mapping["current_ticket_id"] is not None:
            raise HallQError(
                "window_busy",
                "当前号尚未办结，请先完成、过号或转移",
                "the current ticket is still open: finish, no-show or transfer it first",
                409,
            )

    def _choose_next(self, txn: _Txn, window: Window) -> Row[Any] | None:
        queues = tuple(window.queues)
        statement = self._heads.get(queues)
        if statement is None:
            statement = self._heads[queues] = sql.heads_of_lines(queues)
        # Tickets sent to this window count with the weight of its heaviest queue.
        weights = [*window.queues.values(), max(window.queues.values(), default=1)]
        rows = txn.conn.execute(statement, {"day": txn.day, "window": window.id}).all()
        # In the window's order of lines (queues, then its own), which breaks ties below.
        heads = [(row, weights[row._mapping["arm"]]) for row in sorted(rows, key=lambda row: row._mapping["arm"])]
        if not heads:
            return None
        urgent = [(row, w) for row, w in heads if row._mapping["priority"] > 0]
        if urgent:
            return min(urgent, key=lambda rw: (rw[0]._mapping["sort_key"], rw[0]._mapping["id"]))[0]

        def fairness(rw: tuple[Row[Any], int]) -> tuple[float, float]:
            row, weight = rw
            waited = max(txn.now - row._mapping["sort_key"], 0.0)
            return (waited * weight, -row._mapping["sort_key"])

        return max(heads, key=fairness)[0]

    def _call(self, txn: _Txn, row: Row[Any], window_id: str, staff_id: str, *, kind: str = "ticket.called") -> Row[Any]:
        m = row._mapping
        row = self._update_ticket(
            txn,
            m["id"],
            status=TicketStatus.CALLED,
            window_id=window_id,
            staff_id=staff_id,
            called_at=txn.now,
            call_count=1,
            target_window=None,
        )
        self._set_current(txn, window_id, m["id"])
        self._event(txn, kind, ticket=row, window_id=window_id, staff_id=staff_id, payload=self._call_payload(window_id, 1))
        return row

    def _call_payload(self, window_id: str, call_count: int) -> dict[str, Any]:
        window = self._window(window_id)
        return {
            "window_number": window.number,
            "window_name": window.name,
            "silent": window.kind == "back_office",
            "call_count": call_count,
        }

    async def call_ticket(self, window_id: str, number: str, *, staff: str | None = None) -> TicketView:
        """Call a specific ticket: one waiting for this window, or one this window parked."""
        window = self._window(window_id)
        def work(txn: _Txn) -> Any:
            state = self._staffed_window(txn, window_id)
            self._ensure_free(state)
            row = self._ticket_by_number(txn.conn, txn.day, number)
            m = row._mapping
            servable = m["queue"] in window.queues or m["target_window"] == window_id
            if m["status"] == TicketStatus.ON_HOLD and m["window_id"] == window_id:
                row = self._call(txn, row, window_id, state._mapping["staff_id"], kind="ticket.resumed")
            elif m["status"] == TicketStatus.WAITING and servable and m["target_window"] in (None, window_id):
                row = self._call(txn, row, window_id, state._mapping["staff_id"])
            else:
                raise invalid_state(
                    f"ticket {m['number']} is {m['status']} and cannot be called here",
                    f"{m['number']}号{_why_not_callable(self.config, m, window_id)}，不能在本窗口呼叫",
                    status=m["status"],
                )
            return _ticket_view(row)
        return await self._write(work, staff)

    async def recall(self, window_id: str, *, staff: str | None = None) -> TicketView:
        def work(txn: _Txn) -> Any:
            row = self._current_ticket(txn, window_id, TicketStatus.CALLED)
            m = row._mapping
            if m["call_count"] > self.config.rules.max_recalls:
                raise HallQError(
                    "recall_limit",
                    f"已重呼{self.config.rules.max_recalls}次，请标记过号",
                    f"recalled {self.config.rules.max_recalls} times already; mark a no-show",
                    409,
                )
            row = self._update_ticket(txn, m["id"], call_count=m["call_count"] + 1, called_at=txn.now)
            self._event(
                txn,
                "ticket.recalled",
                ticket=row,
                window_id=window_id,
                staff_id=m["staff_id"],
                payload=self._call_payload(window_id, m["call_count"] + 1),
            )
            return _ticket_view(row)
        return await self._write(work, staff)

    async def start(self, window_id: str, *, staff: str | None = None) -> TicketView:
        """The citizen arrived at the window: service starts."""
        def work(txn: _Txn) -> Any:
            row = self._current_ticket(txn, window_id, TicketStatus.CALLED)
            m = row._mapping
            row = self._update_ticket(txn, m["id"], status=TicketStatus.SERVING, served_at=txn.now)
            self._event(txn, "ticket.serving", ticket=row, window_id=window_id, staff_id=m["staff_id"])
            return _ticket_view(row)
        return await self._write(work, staff)

    async def finish(self, window_id: str, outcome: str = "completed", *, staff: str | None = None) -> TicketView:
        if outcome not in self.config.rules.finish_outcomes:
            raise bad_request(
                f"unknown outcome {outcome!r}", "未知的办理结果", allowed=sorted(self.config.rules.finish_outcomes)
            )
        def work(txn: _Txn) -> Any:
            row = self._current_ticket(txn, window_id, TicketStatus.CALLED, TicketStatus.SERVING)
            m = row._mapping
            served_at = m["served_at"]
            if m["status"] == TicketStatus.CALLED:
                # Finished without pressing "start": the arrival was not recorded, so the service is
                # counted from the last call (the walk to the window inside it). Counting it as zero
                # made the wait estimates printed on tickets too short wherever staff skip "start",
                # and kept such cases out of the assessment's service-time norm (docs/statistics.md).
                served_at = m["called_at"]
            row = self._update_ticket(
                txn, m["id"], status=TicketStatus.FINISHED, finished_at=txn.now, outcome=outcome, served_at=served_at
            )
            self._set_current(txn, window_id, None)
            self._event(
                txn,
                "ticket.finished",
                ticket=row,
                window_id=window_id,
                staff_id=m["staff_id"],
                payload={
                    "outcome": outcome,
                    "service_s": round(txn.now - served_at, 3),
                    "dwell_s": round(txn.now - m["issued_at"], 3),
                },
            )
            return _ticket_view(row)
        return await self._write(work, staff)

    async def no_show(self, window_id: str, *, staff: str | None = None) -> TicketView:
        def work(txn: _Txn) -> Any:
            row = self._current_ticket(txn, window_id, TicketStatus.CALLED)
            m = row._mapping
            row = self._update_ticket(txn, m["id"], status=TicketStatus.NO_SHOW, outcome="no_show")
            self._set_current(txn, window_id, None)
            self._event(
                txn, "ticket.no_show", ticket=row, window_id=window_id, staff_id=m["staff_id"],
                payload={"call_count": m["call_count"]},
            )
            return _ticket_view(row)
        return await self._write(work, staff)

    async def requeue_late(self, number: str) -> TicketView:
        """过号重排: a citizen who missed their call is put back near the front, not at the end."""
        def work(txn: _Txn) -> Any:
            row = self._ticket_by_number(txn.conn, txn.day, number)
            m = row._mapping
            if m["status"] != TicketStatus.NO_SHOW:
                raise invalid_state(f"ticket {m['number']} is not a no-show", f"{m['number']}号不是过号状态")
            ahead = self.config.rules.late_requeue_position
            params = {"day": txn.day, "queue": m["queue"], "priority": m["priority"], "n": ahead + 1}
            keys = [r[0] for r in txn.conn.execute(sql.LINE_SORT_KEYS, params).all()]
            if len(keys) <= ahead:
                sort_key = (keys[-1] + 0.001) if keys else txn.now
            elif ahead == 0:
                sort_key = keys[0] - 0.001
            else:
                sort_key = (keys[ahead - 1] + keys[ahead]) / 2
            # A back office's no-show goes back to that back office: re-queued into the front
            # queue's line it was called at the windows and the back office never saw it again.
            # (A call clears target_window, so a front window's no-show goes back to the line.)
            held = m["window_id"] if m["window_id"] in self._back_offices else None
            row = self._update_ticket(
                txn,
                m["id"],
                status=TicketStatus.WAITING,
                outcome=None,
                window_id=None,
                target_window=held,
                sort_key=sort_key,
                call_count=0,
            )
            payload: dict[str, Any] = {"ahead": min(ahead, len(keys))}
            if held in self._back_offices:
                payload["target_kind"] = "back_office"  # boards leave it out of the windows' count
            self._event(txn, "ticket.requeued", ticket=row, payload=payload)
            return _ticket_view(row)
        return await self._write(work)

    async def transfer(self, window_id: str, target_kind: str, target: str, note: str | None = None, *, staff: str | None = None) -> TicketView:
        """受、转: move the case to a queue, a window or a back office, keeping its original issue time."""
        try:
            kind = TransferTarget(target_kind)
        except ValueError:
            raise bad_request(
                f"unknown transfer target kind {target_kind!r}", "未知的转移类型", allowed=[t.value for t in TransferTarget]
            ) from None
        def work(txn: _Txn) -> Any:
            row = self._current_ticket(txn, window_id, TicketStatus.CALLED, TicketStatus.SERVING)
            m = row._mapping
            new_queue, target_window, zone = self._transfer_destination(kind, target, window_id, m["queue"])
            if kind is TransferTarget.WINDOW and not self._staffed(txn.conn, target):
                # Only that window can call the case: sent to a window nobody was at, the citizen
                # waited for no one (a back office is different: its cases wait for its clerks).
                # window_closed, as for one's own window nobody is signed in at: a pad shows that
                # code (E1), where invalid_state's E4 read "nothing at the window" on a pad that
                # had a case at its window (UB485 key 3 to a preset window).
                raise HallQError("window_closed", "目标窗口暂无人员登录，请转到队列或有人的窗口",
                                 f"nobody is logged in at {target}, the transfer's target", 409)
            row = self._update_ticket(
                txn,
                m["id"],
                status=TicketStatus.WAITING,
                queue=new_queue,
                zone=zone,
                target_window=target_window,
                window_id=None,
                leg=m["leg"] + 1,
                queued_at=txn.now,
                call_count=0,
                called_at=None,
                served_at=None,
            )
            self._set_current(txn, window_id, None)
            self._event(
                txn,
                "ticket.transferred",
                ticket=row,
                window_id=window_id,
                staff_id=m["staff_id"],
                payload={
                    "target_kind": kind.value,
                    "target": target,
                    "from_queue": m["queue"],
                    "from_zone": m["zone"],  # with the window: the zones whose boards showed its call
                    "from_leg": m["leg"],
                    "note": note,
                },
            )
            return _ticket_view(row)
        return await self._write(work, staff)

    def _transfer_destination(
        self, kind: TransferTarget, target: str, from_window: str, current_queue: str
    ) -> tuple[str, str | None, str]:
        """(queue, target window, zone) of the next leg."""
        if kind is TransferTarget.QUEUE:
            to_queue = self.config.queue(target)
            if to_queue is None:
                raise not_found("queue", "队列", target)
            return to_queue.prefix, None, to_queue.zone
        window = self.config.window(target)
        if window is None:
            raise not_found("window", "窗口", target)
        if target == from_window:
            raise bad_request("cannot transfer to the same window", "不能转移到本窗口")
        if kind is TransferTarget.BACK_OFFICE and window.kind != "back_office":
            raise bad_request(f"{target} is not a back office", "目标不是后台审批室")
        if kind is TransferTarget.WINDOW and window.kind == "back_office":
            raise bad_request(f"{target} is a back office", "目标是后台审批室，请选择转后台")
        # The case keeps its queue (and so its statistics) unless the target does not serve it.
        queue = current_queue if current_queue in window.queues or not window.queues else next(iter(window.queues))
        return queue, window.id, window.zone

    async def park(self, window_id: str, note: str | None = None, *, staff: str | None = None) -> TicketView:
        """Put the current case on hold at this window (e.g. the citizen fetches a document)."""
        def work(txn: _Txn) -> Any:
            row = self._current_ticket(txn, window_id, TicketStatus.CALLED, TicketStatus.SERVING)
            m = row._mapping
            row = self._update_ticket(txn, m["id"], status=TicketStatus.ON_HOLD)
            self._set_current(txn, window_id, None)
            self._event(txn, "ticket.parked", ticket=row, window_id=window_id, staff_id=m["staff_id"], payload={"note": note})
            return _ticket_view(row)
        return await self._write(work, staff)

    async def rate(self, ticket_id: int, score: int, source: str = "pad") -> TicketView:
        """好差评: one rating per visit, given by the citizen, never changed afterwards."""
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            raise bad_request("a rating is a whole number from 1 to 5", "评价应为1至5分")
        def work(txn: _Txn) -> Any:
            row = (txn.conn.execute(select(tickets).where(tickets.c.id == ticket_id))).first()
            if row is None:
                raise not_found("ticket", "票号", ticket_id)
            m = row._mapping
            if m["rating"] is not None:
                raise HallQError("already_rated", "本次办事已评价", "this visit has been rated already", 409)
            if m["status"] not in (TicketStatus.SERVING, TicketStatus.FINISHED):
                raise invalid_state("only a visit being served or finished can be rated", "办理后才能评价")
            if txn.day > self.rating_closes_on(m["hall_day"]):
                days = self.config.rules.rating_days
                raise HallQError("rating_closed", f"评价期已过：办事后{days}日内可以评价",
                                 f"a visit can be rated up to {days} days after it", 409,
                                 {"closed_after": self.rating_closes_on(m["hall_day"]).isoformat()})
            window_id, staff_id = self._rated_window(txn.conn, ticket_id, m["window_id"], m["staff_id"])
            row = self._update_ticket(txn, ticket_id, rating=score)
            self._event(
                txn, "ticket.rated", ticket=row, window_id=window_id, staff_id=staff_id,
                payload={"score": score, "source": source, "bad": score <= 2},
            )
            return _ticket_view(row)
        return await self._write(work)

    def rating_closes_on(self, visit_day: date) -> date:
        """The last hall day on which a visit of `visit_day` can still be rated (rules.rating_days)."""
        return visit_day + timedelta(days=self.config.rules.rating_days)

    def _rated_window(self, conn: Connection, ticket_id: int, window_id: str | None, staff_id: str | None) -> tuple[str | None, str | None]:
        """Who a rating is for: the last window the citizen met. A case concluded in a back office
        was rated against the back office's staff, whom the citizen never saw (HALL.md: back
        offices work behind the windows); it goes to the front window that served them last."""
        if window_id not in self._back_offices:
            return window_id, staff_id
        front = conn.execute(
            select(ticket_events.c.window_id, ticket_events.c.staff_id)
            .where(ticket_events.c.ticket_id == ticket_id, ticket_events.c.kind.in_(("ticket.called", "ticket.serving")),
                   ticket_events.c.window_id.not_in(self._back_offices))
            .order_by(ticket_events.c.seq.desc()).limit(1)
        ).first()
        return (front.window_id, front.staff_id) if front is not None else (window_id, staff_id)

    async def invite_rating(self, window_id: str, *, staff: str | None = None) -> TicketView:
        """The staff member invites the citizen to rate on the pad; the rating itself is theirs.
        Not from a back office: no citizen is there, and the invitation opened the rating on the
        citizen's status page for a visit the front window had not concluded."""
        if window_id in self._back_offices:
            raise HallQError("no_rating_here", "后台审批室不能邀请评价（群众在窗口评价）",
                             f"{window_id} is a back office: no citizen rates there", 409)
        def work(txn: _Txn) -> Any:
            row = self._current_ticket(txn, window_id, TicketStatus.SERVING)
            self._event(txn, "ticket.rating_invited", ticket=row, window_id=window_id, staff_id=row._mapping["staff_id"])
            return _ticket_view(row)
        return await self._write(work, staff)

    async def cancel(self, ticket_id: int, reason: str) -> TicketView:
        def work(txn: _Txn) -> Any:
            row = (txn.conn.execute(select(tickets).where(tickets.c.id == ticket_id))).first()
            if row is None:
                raise not_found("ticket", "票号", ticket_id)
            if row._mapping["status"] != TicketStatus.WAITING:
                raise invalid_state("only a waiting ticket can be cancelled", "只能取消等候中的号")
            row = self._update_ticket(txn, ticket_id, status=TicketStatus.CANCELLED, outcome="cancelled")
            self._event(txn, "ticket.cancelled", ticket=row, payload={"reason": reason})
            return _ticket_view(row)
        return await self._write(work)

    async def close_day(self, day: date) -> int:
        """End of day: every ticket still open is closed, flagged, and left out of time averages.

        Looks back CLOSE_LOOKBACK_DAYS (a hub switched off over a long holiday still closes its
        leftovers) rather than over all history, which would scan millions of rows at start-up."""
        since = day - timedelta(days=CLOSE_LOOKBACK_DAYS)

        def work(txn: _Txn) -> Any:
            rows = (
                txn.conn.execute(
                    select(tickets).where(
                        tickets.c.hall_day >= since,
                        tickets.c.hall_day <= day,
                        tickets.c.status.in_(list(OPEN_STATUSES)),
                    )
                )
            ).all()
            for row in rows:
                was = row._mapping["status"]
                row = self._update_ticket(
                    txn, row._mapping["id"], status=TicketStatus.CLOSED, outcome="closed_eod", auto_closed=True
                )
                # `was`: boards and screens count a queue's waiting people from events alone.
                self._event(txn, "ticket.closed", ticket=row, window_id=row._mapping["window_id"], payload={"was": str(was)})
            closed_ids = [row._mapping["id"] for row in rows]
            if closed_ids:
                txn.conn.execute(
                    update(window_states)
                    .where(window_states.c.current_ticket_id.in_(closed_ids))
                    .values(current_ticket_id=None)
                )
            self._end_sessions_of(txn, day)
            return len(rows)
        return await self._write(work)

    def _end_sessions_of(self, txn: _Txn, day: date) -> None:
        """Log out every window still held from `day` or before: a session ends with its day.

        Why: someone who went home without logging out stayed logged in, and the next day's
        figures counted them at the window from opening to closing, present and available, even on
        a day they never came (the roster's whole-day absence could not see it either). A window
        with an open case, one parked there or one sent to it is left alone: its person is at work now (a hub
        restarted mid-morning closes yesterday, and they may not have logged in again)."""
        ends = datetime.combine(day + timedelta(days=1), time(0), self._tz).timestamp()
        held = txn.conn.execute(
            select(window_states.c.window_id).where(
                window_states.c.staff_id.is_not(None),
                window_states.c.current_ticket_id.is_(None),
                or_(window_states.c.logged_in_at.is_(None), window_states.c.logged_in_at < ends),
            ).order_by(window_states.c.window_id)
        ).scalars().all()
        for window_id in held:
            if self.config.window(window_id) is not None and not self._holds_cases(txn.conn, window_id, txn.day):
                self._logout_in(txn, window_id, reason="day_closed")

    async def record_device_state(self, device: str, state: str, detail: str = "", zone: str | None = None) -> HallEvent:
        """A device (pad bus, screen bus, printer, speaker) changed state: stored and streamed,
        so technicians see it live and a board that reconnects learns it from the replay."""
        def work(txn: _Txn) -> Any:
            return self._event(
                txn, "device.state", zone=zone, payload={"device": device, "state": state, "detail": detail}
            )
        return await self._write(work)

    # ------------------------------------------------------------------ reading
    async def ticket(self, ticket_id: int) -> TicketView:
        row = await self.database.read(lambda conn: conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first())
        if row is None:
            raise not_found("ticket", "票号", ticket_id)
        return _ticket_view(row)

    async def ticket_status(self, token: str) -> IssueResult:
        """The public status page's view of one ticket, found by its unguessable token."""

        def work(conn: Connection) -> IssueResult:
            row = conn.execute(select(tickets).where(tickets.c.status_token == token)).first()
            if row is None:  # the token is the citizen's own secret: not echoed back
                raise HallQError("not_found", "未找到该号票，请核对二维码", "no ticket with this status token", 404)
            return self._issue_result(conn, row, replayed=False)

        return await self.database.read(work)

    async def ticket_by_number(self, number: str, day: date | None = None) -> TicketView:
        the_day = day or self.today()
        return await self.database.read(lambda conn: _ticket_view(self._ticket_by_number(conn, the_day, number)))

    def today(self) -> date:
        return self._calendar.day(self.clock.now())

    async def open_windows_serving(self, queue: str) -> list[Window]:
        """The windows serving ``queue`` open now (staffed, not paused), in the hall's order: one
        read of their rows, as a citizen's status page asks for it at every event it hears."""
        ids = self.windows_serving(queue)
        if not ids:
            return []
        s = window_states.c
        query = select(s.window_id).where(s.window_id.in_(ids), s.staff_id.is_not(None), s.paused_reason.is_(None))
        open_ids = set(await self.database.read(lambda conn: conn.execute(query).scalars().all()))
        return [w for w in self.config.windows if w.id in open_ids]

    def windows_serving(self, queue: str) -> tuple[str, ...]:
        """The windows configured to call ``queue`` (back offices are reached by transfer only)."""
        return self._serving.get(queue, ())

    async def tickets_today(
        self, *, status: str | None = None, queue: str | None = None, window: str | None = None,
        target_window: str | None = None, limit: int = 500, scope: ColumnElement[bool] | None = None,
    ) -> list[TicketView]:
        """Today's tickets, oldest first, at most `limit`: a pad narrows by window (its parked
        cases) or target window (cases sent to it), which it used to pick out of the first 500
        waiting of the whole hall, missing its own beyond them. `scope`, a condition on the
        tickets table, is what the reader may see (a chief's: server/api/chief_scope.py), applied
        before the limit so that it does not hide theirs behind others'."""
        query = select(tickets).where(tickets.c.hall_day == self.today())
        if scope is not None:
            query = query.where(scope)
        for column, value in ((tickets.c.status, status), (tickets.c.queue, queue), (tickets.c.window_id, window),
                              (tickets.c.target_window, target_window)):
            if value:
                query = query.where(column == value)
        rows = await self.database.read(lambda conn: conn.execute(query.order_by(tickets.c.id).limit(limit)).all())
        return [_ticket_view(r) for r in rows]

    async def ticket_events(self, ticket_id: int) -> list[HallEvent]:
        query = select(ticket_events).where(ticket_events.c.ticket_id == ticket_id).order_by(ticket_events.c.seq)
        return [_event_from_row(r) for r in await self.database.read(lambda conn: conn.execute(query).all())]

    async def events_since(self, seq: int, limit: int = 1000, scope: ColumnElement[bool] | None = None) -> list[HallEvent]:
        """The stored events after `seq`, at most `limit`; with `scope`, those it admits: a
        condition on the event and on its ticket's row (outer-joined: NULL for an event of no
        ticket), applied before the limit."""
        query = select(ticket_events).where(ticket_events.c.seq > seq)
        if scope is not None:
            query = query.select_from(ticket_events.outerjoin(tickets, tickets.c.id == ticket_events.c.ticket_id)).where(scope)
        query = query.order_by(ticket_events.c.seq).limit(limit)
        return [_event_from_row(r) for r in await self.database.read(lambda conn: conn.execute(query).all())]

    async def ticket_within(self, ticket_id: int, scope: ColumnElement[bool]) -> bool:
        """Whether ticket `ticket_id` is one `scope` (a condition on the tickets table) admits."""
        return ticket_id in await self.tickets_within({ticket_id}, scope)

    async def tickets_within(self, ticket_ids: Collection[int], scope: ColumnElement[bool]) -> set[int]:
        """Those of `ticket_ids` that `scope` (a condition on the tickets table) admits."""
        query = select(tickets.c.id).where(tickets.c.id.in_(sorted(ticket_ids)), scope)
        return {int(i) for i in await self.database.read(lambda conn: conn.execute(query).scalars().all())}

    async def last_seq(self) -> int:
        query = select(func.max(ticket_events.c.seq))
        return int(await self.database.read(lambda conn: conn.execute(query).scalar()) or 0)

    async def window(self, window_id: str) -> WindowView:
        self._window(window_id)
        return await self.database.read(lambda conn: self._window_view(conn, window_id))

    async def windows(self) -> list[WindowView]:
        def work(conn: Connection) -> list[WindowView]:
            states = {r._mapping["window_id"]: r for r in conn.execute(select(window_states)).all()}
            current_ids = [r._mapping["current_ticket_id"] for r in states.values() if r._mapping["current_ticket_id"]]
            current = {}
            if current_ids:
                current = {
                    r._mapping["id"]: _ticket_view(r)
                    for r in conn.execute(select(tickets).where(tickets.c.id.in_(current_ids))).all()
                }
            return [self._compose_window(w, states.get(w.id), current) for w in self.config.windows]

        return await self.database.read(work)

    def _window_view(self, conn: Connection, window_id: str) -> WindowView:
        state = self._window_state(conn, window_id)
        current: dict[int, TicketView] = {}
        if state is not None and state._mapping["current_ticket_id"] is not None:
            row = conn.execute(select(tickets).where(tickets.c.id == state._mapping["current_ticket_id"])).one()
            current[row._mapping["id"]] = _ticket_view(row)
        return self._compose_window(self._window(window_id), state, current)

    @staticmethod
    def _compose_window(window: Window, state: Row[Any] | None, current: dict[int, TicketView]) -> WindowView:
        m = state._mapping if state is not None else {}
        current_id = m.get("current_ticket_id")
        return WindowView(
            id=window.id,
            number=window.number,
            name=window.name,
            zone=window.zone,
            kind=window.kind,
            unit=window.unit,
            queues=dict(window.queues),
            staff_id=m.get("staff_id"),
            logged_in_at=m.get("logged_in_at"),
            paused_reason=m.get("paused_reason"),
            paused_at=m.get("paused_at"),
            current_ticket=current.get(current_id) if current_id else None,
        )

    async def recent_calls(self, zone: str | None, limit: int) -> list[dict[str, Any]]:
        """Today's latest calls at front windows that belong to `zone` (HallConfig.call_zones;
        None: the whole hall), newest first, one per ticket (its latest call at a front window):
        what a board that had been on all along would list. A board seeded only from the calls
        still at a window lost the numbers called and then finished or marked no-show, which a
        citizen back from the restroom looks for.

        Read from the call events (the boards' own CALL_KINDS), not from the ticket's last call:
        a no-show put back in line (过号重排) has no window left on its ticket row, and a reload
        dropped a number the live board had shown. A case transferred after its last front-window
        call is left out, as the live boards drop it (LEAVE_KINDS): listed at its old window, a
        board switched on after the transfer read it as still served there. One statement: the
        day's tickets by `ix_tickets_day_number`, their events by `ix_ticket_events_ticket`."""
        day = self.today()
        query = (select(ticket_events.c.ticket_id, ticket_events.c.kind, ticket_events.c.number, ticket_events.c.zone,
                        ticket_events.c.window_id, ticket_events.c.at, ticket_events.c.payload)
                 .join_from(tickets, ticket_events, ticket_events.c.ticket_id == tickets.c.id)
                 .where(tickets.c.hall_day == day, ticket_events.c.kind.in_(sorted(CALL_KINDS | LEAVE_KINDS)))
                 .order_by(ticket_events.c.seq.desc()))

        def work(conn: Connection) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            seen: set[int] = set()
            for ticket_id, kind, number, ticket_zone, window_id, at, payload in conn.execute(query):
                if kind in LEAVE_KINDS:
                    seen.add(ticket_id)  # sent on after its last front-window call (older events are older calls)
                    continue
                window = self.config.window(window_id) if window_id else None
                if window is None or window.kind == "back_office" or ticket_id in seen:
                    continue  # a back office calls silently: never on a board
                seen.add(ticket_id)
                if zone is not None and zone not in self.config.call_zones(ticket_zone, window_id):
                    continue
                found.append({"number": number, "window_id": window_id, "window_number": window.number,
                              "window_name": window.name, "called_at": at,
                              "call_count": int((payload or {}).get("call_count") or 1)})
                if len(found) == limit:
                    break
            return found

        return await self.database.read(work)

    async def waiting_at(self, window_ids: Collection[str]) -> dict[str, int]:
        """How many citizens each window can call now: its queues' lines and the cases sent to it.
        A pad summed its queues' `waiting`, which also counts cases sent to one window: other
        windows showed people they could not call, and a back office (no queues) always 0."""
        day = self.today()

        def work(conn: Connection) -> dict[str, int]:
            line = {queue: int(count) for queue, count, _, _ in conn.execute(sql.WAITING_IN_LINES, {"day": day})}
            sent: Counter[str] = Counter()
            for _, count, _, _, target in self._sent_to_windows(conn, day):
                sent[target] += int(count)
            return {w: sum(line.get(q, 0) for q in self._window(w).queues) + sent[w] for w in window_ids}

        return await self.database.read(work)

    async def queues(self, prefixes: Sequence[str] | None = None) -> list[QueueView]:
        day, now = self.today(), self.clock.now()
        return await self.database.read(
            lambda conn: self._queue_views(conn, day, now, prefixes, self._sent_to_windows(conn, day)))

    async def queues_and_back_offices(self) -> tuple[list[QueueView], dict[str, BackOfficeLoad]]:
        """Every queue (as `queues()`) and every back office's load, from one read: the dashboard
        needs both, and both start from the cases sent to one window (WAITING_FOR_WINDOWS), which
        two separate reads ran twice per dashboard document, each in its own transaction."""
        day, now = self.today(), self.clock.now()

        def work(conn: Connection) -> tuple[list[QueueView], dict[str, BackOfficeLoad]]:
            sent = self._sent_to_windows(conn, day)
            return self._queue_views(conn, day, now, None, sent), self._back_office_load(conn, day, sent)

        return await self.database.read(work)

    @staticmethod
    def _sent_to_windows(conn: Connection, day: date) -> list[Any]:
        """Today's waiting cases sent to one window or back office, by queue and target: rows of
        (queue, count, priority count, oldest queued_at, target window)."""
        return list(conn.execute(sql.WAITING_FOR_WINDOWS, {"day": day}).all())

    def _queue_views(self, conn: Connection, day: date, now: float, prefixes: Sequence[str] | None,
                     sent: Sequence[Any]) -> list[QueueView]:
        wanted = [q for q in self.config.queues if prefixes is None or q.prefix in prefixes]
        left_min = open_minutes_left(self.config, now)
        stats: dict[str, _Waiting] = {}
        lines: dict[str, _Waiting] = {}
        for queue, count, priority, oldest in conn.execute(sql.WAITING_IN_LINES, {"day": day}):
            stats[queue] = stats.get(queue, _Waiting()).add(count, priority, oldest)
            lines[queue] = _Waiting().add(count, priority, oldest)
        # A case sent to a back office waits for that room, not for the queue's windows: it
        # counted on boards and kiosks (5 waiting where a new ticket was told 3 ahead).
        for queue, count, priority, oldest, target in sent:
            if target not in self._back_offices:
                stats[queue] = stats.get(queue, _Waiting()).add(count, priority, oldest)
        issued = {
            r.prefix: r.last_seq for r in conn.execute(select(day_counters).where(day_counters.c.hall_day == day)).all()
        }
        # Every queue's figures from two reads, not one statement per queue (40 round trips
        # on PostgreSQL for a dashboard of the whole hall).
        counts = {r.queue: r for r in conn.execute(select(queue_day_counts).where(queue_day_counts.c.hall_day == day))}
        open_now = set(
            conn.execute(
                select(window_states.c.window_id).where(
                    window_states.c.staff_id.is_not(None), window_states.c.paused_reason.is_(None)
                )
            ).scalars()
        )
        items_sold_out = self._sold_out_items(conn, day)
        views = []
        for q in wanted:
            s = stats.get(q.prefix)
            line = lines.get(q.prefix, _Waiting())
            waiting = s.waiting if s else 0
            c = counts.get(q.prefix)
            figures = _QueueFigures.of(
                c.in_line if c else None,
                c.finished if c else None,
                c.service_seconds if c else None,
                sum(1 for w in self._serving.get(q.prefix, ()) if w in open_now),
            )
            estimate = self._estimate_wait(figures, waiting)
            views.append(
                QueueView(
                    prefix=q.prefix,
                    name=q.name,
                    zone=q.zone,
                    waiting=waiting,
                    waiting_priority=s.waiting_priority if s else 0,
                    longest_wait_s=round(now - s.oldest, 1) if s and s.oldest is not None else None,
                    open_windows=figures.open_windows,
                    estimated_wait_min=estimate if waiting else 0,
                    service_min=round(figures.service_min, 2),
                    beyond_today=bool(waiting) and (estimate or 0) > left_min,
                    in_line=line.waiting,
                    in_line_priority=line.waiting_priority,
                    in_line_longest_wait_s=round(now - line.oldest, 1) if line.oldest is not None else None,
                    issued_today=int(issued.get(q.prefix, 0)),
                    sold_out=self._sold_out(q.daily_cap, int(issued.get(q.prefix, 0)), day),
                    sold_out_items=items_sold_out.get(q.prefix, {}),
                    window_numbers=self._window_numbers.get(q.prefix, ()),
                    id_required=q.id_required,
                )
            )
        return views

    def _back_office_load(self, conn: Connection, day: date, sent: Sequence[Any]) -> dict[str, BackOfficeLoad]:
        """Each back office's cases today (see BackOfficeLoad), for the manager's dashboard: the
        middle of 受、转、办、结 was invisible there, as queue counts leave these cases out, and a
        case sent to a room nobody staffed waited unseen until the citizen came back to ask.
        `sent`: the day's WAITING_FOR_WINDOWS rows, read once with the queues' (queues_and_back_offices)."""
        waiting: Counter[str] = Counter()
        oldest: dict[str, float] = {}
        for _, count, _, first, target in sent:
            if target in self._back_offices:
                waiting[target] += int(count)
                oldest[target] = min(float(first), oldest.get(target, float(first)))
        held: dict[str, int] = dict(conn.execute(
            select(tickets.c.window_id, func.count())
            .where(tickets.c.hall_day == day, tickets.c.status == TicketStatus.ON_HOLD,
                   tickets.c.window_id.in_(sorted(self._back_offices)))
            .group_by(tickets.c.window_id)).all())
        return {w: BackOfficeLoad(waiting[w], oldest.get(w), int(held.get(w, 0))) for w in sorted(self._back_offices)}

    # ------------------------------------------------------------------ appointments
    async def book_appointment(
        self, code: str, day: date, queue: str, slot_start: float, slot_end: float,
        item_code: str | None = None, person_id: str | None = None,
    ) -> dict[str, Any]:
        if self.config.queue(queue) is None:
            raise not_found("queue", "队列", queue)
        if item_code is not None:  # an unknown item, or another queue's, was booked and ignored
            item = self.config.item(item_code)
            if item is None:
                raise not_found("item", "事项", item_code)
            if item.queue != queue:
                raise bad_request("item and queue disagree", "事项与队列不一致", item_queue=item.queue)
        if slot_end <= slot_start:
            raise bad_request("slot end must be after its start", "预约时段结束时间应晚于开始时间")
        self._check_slot_in_hours(day, slot_start, slot_end)
        def work(txn: _Txn) -> Any:
            exists = (txn.conn.execute(select(appointments.c.code).where(appointments.c.code == code))).first()
            if exists is not None:
                raise HallQError("duplicate", "预约码已存在", f"appointment {code} exists", 409)
            values = {
                "code": code,
                "hall_day": day,
                "queue": queue,
                "item_code": item_code,
                "slot_start": slot_start,
                "slot_end": slot_end,
                "person_key": person_key(self._secret, person_id) if person_id else None,
                "person_masked": mask_person_id(person_id) if person_id else None,
                "status": "booked",
                "created_at": txn.now,
            }
            txn.conn.execute(insert(appointments).values(**values))
            return {k: v for k, v in values.items() if k != "person_key"} | {"hall_day": day.isoformat()}

        return await self._write(work)

    def _check_slot_in_hours(self, day: date, slot_start: float, slot_end: float) -> None:
        """A booking for a day the hall is closed (a holiday, a Sunday) or a slot outside its
        sessions (lunch, after closing) was taken, and the citizen who came was turned away at the
        kiosk (今日不办公): the hall's own booking must be one it can keep."""
        sessions = self.config.sessions_on(day)
        if not sessions:
            raise HallQError("hall_closed", f"{day:%m月%d日}大厅不办公（节假日或休息日），不能预约该日",
                             f"the hall is closed on {day}", 400)
        start, end = (datetime.fromtimestamp(t, self._tz) for t in (slot_start, slot_end))
        if start.date() != day or end.date() != day or not any(
                s.start <= start.time() and end.time() <= s.end for s in sessions):
            hours = "、".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in sessions)
            raise HallQError("slot_outside_hours", f"预约时段应在当日办公时间内（{hours}）",
                             f"the slot {start:%H:%M}-{end:%H:%M} is not within one session of {day} ({hours})", 400,
                             {"sessions": hours})


def _event_from_row(row: Row[Any]) -> HallEvent:
    m = row._mapping
    return HallEvent(
        seq=m["seq"],
        at=m["at"],
        kind=m["kind"],
        ticket_id=m["ticket_id"],
        number=m["number"],
        zone=m["zone"],
        queue=m["queue"],
        window_id=m["window_id"],
        staff_id=m["staff_id"],
        payload=m["payload"] or {},
    )
