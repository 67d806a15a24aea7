"""Window availability and idle-while-people-wait for one window on one day, per staff member.

Pure: the fact builder hands in the window's events, its busy intervals and the spans in which
someone was waiting for it. Everything is clipped to the day's scheduled sessions, because
availability is measured against scheduled working time and a window open during the lunch break
is not a window the hall promised.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from server.config.models import HallConfig, Window
from server.stats.spans import Span, intersect, normalise, subtract, total

WINDOW_KINDS = ("window.login", "window.logout", "window.paused", "window.resumed")


@dataclass(frozen=True)
class WindowState:
    """Who was logged in at a window and whether it was paused, at some moment."""

    staff_id: str | None = None
    paused: bool = False


@dataclass(frozen=True)
class WindowDayFact:
    hall_day: date
    window_id: str
    staff_id: str
    zone: str
    unit: str | None
    scheduled_s: float
    logged_in_s: float
    paused_s: float
    available_s: float
    busy_s: float
    idle_waiting_s: float

    def row(self) -> dict[str, Any]:
        return asdict(self)


def session_spans(config: HallConfig, day: date) -> list[tuple[time, Span]]:
    """Each of the day's opening sessions: its start time (morning or afternoon) and its span."""
    tz = ZoneInfo(config.hall.timezone)
    return [
        (s.start, (datetime.combine(day, s.start, tz).timestamp(), datetime.combine(day, s.end, tz).timestamp()))
        for s in config.sessions_on(day)
    ]


def scheduled_spans(config: HallConfig, day: date) -> list[Span]:
    return normalise(span for _, span in session_spans(config, day))


def state_after(events: Sequence[Mapping[str, Any]], state: WindowState = WindowState()) -> WindowState:
    """Fold window events (ordered) into the state they leave behind."""
    for event in events:
        kind = event["kind"]
        if kind == "window.login":
            state = WindowState(event["staff_id"], False)
        elif kind == "window.logout":
            state = WindowState(None, False)
        elif kind == "window.paused":
            state = WindowState(state.staff_id or event["staff_id"], True)
        elif kind == "window.resumed":
            state = WindowState(state.staff_id or event["staff_id"], False)
    return state


def window_day_facts(
    config: HallConfig,
    day: date,
    window: Window,
    initial: WindowState,
    events: Sequence[Mapping[str, Any]],
    busy: Sequence[tuple[float, float, str | None]],
    waiting: Sequence[Span],
    day_start: float,
    until: float,
) -> list[WindowDayFact]:
    """Rows per staff member who was logged in during the day (or one row with staff "" if
    nobody was), so availability always has its denominator."""
    logged: dict[str, list[Span]] = {}
    paused: dict[str, list[Span]] = {}
    staff, is_paused = initial.staff_id, initial.paused
    since = day_start
    paused_since = day_start if is_paused else None
    for event in events:
        at = float(event["at"])
        kind = event["kind"]
        if kind == "window.login":
            if staff is not None:
                logged.setdefault(staff, []).append((since, at))
            staff, since, is_paused, paused_since = event["staff_id"], at, False, None
        elif kind == "window.logout":
            if staff is not None:
                logged.setdefault(staff, []).append((since, at))
                if paused_since is not None:
                    paused.setdefault(staff, []).append((paused_since, at))
            staff, is_paused, paused_since = None, False, None
        elif kind == "window.paused" and staff is not None:
            is_paused, paused_since = True, at
        elif kind == "window.resumed" and staff is not None:
            if paused_since is not None:
                paused.setdefault(staff, []).append((paused_since, at))
            is_paused, paused_since = False, None
    if staff is not None:
        logged.setdefault(staff, []).append((since, until))
        if paused_since is not None:
            paused.setdefault(staff, []).append((paused_since, until))
    # Only the opening hours that have passed: today's rows are rebuilt all day, and counting the
    # afternoon at noon made everyone logged in since opening look absent for it (and their
    # availability a fraction) until the hall closed.
    schedule = normalise((s, min(e, until)) for s, e in scheduled_spans(config, day))
    scheduled = total(schedule)
    busy_all = normalise((s, min(e, until)) for s, e, _ in busy)
    waiting_n = normalise((s, min(e, until)) for s, e in waiting)
    rows = []
    for person in sorted(logged) or [""]:
        on = intersect(normalise(logged.get(person, [])), schedule)
        off = intersect(normalise(paused.get(person, [])), on)
        available = subtract(on, off)
        mine = normalise((s, min(e, until)) for s, e, who in busy if who == person)
        rows.append(
            WindowDayFact(
                hall_day=day,
                window_id=window.id,
                staff_id=person,
                zone=window.zone,
                unit=window.unit,
                scheduled_s=round(scheduled, 3),
                logged_in_s=round(total(on), 3),
                paused_s=round(total(off), 3),
                available_s=round(total(available), 3),
                busy_s=round(total(intersect(mine, available)), 3),
                idle_waiting_s=round(total(intersect(subtract(available, busy_all), waiting_n)), 3),
            )
        )
    return rows
