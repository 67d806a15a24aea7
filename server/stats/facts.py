"""The fact builder: a catch-up job that turns ledger and events into fact rows.

It reads `ticket_events` after a stored watermark, rebuilds from scratch the facts of every ticket
those events touched (so running it twice, or after a crash half-way, gives the same rows), and
moves the watermark in the same transaction. It never edits the engine: live hubs run it from an
event-bus listener (`FactBuilder.attach(bus)`), batch tools call `catch_up()` until it returns 0.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from server.config.models import HallConfig
from server.engine.clock import Clock
from server.engine.hours import hall_day
from server.engine.views import HallEvent
from server.events import EventBus
from server.stats.intervals import derive_intervals, in_chunks
from server.storage.outage import told_by_the_storage
from server.stats.watermarks import read_watermark, write_watermark
from server.stats.ledger import FINAL_STATUSES, compute_ticket
from server.stats.window_day import WINDOW_KINDS, WindowState, state_after, window_day_facts
from server.storage.db import Database
from server.storage.schema import (
    WINDOW_DAY_KINDS_WHERE,
    rating_appeals,
    stat_leg_facts,
    stat_ticket_facts,
    stat_window_days,
    ticket_events,
    ticket_intervals,
    tickets,
)

log = logging.getLogger(__name__)
WATERMARK = "facts"
TODAY_REFRESH_S = 60.0
"""How stale today's window figures may be when a report or the dashboard reads them."""
WINDOW_WATERMARK = "window_days"
FINISHED_MARK = "window_days_finished"  # date.toordinal() of the last hall day rebuilt whole once over
FINISH_AT_MOST_DAYS = 31  # a hub off for longer leaves older days as they were
BATCH_EVENTS = 5000
LIVE_BATCH_EVENTS = 50
LOOKBACK_DAYS = 7  # how far back a window's state at the start of a day is looked for


def rebuild_tickets(conn: Connection, config: HallConfig, ticket_ids: Sequence[int]) -> int:
    """Recompute the facts of these tickets: final ones get fresh rows, open ones none."""
    written = 0
    for chunk in in_chunks(sorted(set(ticket_ids))):
        conn.execute(delete(stat_leg_facts).where(stat_leg_facts.c.ticket_id.in_(chunk)))
        conn.execute(delete(stat_ticket_facts).where(stat_ticket_facts.c.ticket_id.in_(chunk)))
        rows = [
            r._mapping
            for r in conn.execute(
                select(tickets).where(tickets.c.id.in_(chunk), tickets.c.status.in_(sorted(FINAL_STATUSES)))
            )
        ]
        if not rows:
            continue
        final_ids = [r["id"] for r in rows]
        events: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for e in conn.execute(
            select(
                ticket_events.c.ticket_id,
                ticket_events.c.kind,
                ticket_events.c.at,
                ticket_events.c.staff_id,
                ticket_events.c.window_id,
                ticket_events.c.payload,
            )
            .where(ticket_events.c.ticket_id.in_(final_ids))
            .order_by(ticket_events.c.seq)
        ):
            events[e.ticket_id].append(dict(e._mapping))
        intervals: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for i in conn.execute(
            select(ticket_intervals).where(ticket_intervals.c.ticket_id.in_(final_ids)).order_by(ticket_intervals.c.id)
        ):
            intervals[i.ticket_id].append(dict(i._mapping))
        excluded = set(
            conn.execute(
                select(rating_appeals.c.ticket_id).where(
                    rating_appeals.c.ticket_id.in_(final_ids), rating_appeals.c.status == "accepted"
                )
            ).scalars()
        )
        ticket_rows: list[dict[str, Any]] = []
        leg_rows: list[dict[str, Any]] = []
        for row in rows:
            fact, legs = compute_ticket(
                config, row, events[row["id"]], intervals[row["id"]], rating_excluded=row["id"] in excluded
            )
            ticket_rows.append(fact.row())
            leg_rows.extend(leg.row() for leg in legs)
        conn.execute(insert(stat_ticket_facts), ticket_rows)
        if leg_rows:
            conn.execute(insert(stat_leg_facts), leg_rows)
        written += len(ticket_rows)
    return written


def _day_bounds(config: HallConfig, day: date) -> tuple[float, float]:
    tz = ZoneInfo(config.hall.timezone)
    start = datetime.combine(day, time(0), tz).timestamp()
    return start, datetime.combine(day + timedelta(days=1), time(0), tz).timestamp()


