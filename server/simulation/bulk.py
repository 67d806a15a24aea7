"""Fast bulk history: the same simulated days as server.simulation.history, written in bulk.

Driving the real engine costs one database transaction per action (about a minute per full day), so
a year of history for benchmarks and report pages would take hours. Here the very same day driver
(`history._DayRun`, same random choices) works a `BulkEngine`: an in-memory copy of the engine's
rules for the actions the simulation uses, which produces the rows the engine would write
(tickets, ticket_events, ticket_intervals, day_counters, appointments, window_states) and inserts
them a day at a time with executemany. The statistics are then built by the real FactBuilder
catch-up, so facts are never computed by a second implementation. tests/dashboard proves, on a
small day, that the engine path and this one give the same rows and the same figures.

What it does not cover: actions the simulation never takes (park, requeue_late, call_ticket,
cancel, caps per item or person) raise NotImplementedError rather than guess.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import time
from collections.abc import Sequence
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection

from server.config.models import HallConfig, Window
from server.engine.clock import ManualClock
from server.engine.hours import describe_closed, hall_day, issuing_state
from server.engine.views import IssueRequest
from server.errors import HallQError, bad_request, invalid_state, not_found
from server.simulation.history import DayResult, SimulationOptions, _DayRun
from server.simulation.profile import TrafficProfile
from server.stats.facts import (
    FINISHED_MARK,
    WATERMARK,
    WINDOW_WATERMARK,
    last_finished_day,
    rebuild_window_days,
)
from server.stats.intervals import INTERVALS_MARK
from server.stats.watermarks import write_watermark
from server.stats.ledger import compute_ticket
from server.storage.db import Database
from server.storage.schema import (
    appointments,
    day_counters,
    stat_leg_facts,
    stat_ticket_facts,
    ticket_events,
    ticket_intervals,
    tickets,
    window_states,
)

OPEN = frozenset({"waiting", "called", "serving", "on_hold"})


class _Ticket:
    """A ticket row being built; attribute names match the `tickets` columns (and what the day
    driver reads from a TicketView: id, queue, leg, status)."""

    __slots__ = tuple(c.name for c in tickets.columns)

    # The columns' types, for the type checker (annotations alone leave the slots as they are).
    id: int
    hall_day: date
    prefix: str
    seq: int
    number: str
    queue: str
    zone: str
    item_code: str | None
    status: str | None  # None only until _set_status places a new ticket
    priority: int
    priority_class: str | None
    appointment_code: str | None
    issued_at: float
    queued_at: float
    sort_key: float
    leg: int
    target_window: str | None
    window_id: str | None
    staff_id: str | None
    called_at: float | None
    call_count: int
    served_at: float | None
    finished_at: float | None
    outcome: str | None
    rating: int | None
    person_key: str | None
    person_masked: str | None
    idempotency_key: str | None
    device: str | None
    printed: bool | None
    auto_closed: bool
    status_token: str

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass
class _WindowState:
    window_id: str
    staff_id: str | None = None
    logged_in_at: float | None = None
    paused_reason: str | None = None
    paused_at: float | None = None
    current: _Ticket | None = None

    @property
    def current_ticket(self) -> _Ticket | None:  # what the day driver reads from a WindowView
        return self.current


@dataclass
class _Rows:
    """Rows waiting to be inserted, with the ids the database will keep."""

    tickets: list[_Ticket] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    intervals: list[dict[str, Any]] = field(default_factory=list)
    appointments: list[dict[str, Any]] = field(default_factory=list)


class BulkEngine:
    """The engine's transitions for the simulation's actions, kept in memory (see module doc).

    Every method mirrors the QueueEngine method of the same name: same checks, same ticket
    columns, same ledger intervals and outcomes, same event kinds and payloads, same call order.
    """

    def __init__(self, config: HallConfig, clock: ManualClock, *, next_ticket: int = 1, next_seq: int = 1,
                 next_interval: int = 1) -> None:
        self.config, self.clock = config, clock
        self._next_ticket, self._next_seq, self._next_interval = next_ticket, next_seq, next_interval
        self._tz = ZoneInfo(config.hall.timezone)
        self.rows = _Rows()
        self.windows_state: dict[str, _WindowState] = {}
        self.counters: dict[tuple[date, str], int] = {}
        self._booked: dict[str, dict[str, Any]] = {}
        self._waiting: dict[str, dict[int, _Ticket]] = {}  # queue -> waiting tickets (no target)
        self._targeted: dict[str, dict[int, _Ticket]] = {}  # window -> waiting tickets sent to it
        self._open: dict[int, _Ticket] = {}
        self._open_interval_of: dict[int, dict[str, Any]] = {}
        self._labels = config.rules.pause_reasons

    # ------------------------------------------------------------------ plumbing
    def _now(self) -> tuple[float, date]:
        now = self.clock.now()
        return now, hall_day(self.config, now)

    def _window(self, window_id: str) -> Window:
        window = self.config.window(window_id)
        if window is None:
            raise not_found("window", "窗口", window_id)
        return window

    def _event(self, now: float, day: date, kind: str, *, ticket: _Ticket | None = None, window_id: str | None = None,
               staff_id: str | None = None, payload: dict[str, Any] | None = None) -> None:
        window = self.config.window(window_id) if window_id else None
        self.rows.events.append({
            "seq": self._next_seq, "at": now, "hall_day": day, "kind": kind,
            "ticket_id": ticket.id if ticket else None, "number": ticket.number if ticket else None,
            "zone": (ticket.zone if ticket else None) or (window.zone if window else None),
            "queue": ticket.queue if ticket else None, "window_id": window_id, "staff_id": staff_id,
            "payload": payload or {},
        })
        self._next_seq += 1

    def _open_interval(self, now: float, t: _Ticket, state: str, window_id: str | None = None, staff_id: str | None = None) -> None:
        row = {"id": self._next_interval, "ticket_id": t.id, "hall_day": t.hall_day, "leg": t.leg, "state": state,
               "queue": t.queue, "window_id": window_id, "staff_id": staff_id, "start_at": now, "end_at": None,
               "outcome": None}
        self._next_interval += 1
        self.rows.intervals.append(row)
        self._open_interval_of[t.id] = row

    def _close_interval(self, now: float, t: _Ticket, outcome: str) -> None:
        row = self._open_interval_of.pop(t.id, None)
        if row is not None:
            row["end_at"], row["outcome"] = now, outcome

    def _set_status(self, t: _Ticket, status: str) -> None:
        """Keep the waiting indexes in step with a ticket's status and target."""
        self._waiting.get(t.queue, {}).pop(t.id, None)
        if t.target_window:
            self._targeted.get(t.target_window, {}).pop(t.id, None)
        t.status = status
        if status == "waiting":
            if t.target_window:
                self._targeted.setdefault(t.target_window, {})[t.id] = t
            else:
                self._waiting.setdefault(t.queue, {})[t.id] = t
        if status in OPEN:
            self._open[t.id] = t
        else:
            self._open.pop(t.id, None)

    def _staffed(self, window_id: str) -> _WindowState:
        self._window(window_id)
        state = self.windows_state.get(window_id)
        if state is None or state.staff_id is None:
            raise HallQError("window_closed", "该窗口未登录", f"nobody is logged in at window {window_id}", 409)
        return state

    def _current(self, window_id: str, *allowed: str) -> tuple[_WindowState, _Ticket]:
        state = self._staffed(window_id)
        t = state.current
        if t is None:
            raise invalid_state(f"window {window_id} has no current ticket", "当前窗口没有正在办理的号")
        if allowed and t.status not in allowed:
            raise invalid_state(f"ticket {t.number} is {t.status}", f"{t.number}号当前状态不允许此操作", status=t.status)
        return state, t

    def _call_payload(self, window_id: str, call_count: int) -> dict[str, Any]:
        window = self._window(window_id)
        return {"window_number": window.number, "window_name": window.name, "silent": window.kind == "back_office",
                "call_count": call_count}

    # ------------------------------------------------------------------ issuing
    async def book_appointment(self, code: str, day: date, queue: str, slot_start: float, slot_end: float,
                               item_code: str | None = None, person_id: str | None = None) -> dict[str, Any]:
        if person_id is not None:
            raise NotImplementedError("bulk history books no personal appointments")
        if self.config.queue(queue) is None:
            raise not_found("queue", "队列", queue)
        if code in self._booked:
            raise HallQError("duplicate", "预约码已存在", f"appointment {code} exists", 409)
        row = {"code": code, "hall_day": day, "queue": queue, "item_code": item_code, "slot_start": slot_start,
               "slot_end": slot_end, "person_key": None, "person_masked": None, "status": "booked",
               "ticket_id": None, "created_at": self.clock.now()}
        self._booked[code] = row
        self.rows.appointments.append(row)
        return dict(row)

    async def issue(self, request: IssueRequest) -> _Ticket:
        if request.person_id or request.item_code or request.idempotency_key:
            raise NotImplementedError("bulk history issues by queue or appointment only")
        now, day = self._now()
        state = issuing_state(self.config, now)
        if not state.open:
            zh, en = describe_closed(state)
            raise HallQError("issuing_closed", zh, en, 409)
        appointment = None
        if request.appointment_code:
            booked = self._booked.get(request.appointment_code)
            if booked is None:
                raise not_found("appointment", "预约", request.appointment_code)
            if booked["status"] != "booked" or booked["hall_day"] != day:
                raise HallQError("appointment_used", "该预约已签到或已取消", "appointment not usable", 409)
            if now < booked["slot_start"] - self.config.rules.appointment_early_min * 60:
                raise HallQError("appointment_too_early", "预约时段未到", "too early", 409)
            prefix, priority = booked["queue"], now <= booked["slot_end"] + self.config.rules.appointment_late_min * 60
            appointment = request.appointment_code
        else:
            if request.priority_class is not None and request.priority_class not in self.config.rules.priority_classes:
                raise bad_request("unknown priority class", "未知的优先类别")
            if not request.queue or self.config.queue(request.queue) is None:
                raise not_found("queue", "队列", request.queue or "")
            prefix, priority = request.queue, request.priority_class is not None
        queue = self.config.queue(prefix)
        assert queue is not None
        seq = self.counters.get((day, prefix), 0)
        if queue.daily_cap is not None and seq >= queue.daily_cap:
            raise HallQError("cap_reached", "今日该业务号已取完，请明日再来", f"daily cap of queue {prefix} reached", 409)
        seq += 1
        self.counters[(day, prefix)] = seq
        t = _Ticket(
            id=self._next_ticket, hall_day=day, prefix=prefix, seq=seq,
            number=self.config.ticket_number(prefix, seq), queue=prefix, zone=queue.zone,
            item_code=None, status=None, priority=1 if priority else 0, priority_class=request.priority_class,
            appointment_code=appointment, issued_at=now, queued_at=now, sort_key=now, leg=1, call_count=0,
            device=request.device, auto_closed=False, status_token=secrets.token_urlsafe(12),
        )
        self._next_ticket += 1
        self.rows.tickets.append(t)
        self._set_status(t, "waiting")
        if appointment is not None:
            self._booked[appointment].update(status="checked_in", ticket_id=t.id)
        self._open_interval(now, t, "waiting")
        self._event(now, day, "ticket.issued", ticket=t,
                    payload={"priority": priority, "item_code": None, "device": request.device})
        return t

    # ------------------------------------------------------------------ windows and staff
    async def login(self, window_id: str, staff_id: str) -> _WindowState:
        self._window(window_id)
        now, day = self._now()
        for other in [s for s in self.windows_state.values() if s.staff_id == staff_id and s.window_id != window_id]:
            self._logout_in(now, day, other, "moved")
        state = self.windows_state.setdefault(window_id, _WindowState(window_id))
        if state.staff_id not in (None, staff_id):
            raise HallQError("window_taken", "该窗口已有其他工作人员登录", f"window {window_id} is in use", 409)
        if state.staff_id == staff_id:
            return state
        state.staff_id, state.logged_in_at, state.paused_reason, state.paused_at = staff_id, now, None, None
        self._event(now, day, "window.login", window_id=window_id, staff_id=staff_id)
        return state

    async def logout(self, window_id: str) -> _WindowState:
        now, day = self._now()
        state = self._staffed(window_id)
        self._logout_in(now, day, state, "logout")
        return state

    def _logout_in(self, now: float, day: date, state: _WindowState, reason: str) -> None:
        if state.current is not None:
            raise invalid_state("window still has a ticket", "请先办结或转移当前号再退出")
        staff = state.staff_id
        if state.paused_reason is not None:
            self._event(now, day, "window.resumed", window_id=state.window_id, staff_id=staff, payload={"by": reason})
        state.staff_id = state.logged_in_at = state.paused_reason = state.paused_at = None
        self._event(now, day, "window.logout", window_id=state.window_id, staff_id=staff, payload={"reason": reason})

    async def pause(self, window_id: str, reason: str) -> _WindowState:
        if reason not in self._labels:
            raise bad_request(f"unknown pause reason {reason!r}", "未知的暂停原因")
        now, day = self._now()
        state = self._staffed(window_id)
        if state.paused_reason is not None:
            raise invalid_state("window is already paused", "窗口已处于暂停状态")
        if state.current is not None:  # the engine's rule (QueueEngine.pause)
            raise invalid_state("a ticket is open at this window", "当前还有号在办理，请先办结、转移或挂起再暂停")
        state.paused_reason, state.paused_at = reason, now
        self._event(now, day, "window.paused", window_id=window_id, staff_id=state.staff_id,
                    payload={"reason": reason, "label": self._labels[reason]})
        return state

    async def resume(self, window_id: str) -> _WindowState:
        now, day = self._now()
        state = self._staffed(window_id)
        if state.paused_reason is None or state.paused_at is None:
            raise invalid_state("window is not paused", "窗口未暂停")
        paused_s = round(now - state.paused_at, 3)
        state.paused_reason = state.paused_at = None
        self._event(now, day, "window.resumed", window_id=window_id, staff_id=state.staff_id, payload={"paused_s": paused_s})
        return state

    async def window(self, window_id: str) -> _WindowState:
        self._window(window_id)
        return self.windows_state.setdefault(window_id, _WindowState(window_id))

    # ------------------------------------------------------------------ calling
    async def call_next(self, window_id: str) -> _Ticket | None:
        window = self._window(window_id)
        now, day = self._now()
        state = self._staffed(window_id)
        if state.paused_reason is not None:
            raise HallQError("window_paused", "窗口暂停中，请先恢复", "window is paused; resume first", 409)
        if state.current is not None:
            raise HallQError("window_busy", "当前号尚未办结", "the current ticket is still open", 409)
        order = lambda t: (-t.priority, t.sort_key, t.id)  # noqa: E731 - the engine's call order
        heads: list[tuple[_Ticket, int]] = []
        for prefix, weight in window.queues.items():
            waiting = self._waiting.get(prefix)
            if waiting:
                heads.append((min(waiting.values(), key=order), weight))
        targeted = self._targeted.get(window.id)
        if targeted:
            heads.append((min(targeted.values(), key=order), max(window.queues.values(), default=1)))
        if not heads:
            return None
        urgent = [h for h in heads if h[0].priority > 0]
        if urgent:
            chosen = min(urgent, key=lambda h: (h[0].sort_key, h[0].id))[0]
        else:
            chosen = max(heads, key=lambda h: (max(now - h[0].sort_key, 0.0) * h[1], -h[0].sort_key))[0]
        self._close_interval(now, chosen, "called" if chosen.status == "waiting" else "resumed")
        self._set_status(chosen, "called")
        chosen.window_id, chosen.staff_id, chosen.called_at, chosen.call_count = window_id, state.staff_id, now, 1
        chosen.target_window = None
        self._open_interval(now, chosen, "called", window_id, state.staff_id)
        state.current = chosen
        self._event(now, day, "ticket.called", ticket=chosen, window_id=window_id, staff_id=state.staff_id,
                    payload=self._call_payload(window_id, 1))
        return chosen

    async def recall(self, window_id: str) -> _Ticket:
        now, day = self._now()
        _, t = self._current(window_id, "called")
        if t.call_count > self.config.rules.max_recalls:
            raise HallQError("recall_limit", "已达重呼上限，请标记过号", "recall limit reached", 409)
        t.call_count += 1
        t.called_at = now
        self._event(now, day, "ticket.recalled", ticket=t, window_id=window_id, staff_id=t.staff_id,
                    payload=self._call_payload(window_id, t.call_count))
        return t

    async def start(self, window_id: str) -> _Ticket:
        now, day = self._now()
        _, t = self._current(window_id, "called")
        self._close_interval(now, t, "arrived")
        self._set_status(t, "serving")
        t.served_at = now
        self._open_interval(now, t, "serving", window_id, t.staff_id)
        self._event(now, day, "ticket.serving", ticket=t, window_id=window_id, staff_id=t.staff_id)
        return t

    async def finish(self, window_id: str, outcome: str = "completed") -> _Ticket:
        if outcome not in self.config.rules.finish_outcomes:
            raise bad_request(f"unknown outcome {outcome!r}", "未知的办理结果")
        now, day = self._now()
        state, t = self._current(window_id, "called", "serving")
        served_at = t.served_at
        if t.status == "called":  # finished without "start": served from the last call, as the engine
            served_at = t.called_at
        assert served_at is not None  # a called ticket has called_at, a serving one served_at
        self._close_interval(now, t, "served")
        self._set_status(t, "finished")
        t.finished_at, t.outcome, t.served_at = now, outcome, served_at
        state.current = None
        self._event(now, day, "ticket.finished", ticket=t, window_id=window_id, staff_id=t.staff_id,
                    payload={"outcome": outcome, "service_s": round(now - served_at, 3), "dwell_s": round(now - t.issued_at, 3)})
        return t

    async def no_show(self, window_id: str) -> _Ticket:
        now, day = self._now()
        state, t = self._current(window_id, "called")
        self._close_interval(now, t, "no_show")
        self._set_status(t, "no_show")
        t.outcome = "no_show"
        state.current = None
        self._event(now, day, "ticket.no_show", ticket=t, window_id=window_id, staff_id=t.staff_id,
                    payload={"call_count": t.call_count})
        return t

    async def transfer(self, window_id: str, target_kind: str, target: str, note: str | None = None) -> _Ticket:
        now, day = self._now()
        state, t = self._current(window_id, "called", "serving")
        if target_kind == "queue":
            q = self.config.queue(target)
            if q is None:
                raise not_found("queue", "队列", target)
            new_queue, target_window, zone = q.prefix, None, q.zone
        elif target_kind in ("window", "back_office"):
            w = self._window(target)
            if target == window_id:
                raise bad_request("cannot transfer to the same window", "不能转移到本窗口")
            if (target_kind == "back_office") != (w.kind == "back_office"):
                raise bad_request(f"{target} does not match {target_kind}", "转移目标类型不符")
            new_queue = t.queue if t.queue in w.queues or not w.queues else next(iter(w.queues))
            target_window, zone = w.id, w.zone
        else:
            raise bad_request(f"unknown transfer target kind {target_kind!r}", "未知的转移类型")
        from_queue, from_zone, from_leg = t.queue, t.zone, t.leg
        self._close_interval(now, t, f"transferred_{target_kind}")
        self._set_status(t, "transferring")  # out of every index before queue and target change
        t.queue, t.zone, t.target_window, t.window_id, t.leg = new_queue, zone, target_window, None, t.leg + 1
        t.queued_at, t.call_count, t.called_at, t.served_at = now, 0, None, None
        self._set_status(t, "waiting")
        self._open_interval(now, t, "waiting")
        state.current = None
        self._event(now, day, "ticket.transferred", ticket=t, window_id=window_id, staff_id=state.staff_id,
                    payload={"target_kind": target_kind, "target": target, "from_queue": from_queue,
                             "from_zone": from_zone, "from_leg": from_leg, "note": note})
        return t

    async def rate(self, ticket_id: int, score: int, source: str = "pad") -> _Ticket:
        now, day = self._now()
        t = next((x for x in reversed(self.rows.tickets) if x.id == ticket_id), None)
        if t is None:
            raise not_found("ticket", "票号", ticket_id)
        if t.rating is not None:
            raise HallQError("already_rated", "本次办事已评价", "this visit has been rated already", 409)
        if t.status not in ("serving", "finished"):
            raise invalid_state("only a visit being served or finished can be rated", "办理后才能评价")
        t.rating = score
        window_id, staff_id = self._rated_window(t)
        self._event(now, day, "ticket.rated", ticket=t, window_id=window_id, staff_id=staff_id,
                    payload={"score": score, "source": source, "bad": score <= 2})
        return t

    def _rated_window(self, t: _Ticket) -> tuple[str | None, str | None]:
        """QueueEngine._rated_window's rule: a back office's case is rated for the front window
        the citizen met last."""
        window = self.config.window(t.window_id) if t.window_id else None
        if window is None or window.kind != "back_office":
            return t.window_id, t.staff_id
        for event in reversed(self.rows.events):
            if event["ticket_id"] == t.id and event["kind"] in ("ticket.called", "ticket.serving"):
                met = self.config.window(event["window_id"]) if event["window_id"] else None
                if met is not None and met.kind != "back_office":
                    return event["window_id"], event["staff_id"]
        return t.window_id, t.staff_id

    async def close_day(self, day: date) -> int:
        now, today = self._now()
        closing = sorted((t for t in self._open.values() if t.hall_day <= day), key=lambda t: t.id)
        for t in closing:
            self._close_interval(now, t, "closed_eod")
            self._set_status(t, "closed")
            t.outcome, t.auto_closed = "closed_eod", True
            self._event(now, today, "ticket.closed", ticket=t, window_id=t.window_id)
        ids = {t.id for t in closing}
        for state in self.windows_state.values():
            if state.current is not None and state.current.id in ids:
                state.current = None
        return len(closing)

    # ------------------------------------------------------------------ writing
    def take_rows(self) -> _Rows:
        """Rows of tickets that have ended (all of a day's, once close_day ran); kept ones stay."""
        done = _Rows(
            tickets=[t for t in self.rows.tickets if t.id not in self._open],
            events=self.rows.events,
            intervals=[i for i in self.rows.intervals if i["end_at"] is not None],
            appointments=self.rows.appointments,  # booked and checked in within one action of the day driver
        )
        self.rows = _Rows(
            tickets=[t for t in self.rows.tickets if t.id in self._open],
            intervals=[i for i in self.rows.intervals if i["end_at"] is None],
        )
        return done


