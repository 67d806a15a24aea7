"""Whole simulated days of a hall, driven through the REAL engine on a ManualClock.

Every ticket, event and ledger row comes from QueueEngine itself, so statistics, reports and the
assessment read genuine history. A discrete-event loop: citizens arrive by hour and zone share
(traffic_profile.toml), some with priority or an appointment; staff log in at opening, call when
free (idle windows are woken by an arrival, nothing polls), recall, mark no-shows, transfer (to
another queue or the zone's back office), park nothing, pause a few times a day, and citizens rate.
Service times are lognormal per zone from the profile.
"""
from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from server.config.models import HallConfig, Window
from server.engine.clock import ManualClock
from server.engine.engine import QueueEngine
from server.engine.hours import issuing_windows
from server.engine.views import IssueRequest, TicketStatus
from server.errors import HallQError
from server.simulation.profile import TrafficProfile, ZoneProfile

RECALL_GAP_S = 40.0
PAUSE_REASONS = ("break", "away", "meeting")


@dataclass(frozen=True)
class SimulationOptions:
    volume: float = 1.0  # share of the profile's daily volume (tests use ~0.02)
    seed: int = 1
    service_scale: float = 1.0  # multiply service times (staffing checks)
    windows: frozenset[str] | None = None  # only these windows are staffed (None: all)
    # Counter windows open per zone and clock hour, e.g. staffing advice: {"A": {9: 6, 10: 5}}.
    # The first N of the zone's staffed counter windows (configuration order) are logged in; the
    # count set for an hour holds until the next hour listed (before the first: the first). A
    # window that closes finishes its case first. Zones not listed keep every window all day.
    open_windows: Mapping[str, Mapping[int, int]] | None = None


def windows_open_at(per_hour: Mapping[int, int], hour: int) -> int:
    """The count in force at `hour` under SimulationOptions.open_windows' rule."""
    listed = sorted(per_hour)
    earlier = [h for h in listed if h <= hour]
    return per_hour[earlier[-1] if earlier else listed[0]]


@dataclass
class DayResult:
    day: date
    issued: int = 0
    refused: int = 0
    finished: int = 0
    no_shows: int = 0
    transfers: int = 0
    ratings: int = 0
    pauses: int = 0
    closed: int = 0


class TicketLike(Protocol):
    """What the day driver reads of a ticket an engine hands back (a TicketView, or bulk's _Ticket)."""

    @property
    def id(self) -> int: ...
    @property
    def queue(self) -> str: ...
    @property
    def leg(self) -> int: ...
    @property
    def status(self) -> str | None: ...


class WindowLike(Protocol):
    """What the day driver reads of a window's state (a WindowView, or bulk's _WindowState)."""

    @property
    def staff_id(self) -> str | None: ...
    @property
    def current_ticket(self) -> TicketLike | None: ...


class DayEngine(Protocol):
    """The engine actions the day driver takes: QueueEngine's, or BulkEngine's copy of them."""

    @property
    def config(self) -> HallConfig: ...
    async def book_appointment(self, code: str, day: date, queue: str, slot_start: float, slot_end: float) -> object: ...
    async def issue(self, request: IssueRequest) -> object: ...
    async def login(self, window_id: str, staff_id: str) -> object: ...
    async def logout(self, window_id: str) -> object: ...
    async def pause(self, window_id: str, reason: str) -> object: ...
    async def resume(self, window_id: str) -> object: ...
    async def window(self, window_id: str) -> WindowLike: ...
    async def call_next(self, window_id: str) -> TicketLike | None: ...
    async def recall(self, window_id: str) -> object: ...
    async def start(self, window_id: str) -> object: ...
    async def finish(self, window_id: str, outcome: str = ...) -> TicketLike: ...
    async def no_show(self, window_id: str) -> object: ...
    async def transfer(self, window_id: str, target_kind: str, target: str) -> object: ...
    async def rate(self, ticket_id: int, score: int, source: str = ...) -> object: ...
    async def close_day(self, day: date) -> int: ...


@dataclass(order=True)
class _Action:
    at: float
    order: int
    run: Callable[[], Any] = field(compare=False)


