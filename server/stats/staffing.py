"""Staffing advice: how many windows each zone needs per hour to keep waits within the service
level, from recorded arrivals and service times, by the Erlang C formula (M/M/n).

A window is occupied from the call to the finish, so the holding time is walk + service.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, not_, select
from sqlalchemy.engine import Connection

from server.config.models import HallConfig
from server.engine.hours import issuing_windows
from server.storage.schema import stat_ticket_facts as tf

MAX_WINDOWS = 200


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival has to wait, with `load` = arrival rate x mean holding time."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    term, series = 1.0, 1.0  # A^k/k!, computed iteratively to stay finite for large n
    for k in range(1, servers):
        term *= load / k
        series += term
    last = term * load / servers * servers / (servers - load)
    return last / (series + last)


def share_within(servers: int, load: float, holding_s: float, level_s: float) -> float:
    """Share of citizens whose wait is at most `level_s` with `servers` windows open."""
    if load <= 0:
        return 1.0
    if servers <= load:
        return 0.0
    return 1.0 - erlang_c(servers, load) * math.exp(-(servers - load) * level_s / holding_s)


def windows_needed(arrivals_per_hour: float, holding_s: float, level_s: float, target: float) -> int:
    """The fewest windows for which at least `target` of waits stay within the service level."""
    if arrivals_per_hour <= 0 or holding_s <= 0:
        return 0
    load = arrivals_per_hour / 3600.0 * holding_s
    n = max(int(math.floor(load)) + 1, 1)
    while n < MAX_WINDOWS and share_within(n, load, holding_s, level_s) < target:
        n += 1
    return n


@dataclass(frozen=True)
class StaffingAdvice:
    zone: str
    hour: int
    arrivals_per_hour: float
    holding_s: float
    windows: int
    share_within: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def issuing_hours(config: HallConfig, days: Iterable[date]) -> dict[int, float]:
    """Hours during which tickets could be issued, per clock hour, summed over `days`: the hour
    from 08:00 counts 0.5 a day when issuing opens at 08:30."""
    out: dict[int, float] = defaultdict(float)
    for day in days:
        for window in issuing_windows(config, day):
            at = window.opens
            while at < window.stops:
                top = min(at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1), window.stops)
                out[at.hour] += (top - at).total_seconds() / 3600
                at = top
    return out


def staffing_advice(
    conn: Connection, start: date, end: date, level_min: float, target: float = 0.8, config: HallConfig | None = None
) -> list[StaffingAdvice]:
    """Per zone and issue hour, from the working days that had tickets in the period.

    The arrival rate is the hour's tickets over the time issuing was open in that hour (with
    `config`; else over whole hours): a half hour of issuing at 08:30 sees its arrivals in
    thirty minutes, and averaging them over sixty asked for too few windows."""
    where = and_(tf.c.hall_day >= start, tf.c.hall_day <= end)
    days = [d for (d,) in conn.execute(select(tf.c.hall_day).where(where).group_by(tf.c.hall_day))]
    if not days:
        return []
    open_hours = issuing_hours(config, days) if config is not None else {}
    holding = {
        zone: float(h or 0)
        for zone, h in conn.execute(
            select(tf.c.zone, func.avg(func.coalesce(tf.c.walk_s, 0) + tf.c.service_s))
            .where(where, not_(tf.c.auto_closed), tf.c.service_s.is_not(None))
            .group_by(tf.c.zone)
        )
    }
    advice = []
    for zone, hour, count in conn.execute(
        select(tf.c.zone, tf.c.issue_hour, func.count()).where(where).group_by(tf.c.zone, tf.c.issue_hour).order_by(tf.c.zone, tf.c.issue_hour)
    ):
        rate = count / (open_hours.get(int(hour)) or len(days))
        hold = holding.get(zone, 0.0)
        n = windows_needed(rate, hold, level_min * 60, target)
        load = rate / 3600 * hold
        advice.append(StaffingAdvice(zone, int(hour), round(rate, 2), round(hold, 1), n,
                                     round(share_within(n, load, hold, level_min * 60), 3) if n else 1.0))
    return advice