def _shallow(fact: Any) -> dict[str, Any]:
    """A fact's row: its fields hold plain values, so the deep copy `asdict` makes is not needed
    (it was a third of the catch-up's time for a year of history)."""
    return {f.name: getattr(fact, f.name) for f in fields(fact)}


def write_facts(conn: Connection, config: HallConfig, rows: _Rows, days: Sequence[date], now: float) -> None:
    """The fact rows the FactBuilder would write for these finished tickets, computed by the same
    functions (ledger.compute_ticket, facts.rebuild_window_days) from the rows still in memory, and
    the watermark moved past their events. No appeals exist yet, so no rating is excluded."""
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in rows.events:
        if e["ticket_id"] is not None:
            events[e["ticket_id"]].append(e)
    intervals: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for i in rows.intervals:
        intervals[i["ticket_id"]].append(i)
    ticket_rows: list[dict[str, Any]] = []
    leg_rows: list[dict[str, Any]] = []
    for t in rows.tickets:
        fact, legs = compute_ticket(config, t.row(), events[t.id], sorted(intervals[t.id], key=lambda i: i["id"]))
        ticket_rows.append(_shallow(fact))
        leg_rows.extend(_shallow(leg) for leg in legs)
    if ticket_rows:
        conn.execute(insert(stat_ticket_facts), ticket_rows)
    if leg_rows:
        conn.execute(insert(stat_leg_facts), leg_rows)
    for day in days:
        rebuild_window_days(conn, config, day, None, now)
    if rows.events:  # the catch-ups are past these events: intervals, ticket facts and window-days are written
        for name in (INTERVALS_MARK, WATERMARK, WINDOW_WATERMARK):
            write_watermark(conn, rows.events[-1]["seq"], name)
    finished = [d for d in days if d <= last_finished_day(config, now)]
    if finished:  # every window of these days was rebuilt above, as FactBuilder's finish_days would
        write_watermark(conn, max(finished).toordinal(), FINISHED_MARK)