class _DayRun:
    """One hall day's agenda; each action runs at its time on the manual clock."""

    def __init__(self, engine: DayEngine, clock: ManualClock, profile: TrafficProfile, day: date,
                 rng: random.Random, options: SimulationOptions) -> None:
        self.engine, self.clock, self.profile, self.day, self.rng, self.options = engine, clock, profile, day, rng, options
        self.config: HallConfig = engine.config
        self.tz = ZoneInfo(self.config.hall.timezone)
        self.agenda: list[_Action] = []
        self.counter = itertools.count()
        self.result = DayResult(day)
        self.idle: set[str] = set()
        self.pause_due: dict[str, int] = {}
        sessions = self.config.sessions_on(day)
        self.sessions = [
            (datetime.combine(day, s.start, self.tz).timestamp(), datetime.combine(day, s.end, self.tz).timestamp())
            for s in sessions
        ]
        self.staffed: list[Window] = [
            w for w in self.config.windows if options.windows is None or w.id in options.windows
        ]
        self.rota: dict[str, list[Window]] = {  # zone -> its counter windows, opened in this order
            zone: [w for w in self.staffed if w.zone == zone and w.kind == "window"]
            for zone, per_hour in (options.open_windows or {}).items() if per_hour
        }
        self.closing: set[str] = set()  # logged-in windows to close once their case is done

    def at(self, when: float, run: Callable[[], Any]) -> None:
        heapq.heappush(self.agenda, _Action(when, next(self.counter), run))

    def in_session(self, when: float) -> bool:
        return any(start <= when < end for start, end in self.sessions)

    def next_session_start(self, when: float) -> float | None:
        later = [start for start, _ in self.sessions if start > when]
        return min(later) if later else None

    async def run(self) -> DayResult:
        if not self.sessions:
            return self.result
        self._plan_arrivals()
        first = self.sessions[0][0]
        for window in self.staffed:
            login_at = first - self.rng.uniform(0, 300)
            if self._open_at(window, first):
                self.at(login_at, partial(self._login, window))
            for _ in range(self._poisson(self.profile.pauses_per_day)):
                start, end = self.rng.choice(self.sessions)
                self.at(self.rng.uniform(start, end), partial(self._want_pause, window))
        self._plan_rota(first)
        while self.agenda:
            action = heapq.heappop(self.agenda)
            self.clock.set(max(action.at, self.clock.now()))
            await action.run()
        for window in self.staffed:
            state = await self.engine.window(window.id)
            if state.staff_id is not None and state.current_ticket is None:
                await self.engine.logout(window.id)
        self.clock.set(datetime.combine(self.day, self.config.hours.auto_close_at, self.tz).timestamp())
        self.result.closed = await self.engine.close_day(self.day)
        return self.result

    # ------------------------------------------------------------- citizens
    def _poisson(self, mean: float) -> int:
        if mean <= 0:
            return 0
        if mean > 50:
            return max(int(round(self.rng.gauss(mean, math.sqrt(mean)))), 0)
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def _zones(self) -> list[tuple[ZoneProfile, list[str]]]:
        out = []
        for zone in self.profile.zones.values():
            queues = [q.prefix for q in self.config.queues if q.zone == zone.code]
            if queues:
                out.append((zone, queues))
        return out

    def _plan_arrivals(self) -> None:
        zones = self._zones()
        if not zones:
            return
        weekday = self.day.isoweekday()
        for window in issuing_windows(self.config, self.day):
            hour = window.opens.replace(minute=0, second=0)
            while hour < window.stops:
                start = max(hour, window.opens).timestamp()
                end = min(hour + timedelta(hours=1), window.stops).timestamp()
                rate = self.profile.arrivals_per_hour(weekday, hour.hour) * self.options.volume
                for _ in range(self._poisson(rate * (end - start) / 3600.0)):
                    zone, queues = self.rng.choices(zones, weights=[z.share for z, _ in zones])[0]
                    queue = self.rng.choice(queues)
                    when = self.rng.uniform(start, end)
                    self.at(when, partial(self._arrive, zone, queue))
                hour += timedelta(hours=1)

    async def _arrive(self, zone: ZoneProfile, queue: str) -> None:
        try:
            if self.rng.random() < self.profile.appointment_share:
                code = f"S{self.day:%y%m%d}{next(self.counter):06d}"
                now = self.clock.now()
                # A slot around now, inside the session (the hub books no slot outside its hours).
                opens, closes = next(((a, b) for a, b in self.sessions if a <= now <= b), (now - 600, now + 1200))
                start = max(now - 600, opens)
                await self.engine.book_appointment(code, self.day, queue, start, max(min(now + 1200, closes), start + 60))
                request = IssueRequest(appointment_code=code, device="sim")
            else:
                priority = "elderly" if self.rng.random() < zone.priority_share else None
                request = IssueRequest(queue=queue, priority_class=priority, device="sim")
            await self.engine.issue(request)
            self.result.issued += 1
        except HallQError:
            self.result.refused += 1
            return
        self._wake(queue, None)

    def _wake(self, queue: str, target: str | None) -> None:
        for window in self.staffed:
            if window.id in self.idle and (window.id == target or (target is None and queue in window.queues)):
                self.idle.discard(window.id)
                self.at(self.clock.now() + 1, partial(self._call, window))
                if target is None:
                    return

    # ------------------------------------------------------------- staff
    def _open_at(self, window: Window, when: float) -> bool:
        """Whether the per-hour rota (SimulationOptions.open_windows) has this window open then."""
        rota = self.rota.get(window.zone)
        if rota is None or window not in rota:
            return True
        per_hour = (self.options.open_windows or {})[window.zone]
        hour = datetime.fromtimestamp(when, self.tz).hour
        return rota.index(window) < windows_open_at(per_hour, hour)

    def _plan_rota(self, first: float) -> None:
        """At each listed hour after the first session starts, open or close windows to the count."""
        for zone, rota in self.rota.items():
            for hour in sorted((self.options.open_windows or {})[zone]):
                when = datetime.combine(self.day, datetime.min.time(), self.tz).timestamp() + hour * 3600
                if when > first:
                    for window in rota:
                        self.at(when, partial(self._follow_rota, window))

    async def _follow_rota(self, window: Window) -> None:
        state = await self.engine.window(window.id)
        if self._open_at(window, self.clock.now()):
            self.closing.discard(window.id)
            if state.staff_id is None:
                await self.engine.login(window.id, f"sim-{window.id.lower()}")
                await self._call(window)  # serves the queue, or waits in self.idle for an arrival
        elif state.staff_id is not None:
            if window.id in self.idle:
                self.idle.discard(window.id)
                await self.engine.logout(window.id)
            else:
                self.closing.add(window.id)

    async def _login(self, window: Window) -> None:
        await self.engine.login(window.id, f"sim-{window.id.lower()}")
        self.idle.add(window.id)
        self.at(self.sessions[0][0], lambda: self._call(window))

    async def _want_pause(self, window: Window) -> None:
        self.pause_due[window.id] = self.pause_due.get(window.id, 0) + 1
        if window.id in self.idle:
            self.idle.discard(window.id)
            await self._call(window)

    async def _call(self, window: Window) -> None:
        now = self.clock.now()
        if window.id in self.closing:
            self.closing.discard(window.id)
            self.idle.discard(window.id)
            await self.engine.logout(window.id)
            return
        if self.pause_due.get(window.id):
            self.pause_due[window.id] -= 1
            await self.engine.pause(window.id, self.rng.choice(PAUSE_REASONS))
            self.result.pauses += 1
            minutes = self.rng.lognormvariate(math.log(8), 0.5)
            self.at(now + minutes * 60, lambda: self._resume(window))
            return
        if not self.in_session(now) and now < self.sessions[-1][1]:
            start = self.next_session_start(now)
            if start is not None:
                self.at(start, lambda: self._call(window))
                return
        ticket = await self.engine.call_next(window.id)
        if ticket is None:
            self.idle.add(window.id)
            return
        await self._serve(window, ticket)

    async def _resume(self, window: Window) -> None:
        await self.engine.resume(window.id)
        await self._call(window)

    async def _serve(self, window: Window, ticket: TicketLike) -> None:
        now = self.clock.now()
        rules = self.config.rules
        if self.rng.random() < self.profile.no_show_rate:
            for i in range(rules.max_recalls):
                self.at(now + RECALL_GAP_S * (i + 1), lambda: self.engine.recall(window.id))
            self.at(now + RECALL_GAP_S * (rules.max_recalls + 1), lambda: self._no_show(window))
            return
        walk = self.rng.uniform(15, 90)
        if self.rng.random() < self.profile.recall_rate:
            self.at(now + RECALL_GAP_S, lambda: self.engine.recall(window.id))
            walk += RECALL_GAP_S
        zone = self.profile.zones.get(window.zone) or next(iter(self.profile.zones.values()))
        mu, sigma = zone.service_lognormal
        service = 60 * self.rng.lognormvariate(mu, sigma) * self.options.service_scale
        self.at(now + walk, lambda: self.engine.start(window.id))
        self.at(now + walk + service, lambda: self._conclude(window, ticket))

    async def _no_show(self, window: Window) -> None:
        await self.engine.no_show(window.id)
        self.result.no_shows += 1
        await self._call(window)

    async def _conclude(self, window: Window, ticket: TicketLike) -> None:
        if window.kind == "window" and ticket.leg == 1 and self.rng.random() < self.profile.transfer_rate:
            if await self._transfer(window, ticket):
                await self._call(window)
                return
        done = await self.engine.finish(window.id, "completed")
        self.result.finished += 1
        if done.status == TicketStatus.FINISHED and self.rng.random() < self.profile.evaluation_rate:
            scores = self.profile.evaluation_share
            await self.engine.rate(done.id, self.rng.choices(list(scores), weights=list(scores.values()))[0], "sim")
            self.result.ratings += 1
        await self._call(window)

    async def _transfer(self, window: Window, ticket: TicketLike) -> bool:
        back_offices = [w for w in self.staffed if w.kind == "back_office" and w.zone == window.zone]
        if back_offices and self.rng.random() < 0.5:
            target = self.rng.choice(back_offices)
            await self.engine.transfer(window.id, "back_office", target.id)
            self._wake(ticket.queue, target.id)
        else:
            others = sorted({q for w in self.staffed if w.kind == "window" for q in w.queues} - set(window.queues))
            if not others:
                return False
            queue = self.rng.choice(others)
            await self.engine.transfer(window.id, "queue", queue)
            self._wake(queue, None)
        self.result.transfers += 1
        return True