def rebuild_window_days(
    conn: Connection, config: HallConfig, day: date, window_ids: Iterable[str] | None, now: float
) -> int:
    """Recompute availability and idle time of these windows (all when None) on `day`."""
    windows = [w for w in config.windows if window_ids is None or w.id in set(window_ids)]
    if not windows:
        return 0
    ids = [w.id for w in windows]
    day_start, day_end = _day_bounds(config, day)
    until = min(day_end, now)
    if until <= day_start:
        return 0
    earlier: dict[str, list[dict[str, Any]]] = defaultdict(list)
    today: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in conn.execute(
        select(ticket_events.c.window_id, ticket_events.c.kind, ticket_events.c.at, ticket_events.c.staff_id)
        .where(
            ticket_events.c.hall_day >= day - timedelta(days=LOOKBACK_DAYS),
            ticket_events.c.hall_day <= day,
            WINDOW_DAY_KINDS_WHERE,  # the partial index's own condition, so it is used
            ticket_events.c.kind.in_(WINDOW_KINDS),
            ticket_events.c.window_id.in_(ids),
        )
        .order_by(ticket_events.c.seq)
    ):
        (today if e.at >= day_start else earlier)[e.window_id].append(dict(e._mapping))
    busy: dict[str, list[tuple[float, float, str | None]]] = defaultdict(list)
    for i in conn.execute(
        select(ticket_intervals.c.window_id, ticket_intervals.c.start_at, ticket_intervals.c.end_at, ticket_intervals.c.staff_id)
        .where(
            ticket_intervals.c.hall_day == day,
            ticket_intervals.c.window_id.in_(ids),
            ticket_intervals.c.state.in_(("called", "serving")),
        )
    ):
        busy[i.window_id].append((i.start_at, i.end_at if i.end_at is not None else until, i.staff_id))
    targets: dict[tuple[int, int], str | None] = {}
    for moved in conn.execute(
        select(ticket_events.c.ticket_id, ticket_events.c.payload).where(
            ticket_events.c.hall_day == day, WINDOW_DAY_KINDS_WHERE, ticket_events.c.kind == "ticket.transferred"
        )
    ):
        payload = moved.payload or {}
        if payload.get("target_kind") != "queue":
            targets[(moved.ticket_id, int(payload.get("from_leg", 0)) + 1)] = payload.get("target")
    waiting_by_queue: dict[str, list[tuple[float, float]]] = defaultdict(list)
    waiting_by_target: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for wait in conn.execute(
        select(
            ticket_intervals.c.ticket_id, ticket_intervals.c.leg, ticket_intervals.c.queue,
            ticket_intervals.c.start_at, ticket_intervals.c.end_at,
        ).where(
            ticket_intervals.c.hall_day == day,
            ticket_intervals.c.window_id.is_(None),
            ticket_intervals.c.state == "waiting",
        )
    ):
        span = (wait.start_at, wait.end_at if wait.end_at is not None else until)
        target = targets.get((wait.ticket_id, wait.leg))
        if target is not None:
            waiting_by_target[target].append(span)
        else:
            waiting_by_queue[wait.queue].append(span)
    conn.execute(delete(stat_window_days).where(stat_window_days.c.hall_day == day, stat_window_days.c.window_id.in_(ids)))
    rows: list[dict[str, Any]] = []
    for window in windows:
        waiting = [s for q in window.queues for s in waiting_by_queue.get(q, [])] + waiting_by_target.get(window.id, [])
        initial = state_after(earlier.get(window.id, []), WindowState())
        facts = window_day_facts(
            config, day, window, initial, today.get(window.id, []), busy.get(window.id, []), waiting, day_start, until
        )
        rows.extend(f.row() for f in facts)
    if rows:
        conn.execute(insert(stat_window_days), rows)
    return len(rows)


@dataclass
class CatchUpResult:
    events: int
    tickets: int
    window_days: int
    watermark: int


def catch_up_sync(conn: Connection, config: HallConfig, now: float, limit: int = BATCH_EVENTS) -> CatchUpResult:
    """One batch of ticket facts: events after the watermark -> facts; the watermark moves in the
    same transaction. Cheap: only tickets that reached a final state get rows."""
    mark = read_watermark(conn, WATERMARK)
    batch = conn.execute(
        select(ticket_events.c.seq, ticket_events.c.ticket_id, ticket_events.c.kind)
        .where(ticket_events.c.seq > mark)
        .order_by(ticket_events.c.seq)
        .limit(limit)
    ).all()
    if not batch:
        return CatchUpResult(0, 0, 0, mark)
    derive_intervals(conn, upto=batch[-1].seq)  # the facts read them
    # A ticket just issued is waiting and has no facts yet: skipping those keeps the catch-up
    # cheap while kiosks issue and nobody is called.
    ticket_ids = [e.ticket_id for e in batch if e.ticket_id is not None and e.kind != "ticket.issued"]
    written = rebuild_tickets(conn, config, ticket_ids)
    write_watermark(conn, batch[-1].seq, WATERMARK)
    return CatchUpResult(len(batch), written, 0, batch[-1].seq)