def _next_ids(conn: Connection) -> tuple[int, int, int]:
    def nxt(column: Any) -> int:
        return int(conn.execute(select(func.max(column))).scalar() or 0) + 1
    return nxt(tickets.c.id), nxt(ticket_events.c.seq), nxt(ticket_intervals.c.id)


def write_rows(conn: Connection, rows: _Rows, chunk: int = 20000) -> int:
    """Insert one batch of finished rows; returns the number of tickets written."""
    def many(table: Any, values: list[dict[str, Any]]) -> None:
        for i in range(0, len(values), chunk):
            conn.execute(insert(table), values[i : i + chunk])
    many(tickets, [t.row() for t in rows.tickets])
    many(ticket_events, rows.events)
    many(ticket_intervals, rows.intervals)
    many(appointments, rows.appointments)
    return len(rows.tickets)


def write_state(conn: Connection, engine: BulkEngine) -> None:
    """Day counters and window states as the engine would leave them; PostgreSQL's id sequences
    moved past the explicit ids, so the hub's own inserts continue after the bulk history."""
    conn.execute(day_counters.delete().where(day_counters.c.hall_day.in_(sorted({d for d, _ in engine.counters}) or [date.min])))
    if engine.counters:
        conn.execute(insert(day_counters), [{"hall_day": d, "prefix": p, "last_seq": n} for (d, p), n in engine.counters.items()])
    for state in engine.windows_state.values():
        conn.execute(window_states.delete().where(window_states.c.window_id == state.window_id))
        conn.execute(insert(window_states).values(
            window_id=state.window_id, staff_id=state.staff_id, logged_in_at=state.logged_in_at,
            paused_reason=state.paused_reason, paused_at=state.paused_at,
            current_ticket_id=state.current.id if state.current else None))
    if conn.dialect.name == "postgresql":
        for table, column in (("tickets", "id"), ("ticket_events", "seq"), ("ticket_intervals", "id")):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                              f"GREATEST((SELECT COALESCE(MAX({column}), 0) FROM {table}), 1))"))