async def simulate_days(
    engine: QueueEngine, clock: ManualClock, profile: TrafficProfile, start: date, days: int,
    options: SimulationOptions = SimulationOptions(),
) -> list[DayResult]:
    """Simulate `days` consecutive calendar days from `start` (rest days pass with no tickets)."""
    rng = random.Random(options.seed)
    results = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        results.append(await _DayRun(engine, clock, profile, day, rng, options).run())
    return results


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hallq simulate", description="simulate whole hall days through the engine")
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--db", help="database URL (default: SQLite data/simulated.db)")
    parser.add_argument("--config", help="hall configuration folder (default: the sample hall)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, help="first day, YYYY-MM-DD (default: 2026-01-05)")
    parser.add_argument("--volume", type=float, default=1.0, help="share of the profile's daily volume")
    return parser.parse_args(list(argv))


async def _simulate(args: argparse.Namespace) -> list[DayResult]:
    from server.config.loader import load_hall_config
    from server.config.paths import default_config_dir
    from server.events import EventBus
    from server.simulation.profile import load_profile
    from server.stats.facts import FactBuilder
    from server.storage.db import open_database, upgrade

    config_dir = Path(args.config) if args.config else default_config_dir()
    config = load_hall_config(config_dir)
    profile = load_profile(config_dir / "traffic_profile.toml")
    start = args.start or date(2026, 1, 5)
    url = args.db or f"sqlite:///{Path('data').resolve() / 'simulated.db'}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    database = open_database(url)
    try:
        await upgrade(database)
        clock = ManualClock(datetime.combine(start, datetime.min.time(), ZoneInfo(config.hall.timezone)).timestamp())
        engine = QueueEngine(database, config, clock, EventBus(), secret=b"hallq-simulation")
        results = await simulate_days(engine, clock, profile, start, args.days, SimulationOptions(args.volume, args.seed))
        await FactBuilder(database, config, clock).catch_up_all()
        return results
    finally:
        await database.close()


def simulate_main(argv: Sequence[str]) -> int:
    """`hallq simulate --days N [--db URL] [--config DIR] [--seed S] [--start YYYY-MM-DD]`."""
    args = _parse(argv)
    if args.days < 1:
        print("--days must be at least 1")
        return 2
    results = asyncio.run(_simulate(args))
    for r in results:
        if r.issued:
            print(f"{r.day}  issued {r.issued}  finished {r.finished}  no-shows {r.no_shows}  "
                  f"transfers {r.transfers}  ratings {r.ratings}  pauses {r.pauses}  auto-closed {r.closed}")
    print(f"{sum(r.issued for r in results)} tickets over {len(results)} days")
    return 0