def last_finished_day(config: HallConfig, now: float) -> date:
    """The latest hall day that is over: today once the hall's auto-close time has passed."""
    today = hall_day(config, now)
    closes = datetime.combine(today, config.hours.auto_close_at, ZoneInfo(config.hall.timezone)).timestamp()
    return today if now >= closes else today - timedelta(days=1)


def finish_days(conn: Connection, config: HallConfig, now: float) -> int:
    """Rebuild every window of each hall day that ended since the last call. A window nobody logged
    into all day has no events, so only a whole-day rebuild writes its row (staff "", the scheduled
    time availability is measured against); `ticket.closed` asks for one only on days that had
    auto-closed tickets, and without this the hub's figures lacked those rows where the bulk
    path's had them."""
    last = last_finished_day(config, now).toordinal()
    done = read_watermark(conn, FINISHED_MARK) or _before_first_event(conn, last)
    if done >= last:
        return 0
    rows = 0
    for ordinal in range(max(done, last - FINISH_AT_MOST_DAYS) + 1, last + 1):
        day = date.fromordinal(ordinal)
        if config.sessions_on(day):
            rows += rebuild_window_days(conn, config, day, None, now)
    write_watermark(conn, last, FINISHED_MARK)
    return rows


def _before_first_event(conn: Connection, last: int) -> int:
    """Where a hall's first whole-day rebuild starts: the day before its first event. It started at
    the day before the hub's first start, and wrote a day the hall never ran (63 windows scheduled,
    nobody logged in) that halved the first month's 窗口在岗率; a hall with no event yet has
    nothing to rebuild (`last`)."""
    # Its first ticket or window session (by their indexes): not any event, as device states are
    # written from the first start of a hub with buses, a setup day weeks before go-live perhaps.
    firsts = [conn.execute(select(func.min(tickets.c.hall_day))).scalar(),
              conn.execute(select(func.min(ticket_events.c.hall_day)).where(WINDOW_DAY_KINDS_WHERE)).scalar()]
    days = [day for day in firsts if day is not None]
    return last if not days else min(min(days).toordinal() - 1, last)


def catch_up_windows_sync(conn: Connection, config: HallConfig, now: float, limit: int = BATCH_EVENTS) -> CatchUpResult:
    """One batch of window-day figures (availability, idle while people wait) for the windows the
    events touched, after the whole-day rebuilds of days that have ended (`finish_days`). Each
    rebuild reads the window's whole day, so this runs when figures are read (reports, dashboard,
    CLI), not after every event on the hub's single writer."""
    derive_intervals(conn)  # the figures read them, for every event so far
    finished = finish_days(conn, config, now)
    mark = read_watermark(conn, WINDOW_WATERMARK)
    batch = conn.execute(
        select(ticket_events.c.seq, ticket_events.c.hall_day, ticket_events.c.window_id, ticket_events.c.kind)
        .where(ticket_events.c.seq > mark)
        .order_by(ticket_events.c.seq)
        .limit(limit)
    ).all()
    if not batch:
        return CatchUpResult(0, 0, finished, mark)
    dirty: dict[date, set[str] | None] = {}
    for e in batch:
        if e.kind == "ticket.closed":
            dirty[e.hall_day] = None  # the day is over: every window's figures are final now
        elif e.window_id is not None:
            windows = dirty.setdefault(e.hall_day, set())
            if windows is not None:  # None: every window of that day is rebuilt
                windows.add(e.window_id)
    window_rows = sum(rebuild_window_days(conn, config, day, wins, now) for day, wins in sorted(dirty.items()))
    write_watermark(conn, batch[-1].seq, WINDOW_WATERMARK)
    return CatchUpResult(len(batch), 0, finished + window_rows, batch[-1].seq)


CatchUpStep = Callable[[Connection, HallConfig, float, int], CatchUpResult]
"""One batch of a catch-up on a connection: catch_up_sync or catch_up_windows_sync."""