@dataclass
class BulkReport:
    days: list[DayResult]
    tickets: int
    simulate_s: float
    write_s: float
    facts_s: float


async def bulk_history(
    database: Database, config: HallConfig, profile: TrafficProfile, start: date, days: int,
    options: SimulationOptions = SimulationOptions(), *, build_facts: bool = True,
) -> BulkReport:
    """Simulate `days` days from `start` like simulate_days and write them in bulk, each day in
    one transaction with its facts (unless build_facts is False: then a FactBuilder catch-up, the
    hub's own or `hallq report`'s, builds them later from the rows)."""
    tz = ZoneInfo(config.hall.timezone)
    clock = ManualClock(datetime.combine(start, datetime.min.time(), tz).timestamp())
    ids = await database.read(_next_ids)
    engine = BulkEngine(config, clock, next_ticket=ids[0], next_seq=ids[1], next_interval=ids[2])
    rng = random.Random(options.seed)
    results, written, sim_s, write_s, facts_s = [], 0, 0.0, 0.0, 0.0
    for offset in range(days):
        day = start + timedelta(days=offset)
        t0 = time.perf_counter()
        results.append(await _DayRun(engine, clock, profile, day, rng, options).run())
        rows = engine.take_rows()
        t1 = time.perf_counter()
        sim_s += t1 - t0
        if not rows.events:
            continue
        now = clock.now()

        def work(conn: Connection, rows: _Rows = rows, day: date = day, now: float = now) -> tuple[int, float]:
            started = time.perf_counter()
            count = write_rows(conn, rows)
            written_at = time.perf_counter()
            if build_facts:
                write_facts(conn, config, rows, [day], now)
            return count, written_at - started

        count, spent = await database.write_long(work)
        written += count
        write_s += spent
        facts_s += time.perf_counter() - t1 - spent
    await database.write_long(lambda conn: write_state(conn, engine))
    return BulkReport(results, written, sim_s, write_s, facts_s)


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hallq simulate-bulk", description="write simulated history in bulk")
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--db", required=True, help="database URL")
    parser.add_argument("--config", help="hall configuration folder (default: the sample hall)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 5))
    parser.add_argument("--volume", type=float, default=1.0)
    return parser.parse_args(list(argv))


def bulk_main(argv: Sequence[str]) -> int:
    """`hallq simulate-bulk --days N --db URL [--config DIR] [--seed S] [--start D] [--volume F]`."""
    from server.config.loader import load_hall_config
    from server.config.paths import default_config_dir
    from server.simulation.profile import load_profile
    from server.storage.db import open_database, upgrade

    args = _parse(argv)
    config_dir = Path(args.config) if args.config else default_config_dir()
    config = load_hall_config(config_dir)
    profile = load_profile(config_dir / "traffic_profile.toml")

    async def run() -> BulkReport:
        database = open_database(args.db)
        try:
            await upgrade(database)
            return await bulk_history(database, config, profile, args.start, args.days, SimulationOptions(args.volume, args.seed))
        finally:
            await database.close()

    report = asyncio.run(run())
    print(f"{report.tickets} tickets over {args.days} days: simulate {report.simulate_s:.1f}s, "
          f"write {report.write_s:.1f}s, facts {report.facts_s:.1f}s")
    return 0