@dataclass
class FactBuilder:
    """Keeps the facts up to date: waits `settle_s` after an event, then catches up once.

    The catch-up writes on the hub's single writer, as the engine does; running it after every
    event halved the issue rate and put window-day rebuilds in front of calls. Reports call
    `catch_up_all()` before they read, so settling costs them nothing.
    """

    database: Database
    config: HallConfig
    clock: Clock
    settle_s: float = 2.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _task: asyncio.Task[None] | None = None
    _again: bool = False
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _listeners: list[Callable[[], None]] = field(default_factory=list)
    _today_rebuilt: date | None = None
    _today_rebuilt_at: float = 0.0

    async def catch_up(self, limit: int = BATCH_EVENTS, step: CatchUpStep = catch_up_sync, *,
                       live: bool = False) -> CatchUpResult:
        """One batch, beside the hall's writes where the database allows (`write_apart`: on
        PostgreSQL). `live` (SQLite): a small batch written like the engine's own actions (on
        the event loop, group-committed with them) rather than on the writer thread: a batch there
        held the write lock for tens of milliseconds while calls waited behind it, and its Python
        took the GIL from the event loop (measured: call-next p50 doubled while the facts of a
        busy window caught up)."""
        async with self._lock:
            now = self.clock.now()
            work = lambda conn: step(conn, self.config, now, limit)  # noqa: E731
            return await self.database.write_apart(work, long=not live)

    async def catch_up_tickets(self, batch: int = LIVE_BATCH_EVENTS, *, live: bool = True) -> int:
        """Ticket facts only, in batches up to the newest event: what runs after events.

        A batch that finds fewer events than it may take has met the newest one, and the round
        ends there; events written meanwhile wait for the next round (`_run`, after the settle
        time). Looping until a batch found nothing made a round chase a busy hall event by event,
        a batch of one or two between every two calls, each call waiting behind one: measured on
        PostgreSQL, call-next p50 13.1 -> 2.9 ms at one window calling without pause."""
        processed = 0
        while True:
            result = await self.catch_up(batch, live=live)
            processed += result.events
            if result.events < batch:  # met the newest event: what came meanwhile waits a round
                return processed

    async def catch_up_all(self) -> int:
        """Ticket facts and window-day figures up to the newest event: what readers call first
        (in large batches on the writer thread: after a bulk import there may be a year of them)."""
        processed = await self.catch_up_tickets(BATCH_EVENTS, live=False)
        while (await self.catch_up(BATCH_EVENTS, step=catch_up_windows_sync)).events == BATCH_EVENTS:
            pass
        return processed

    async def ready_for(self, start: date, end: date) -> None:
        """What a reader of days start..end calls first: the facts caught up and, when the period
        holds today, today's window figures for every window rebuilt (at most once every
        TODAY_REFRESH_S of hall time). A window's day is otherwise rebuilt only at its own events,
        so a window open and idle while 69 people waited kept its 09:34 figures all morning, and
        one nobody logged into had no row until the evening (~40 ms for a busy day's 63 windows
        on SQLite, on the writer)."""
        await self.catch_up_all()
        now = self.clock.now()
        today = hall_day(self.config, now)
        if not start <= today <= end or (self._today_rebuilt == today and now - self._today_rebuilt_at < TODAY_REFRESH_S):
            return
        async with self._lock:
            await self.database.write_apart(lambda conn: rebuild_window_days(conn, self.config, today, None, now), long=True)
        self._today_rebuilt, self._today_rebuilt_at = today, now

    async def refresh_day(self, day: date) -> int:
        """Recompute every window's figures for `day` (e.g. today, before a report reads them)."""
        await self.catch_up_all()
        now = self.clock.now()
        async with self._lock:
            return await self.database.write_apart(lambda conn: rebuild_window_days(conn, self.config, day, None, now), long=True)

    def attach(self, bus: EventBus) -> Callable[[], None]:
        """Run a catch-up after events arrive; returns the function that detaches it."""
        unsubscribe = bus.listen(self._on_event)
        self._listeners.append(unsubscribe)
        return unsubscribe

    def _on_event(self, event: HallEvent) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        # Settle before every round, not only the first: under a steady stream of events the
        # builder would otherwise chase each new event at once, taking the write lock from the
        # engine hundreds of times a second (measured: a third of the issue rate, and eight
        # kiosks slower than one).
        while True:
            with contextlib.suppress(TimeoutError):  # a stopping hub catches up at once
                await asyncio.wait_for(self._stopping.wait(), self.settle_s)
            self._again = False
            try:
                await self.catch_up_tickets()
            except Exception as error:  # noqa: BLE001 - facts lag, the hall goes on; the next event retries
                if not told_by_the_storage(error):
                    log.exception("statistics catch-up failed")
            if not self._again:
                return

    async def close(self) -> None:
        """The events already heard are caught up now, not after the settle: every stop of the
        hub (and every test's hub) waited out the two seconds first."""
        for unsubscribe in self._listeners:
            unsubscribe()
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
