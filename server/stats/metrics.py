"""Figures for any period and grouping, read from the fact tables (never from the raw history).

Counts, sums and means are grouped in SQL in one scan of the period: of the ticket facts, or, by
window or staff, of the leg facts (what that window or person did). p50/p90 are nearest rank: on
PostgreSQL in that same scan (percentile_disc); SQLite has no percentile aggregate, so a second
statement returns the period's waits sorted by group and value and the ranks are picked here.
Auto-closed tickets count as issued (and as abandoned if never called) but are left out of every
time average, as HALL.md requires.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal_column, not_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from server.config.models import HallConfig
from server.errors import bad_request
from server.stats import leg_measures
from server.stats.ledger import unit_of
from server.stats.shares import share
from server.storage.schema import stat_leg_facts as lf
from server.storage.schema import stat_ticket_facts as tf
from server.storage.schema import stat_window_days as wd
from server.storage.schema import users

GROUPINGS = ("all", "day", "month", "hour", "weekday", "zone", "unit", "queue", "item", "window", "staff")
GROUP_LABELS_ZH = {
    "all": "全部", "day": "日期", "month": "月份", "hour": "时段", "weekday": "星期", "zone": "分区", "unit": "单位",
    "queue": "队列", "item": "事项", "window": "窗口", "staff": "工作人员",
}


@dataclass(frozen=True)
class Figures:
    """One row of a report: every HALL.md figure for one group in one period."""

    key: str
    tickets: int
    served: int
    called: int
    no_shows: int
    abandoned: int
    auto_closed: int
    transfers: int
    wait_mean_s: float | None
    wait_p50_s: float | None
    wait_p90_s: float | None
    wait_max_s: float | None
    walk_mean_s: float | None
    service_mean_s: float | None
    dwell_mean_s: float | None
    over_kpi_share: float | None
    no_show_rate: float | None
    abandonment_rate: float | None
    rated: int
    rating_mean: float | None
    rating_good_share: float | None
    bad_before_appeal: int
    bad_after_appeal: int
    availability: float | None = None
    idle_waiting_s: float | None = None
    label: str = ""
    """The group's name as a manager reads it (labels.GroupLabels); empty: show the key."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of already sorted values (p in 0..100)."""
    if not sorted_values:
        return None
    rank = max(math.ceil(p / 100 * len(sorted_values)), 1)
    return float(sorted_values[rank - 1])


def _group_expr(conn: Connection, by: str, day_column: Any, table: Any) -> ColumnElement[Any]:
    if by == "all":
        return literal_column("'all'")  # never grouped by (PostgreSQL refuses constants there)
    if by == "day":
        return day_column
    if by == "month":
        if conn.dialect.name == "sqlite":
            return func.strftime("%Y-%m", day_column)
        return func.to_char(day_column, "YYYY-MM")
    column = {
        "hour": "issue_hour", "weekday": "weekday", "zone": "zone", "unit": "unit", "queue": "queue",
        "item": "item_code",
    }[by]
    return table.c[column]


def _check(by: str, start: date, end: date) -> None:
    if by not in GROUPINGS:
        raise bad_request(f"unknown grouping {by!r}", "未知的统计维度", allowed=list(GROUPINGS))
    if end < start:
        raise bad_request("the period ends before it starts", "统计结束日期早于开始日期")


def _filters(filters: dict[str, str] | None) -> list[ColumnElement[bool]]:
    columns = {"zone": tf.c.zone, "unit": tf.c.unit, "queue": tf.c.queue, "item": tf.c.item_code,
               "window": tf.c.last_window, "staff": tf.c.last_staff}
    out = []
    for name, value in (filters or {}).items():
        if name not in columns:
            raise bad_request(f"unknown filter {name!r}", "未知的筛选条件", allowed=sorted(columns))
        out.append(columns[name] == value)
    return out


def figures(
    conn: Connection, start: date, end: date, by: str = "all", filters: dict[str, str] | None = None,
    *, service_level_min: int = 20,
) -> list[Figures]:
    """Report rows for hall days start..end inclusive, one per group, ordered by group key.

    By window or staff, or narrowed to one window or person, the rows describe what that window or
    person did, from the legs they handled (`_leg_rows`); every other report counts tickets.
    `service_level_min` is the hall's (hall.service_level_min): ticket facts carry their over-KPI
    flag, legs are compared here.

    Narrowed to a unit, a report by staff lists the people who served the unit's tickets in the
    period: who handled a leg of its queues or items (the leg's unit), or was credited the rating
    of one of its tickets (the ticket's unit, as its follow-up goes to the unit's chief: a 综合窗口
    clerk who concluded in A2 a case issued to A1 holds its rating in A1's unit, with no leg of
    A1's); and, with window time only, the people whose account belongs to the unit (one of its
    clerks logged in at its window who served nothing). Someone of another unit who merely sat at
    one of its windows, serving other units' queues there, is not listed: their time stays in the
    unit's total availability, but a row of theirs with no ticket read as the unit's idle clerk."""
    _check(by, start, end)
    if counts_legs(by, filters):
        rows, ranked, percentiles_in_sql = _leg_rows(conn, start, end, by, filters, service_level_min * 60)
    else:
        rows, ranked, percentiles_in_sql = _ticket_rows(conn, start, end, by, filters)
    availability = _availability(conn, start, end, by, filters) if by in ("all", "day", "month", "zone", "unit", "window", "staff") else {}
    out = []
    for r in rows:
        k = str(r["key"])
        p50, p90 = (_float(r["p50"]), _float(r["p90"])) if percentiles_in_sql else ranked.get(k, (None, None))
        avail = availability.get(k)
        out.append(
            Figures(
                key=k,
                tickets=int(r["tickets"]),
                served=int(r["served"] or 0),
                called=int(r["called"] or 0),
                no_shows=int(r["no_shows"] or 0),
                abandoned=int(r["abandoned"] or 0),
                auto_closed=int(r["auto_closed"] or 0),
                transfers=int(r["transfers"] or 0),
                wait_mean_s=_round(r["wait_mean"]),
                wait_p50_s=p50,
                wait_p90_s=p90,
                wait_max_s=_round(r["wait_max"]),
                walk_mean_s=_round(r["walk_mean"]),
                service_mean_s=_round(r["service_mean"]),
                dwell_mean_s=_round(r["dwell_mean"]),
                over_kpi_share=share(int(r["over_kpi"] or 0), int(r["with_wait"] or 0)),
                no_show_rate=leg_measures.no_show_rate(int(r["no_shows"] or 0), int(r["called"] or 0)),
                abandonment_rate=share(int(r["abandoned"] or 0), int(r["tickets"])),
                rated=int(r["rated"] or 0),
                rating_mean=_round(r["rating_mean"], 3),
                rating_good_share=share(int(r["good"] or 0), int(r["rated"] or 0)),
                bad_before_appeal=int(r["bad_before"] or 0),
                bad_after_appeal=int(r["bad_after"] or 0),
                availability=avail[0] if avail else None,
                idle_waiting_s=avail[1] if avail else None,
            )
        )
    # A group with window time but no ticket (a day the windows were open and nobody came, a
    # window staffed all day that served nobody) is a row too: its time counted in the total's
    # availability while its own row was missing, so no day of a month read 74% like the month.
    # Without scheduled time (a Saturday, read that day) there is nothing to show: such rows
    # put the closed day at the end of a month's report with a blank availability.
    shown = {f.key for f in out}
    extra = [k for k in availability if k not in shown and k != "None" and availability[k][0] is not None]
    if extra and by == "staff" and filters and "unit" in filters:
        extra = [k for k in extra if k in _members(conn, filters["unit"])]
    if extra:
        out.extend(_no_tickets(k, *availability[k]) for k in extra)
        out.sort(key=lambda f: _in_order(f.key))
    return out


def _members(conn: Connection, unit: str) -> set[str]:
    """The accounts of a unit (`hallq user add --unit`)."""
    return set(conn.execute(select(users.c.username).where(users.c.unit == unit)).scalars())


Ranked = dict[str, tuple[float | None, float | None]]
_RATING_KEYS = ("rated", "rating_mean", "good", "bad_before", "bad_after")


def _rating_columns(rating: Any, excluded: Any) -> list[Any]:
    valid = and_(rating.is_not(None), not_(excluded))
    return [
        func.count().filter(valid).label("rated"),
        func.avg(rating).filter(valid).label("rating_mean"),
        func.count().filter(and_(valid, rating >= 4)).label("good"),
        func.count().filter(rating <= 2).label("bad_before"),
        func.count().filter(and_(rating <= 2, not_(excluded))).label("bad_after"),
    ]


def _grouped(conn: Connection, key: Any, columns: list[Any], where: ColumnElement[bool], by: str,
             wait: Any, timed_wait: ColumnElement[bool], source: Any) -> tuple[list[dict[str, Any]], bool]:
    """One grouped scan of `source`; on PostgreSQL the wait percentiles in it (nearest rank,
    percentile_disc)."""
    in_sql = conn.dialect.name == "postgresql"
    if in_sql:
        columns = columns + [func.percentile_disc(p / 100).within_group(wait).filter(timed_wait).label(f"p{p}")
                             for p in (50, 90)]
    query = select(key, *columns).select_from(source).where(where)
    if by != "all":
        query = query.group_by(key).order_by(key)
    return [dict(r._mapping) for r in conn.execute(query)], in_sql


def _ticket_rows(conn: Connection, start: date, end: date, by: str,
                 filters: dict[str, str] | None) -> tuple[list[dict[str, Any]], Ranked, bool]:
    """Per ticket (every grouping but window and staff): one scan of the ticket facts."""
    key = _group_expr(conn, by, tf.c.hall_day, tf).label("key")
    where = and_(tf.c.hall_day >= start, tf.c.hall_day <= end, *_filters(filters))
    timed = not_(tf.c.auto_closed)
    timed_wait = and_(timed, tf.c.wait_s.is_not(None))
    columns = [
        func.count().label("tickets"),
        func.count().filter(tf.c.final_status == "finished").label("served"),
        func.count().filter(tf.c.was_called).label("called"),
        func.count().filter(tf.c.final_status == "no_show").label("no_shows"),
        func.count().filter(not_(tf.c.was_called)).label("abandoned"),
        func.count().filter(tf.c.auto_closed).label("auto_closed"),
        func.sum(tf.c.transfers).label("transfers"),
        func.avg(tf.c.wait_s).filter(timed).label("wait_mean"),
        func.max(tf.c.wait_s).filter(timed).label("wait_max"),
        func.avg(tf.c.walk_s).filter(timed).label("walk_mean"),
        func.avg(tf.c.service_s).filter(and_(timed, tf.c.final_status == "finished")).label("service_mean"),
        func.avg(tf.c.dwell_s).filter(timed).label("dwell_mean"),
        func.count().filter(and_(timed, tf.c.over_kpi)).label("over_kpi"),
        func.count().filter(timed_wait).label("with_wait"),
        *_rating_columns(tf.c.rating, tf.c.rating_excluded),
    ]
    rows, in_sql = _grouped(conn, key, columns, where, by, tf.c.wait_s, timed_wait, tf)
    rows = [r for r in rows if r["tickets"]]
    ranked = {} if in_sql else _wait_percentiles(conn, key, tf.c.wait_s, and_(where, timed_wait), by, tf)
    return rows, ranked, in_sql


def counts_legs(by: str, filters: dict[str, str] | None) -> bool:
    """Whether a report's rows count the legs a window or person handled (by window or staff, or
    narrowed to one), not the tickets issued: its first column is then 经手件数, not 取号数."""
    return by in _PASSERS or any(name in _PASSERS for name in filters or {})


def _leg_rows(conn: Connection, start: date, end: date, by: str, filters: dict[str, str] | None,
              level_s: float) -> tuple[list[dict[str, Any]], Ranked, bool]:
    """Per window or person, or narrowed to one: what they did, from the legs they handled (the leg's window and
    person are those of its last call), in one scan of the leg facts, and their ratings from the
    rated tickets (docs/statistics.md, "Definitions as implemented").

    Why: grouped by who concluded the case, a back-office clerk's service read the front
    window's service and his own added together (29分22秒 against his own 16½ minutes), and a
    front-window clerk's wait read the waits of the cases he concluded, not of those he called;
    the monthly assessment, read beside it, counts each person's own legs."""
    key_column, source = _leg_key(conn, by)
    key = key_column.label("key")
    where = and_(*_leg_where(start, end, filters))
    timed = not_(lf.c.auto_closed)
    timed_wait = and_(timed, lf.c.wait_s.is_not(None))
    served = leg_measures.served()  # the assessment's 办件量
    columns = [
        func.count().label("tickets"),
        func.count().filter(served).label("served"),
        func.count().filter(leg_measures.called()).label("called"),  # the assessment's calls
        func.count().filter(leg_measures.no_show()).label("no_shows"),
        func.count().filter(lf.c.calls == 0).label("abandoned"),
        func.count().filter(lf.c.auto_closed).label("auto_closed"),
        func.count().filter(lf.c.outcome.like("transferred%")).label("transfers"),
        func.avg(lf.c.wait_s).filter(timed).label("wait_mean"),
        func.max(lf.c.wait_s).filter(timed).label("wait_max"),
        func.avg(lf.c.walk_s).filter(timed).label("walk_mean"),
        func.avg(lf.c.service_s).filter(served).label("service_mean"),
        func.avg(lf.c.ended_at - lf.c.entered_at).filter(served).label("dwell_mean"),
        func.count().filter(and_(timed_wait, lf.c.wait_s > level_s)).label("over_kpi"),
        func.count().filter(timed_wait).label("with_wait"),
    ]
    rows, in_sql = _grouped(conn, key, columns, where, by, lf.c.wait_s, timed_wait, source)
    by_key = {str(r["key"]): r | dict.fromkeys(_RATING_KEYS) for r in rows}
    for rated in _ratings_by(conn, start, end, by, filters):
        k = str(rated["key"])
        row = by_key.setdefault(k, {c.name: None for c in columns}
                                | {"key": rated["key"], "tickets": 0, "p50": None, "p90": None})
        row.update({name: rated[name] for name in _RATING_KEYS})
    ranked = {} if in_sql else _wait_percentiles(conn, key, lf.c.wait_s, and_(where, timed_wait), by, source)
    return [by_key[k] for k in sorted(by_key, key=_in_order) if by_key[k]["tickets"] or by_key[k]["rated"]], ranked, in_sql


def _in_order(key: str) -> tuple[int, int, str]:
    """Hours and weekdays in their order, then other keys as text, the legs no window called
    (key "None", （未叫号）) last: sorted as text, a clerk's hours read 10:00, 16:00, 08:00, 09:00."""
    if key.isdigit():
        return (0, int(key), "")
    return (2, 0, "") if key == "None" else (1, 0, key)


def _ratings_by(conn: Connection, start: date, end: date, by: str, filters: dict[str, str] | None) -> list[dict[str, Any]]:
    """Ratings of the period's tickets per person or window rated: those on the `ticket.rated`
    event, as the assessment credits them (a case concluded in a back office is rated against the
    front window the citizen met last). Only rated tickets are read."""
    columns = {"zone": tf.c.zone, "unit": tf.c.unit, "queue": tf.c.queue, "item": tf.c.item_code,
               "window": tf.c.rating_window, "staff": tf.c.rating_staff}
    key = (columns[by] if by in columns else _group_expr(conn, by, tf.c.hall_day, tf)).label("key")
    query = select(key, *_rating_columns(tf.c.rating, tf.c.rating_excluded)).where(
        tf.c.hall_day >= start, tf.c.hall_day <= end, tf.c.rating.is_not(None),
        *[columns[name] == value for name, value in _checked(filters).items()],
    )
    if by != "all":
        query = query.group_by(key)
    return [dict(r._mapping) for r in conn.execute(query)]


def _leg_where(start: date, end: date, filters: dict[str, str] | None) -> list[ColumnElement[bool]]:
    """The legs of the period the report's filters keep (the report table's and its charts')."""
    return [lf.c.hall_day >= start, lf.c.hall_day <= end,
            *[_LEG_COLUMNS[name] == value for name, value in _checked(filters).items()]]


def _checked(filters: dict[str, str] | None) -> dict[str, str]:
    """The filters, each one the report knows (the same error as a ticket report's)."""
    for name in filters or {}:
        if name not in _LEG_COLUMNS:
            raise bad_request(f"unknown filter {name!r}", "未知的筛选条件", allowed=sorted(_LEG_COLUMNS))
    return filters or {}


_LEG_COLUMNS = {"zone": lf.c.zone, "unit": lf.c.unit, "queue": lf.c.queue, "item": lf.c.item_code,
                "window": lf.c.window_id, "staff": lf.c.staff_id}
_PASSERS = ("window", "staff")


def _leg_key(conn: Connection, by: str) -> tuple[Any, Any]:
    """The group of a leg fact, and what to read it from: the leg's own day, zone, unit, queue,
    item, window and person; the ticket's issue hour and weekday (joined from its ticket fact)."""
    if by in ("hour", "weekday"):
        return _group_expr(conn, by, tf.c.hall_day, tf), lf.join(tf, tf.c.ticket_id == lf.c.ticket_id)
    if by in ("all", "day", "month"):
        return _group_expr(conn, by, lf.c.hall_day, lf), lf
    return _LEG_COLUMNS[by], lf


def _no_tickets(key: str, availability: float | None, idle_waiting_s: float) -> Figures:
    return Figures(key, 0, 0, 0, 0, 0, 0, 0, None, None, None, None, None, None, None, None, None, None, 0, None, None,
                   0, 0, availability, idle_waiting_s)


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def _round(value: float | None, digits: int = 1) -> float | None:
    return round(float(value), digits) if value is not None else None


_WINDOW_DAY_FILTERS = {"zone": wd.c.zone, "unit": wd.c.unit, "window": wd.c.window_id, "staff": wd.c.staff_id}


def _availability(conn: Connection, start: date, end: date, by: str,
                  filters: dict[str, str] | None = None) -> dict[str, tuple[float | None, float]]:
    """(available / scheduled, idle-while-waiting seconds) per group from the window-day facts,
    narrowed by the report's filters as its tickets are (a zone's report read the whole hall's
    availability); a queue or an item has no window time of its own: none then.

    The scheduled time of a window-day is counted once however many people shared the window,
    and a person's day once however many windows they sat at: a report by person (or narrowed to
    one) measures people, and counting their day per window made someone who moved from W1 in the
    morning to W2 in the afternoon read 50 % available."""
    if any(name not in _WINDOW_DAY_FILTERS for name in filters or {}):
        return {}
    narrowed = [_WINDOW_DAY_FILTERS[name] == value for name, value in (filters or {}).items()]
    if by == "staff":
        key: Any = wd.c.staff_id
        narrowed.append(wd.c.staff_id != "")  # windows nobody logged into are nobody's row
    elif by == "window":
        key = wd.c.window_id
    else:
        key = _group_expr(conn, by, wd.c.hall_day, wd) if by in ("all", "day", "month") else wd.c[by]
    scheduled_per = wd.c.staff_id if by == "staff" or "staff" in (filters or {}) else wd.c.window_id
    per_day = (
        select(
            key.label("key"),
            wd.c.hall_day,
            scheduled_per,
            func.max(wd.c.scheduled_s).label("scheduled"),
            func.sum(wd.c.available_s).label("available"),
            func.sum(wd.c.idle_waiting_s).label("idle"),
        )
        .where(wd.c.hall_day >= start, wd.c.hall_day <= end, *narrowed)
        .group_by(*([key] if by != "all" else []), wd.c.hall_day, scheduled_per)
        .subquery()
    )
    rows = conn.execute(
        select(
            per_day.c.key if by != "all" else func.min(per_day.c.key),
            func.sum(per_day.c.scheduled),
            func.sum(per_day.c.available),
            func.sum(per_day.c.idle),
        ).group_by(*([per_day.c.key] if by != "all" else []))
    ).all()
    return {str(k): (share(float(av or 0), float(sch or 0)), round(float(idle or 0), 1)) for k, sch, av, idle in rows}


@dataclass(frozen=True)
class TodayCounts:
    """Live counts of one zone's tickets today, read from the tickets table itself: the facts
    only hold tickets that have ended, and the dashboard must count those still in the hall.

    Two rules, each the one its reader compares with: where citizens are now (waiting, in
    service) by the zone of the queue each ticket is in now; the day's record (issued, served,
    no-shows, cancelled) by the zone and unit a report puts the ticket in (its issuing queue's
    zone, its item's unit; ledger.compute_ticket), so a card's 办结 is the report's served."""

    zone: str
    issued: int = 0
    waiting: int = 0
    in_service: int = 0
    served: int = 0
    no_shows: int = 0
    cancelled: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_NOW = {"waiting": "waiting", "called": "in_service", "serving": "in_service", "on_hold": "in_service"}
_RECORD = {"finished": "served", "no_show": "no_shows", "cancelled": "cancelled"}


def record_keys(config: HallConfig, prefix: str, item_code: str | None, zone_now: str, unit: str | None) -> tuple[str, ...]:
    """The keys of today's figures a ticket counts under by the day's record (TodayCounts' second
    rule): the zone of the queue that issued it (`prefix`; the zone it is in now if that queue is
    no longer configured) and "all"; none if `unit` is given and the ticket is not that unit's by
    its item (ledger.unit_of). The ticket facts key their zone and unit the same way
    (ledger.compute_ticket), so counts of tickets still in the hall add to theirs.

    Why one place: the cards' 取号/办结/过号 and the calls behind today's no-show rate each wrote
    this rule, one reading the issuing queue from the ticket and the other from its first leg's
    intervals; a change to one would have put a zone's no-shows and its calls in different zones."""
    if unit is not None and unit_of(config, prefix, item_code) != unit:
        return ()
    issuing = config.queue(prefix)
    return (issuing.zone if issuing is not None else zone_now, "all")


def today_counts(conn: Connection, config: HallConfig, day: date, unit: str | None = None) -> dict[str, TodayCounts]:
    """Counts by zone (and "all") of the tickets of `day` (of `unit`'s only, if given, each by
    TodayCounts' rule): one grouped scan of that day's rows, attributed here from the config."""
    from server.storage.schema import tickets

    own_queues = {q.prefix for q in config.queues if q.unit == unit}
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    t = tickets.c
    for prefix, item_code, queue, zone, status, n in conn.execute(
        select(t.prefix, t.item_code, t.queue, t.zone, t.status, func.count()).where(t.hall_day == day)
        .group_by(t.prefix, t.item_code, t.queue, t.zone, t.status)
    ):
        for key in record_keys(config, prefix, item_code, str(zone), unit):
            tally[key]["issued"] += int(n)
            if status in _RECORD:
                tally[key][_RECORD[status]] += int(n)
        if status in _NOW and (unit is None or queue in own_queues):
            for key in (str(zone), "all"):
                tally[key][_NOW[status]] += int(n)
    return {key: TodayCounts(zone=key, **values) for key, values in tally.items()}


def called_in_hall(conn: Connection, config: HallConfig, day: date, unit: str | None = None) -> Counter[str]:
    """How many of `day`'s tickets still in the hall have been called (in a call, at a window,
    parked, or waiting again after a transfer or a late return), by zone and "all" as the day's
    record keys them (`record_keys`, of `unit`'s only if given), from the ledger's intervals: the
    facts hold ended tickets only. For today's no-show rate, whose denominator is the tickets
    called (HALL.md), not only those that have ended."""
    from server.engine.views import OPEN_STATUSES
    from server.storage.schema import ticket_intervals as ti
    from server.storage.schema import tickets

    rows = conn.execute(
        select(tickets.c.prefix, tickets.c.item_code, tickets.c.zone)
        .join(ti, ti.c.ticket_id == tickets.c.id)
        .where(tickets.c.hall_day == day, tickets.c.status.in_([str(s) for s in OPEN_STATUSES]))
        .group_by(tickets.c.id, tickets.c.prefix, tickets.c.item_code, tickets.c.zone)
        .having(func.count().filter(ti.c.state == "called") > 0)
    )
    return Counter(key for prefix, item, zone in rows for key in record_keys(config, prefix, item, str(zone), unit))


def with_calls_in_hall(rows: list[Figures], called: Counter[str]) -> list[Figures]:
    """The rows with the tickets still in the hall that were called (`called_in_hall`, counted by
    the rows' keys) added to their calls, and their no-show rate over all the tickets called:
    over the ended ones only, a morning's two no-shows among ten tickets called, of which eight
    were still at the windows, read 100 %."""
    out = {f.key: f for f in rows}
    for key, n in called.items():
        f = out.get(key) or _no_tickets(key, None, 0.0)
        out[key] = replace(f, called=f.called + n, no_show_rate=leg_measures.no_show_rate(f.no_shows, f.called + n))
    return [out[k] for k in sorted(out)]


@dataclass(frozen=True)
class ChartSeries:
    """What the report page's charts draw besides the wait bands: tickets by issue hour and by day,
    and the mean wait by zone (auto-closed tickets left out, as in `figures`)."""

    tickets_by_hour: list[tuple[int, int]]
    tickets_by_day: list[tuple[str, int]]
    wait_mean_by_zone: list[tuple[str, float | None]]


@dataclass(frozen=True)
class _Scan:
    """What the charts read: the ticket facts, or, narrowed to a window or person, the legs they
    handled (with the ticket's issue hour), so the charts agree with the report's table."""

    source: Any
    day: Any
    zone: Any
    wait: Any
    auto_closed: Any
    where: list[ColumnElement[bool]]


def _scan(start: date, end: date, filters: dict[str, str] | None) -> _Scan:
    if any(name in _PASSERS for name in filters or {}):
        return _Scan(lf.join(tf, tf.c.ticket_id == lf.c.ticket_id), lf.c.hall_day, lf.c.zone, lf.c.wait_s, lf.c.auto_closed,
                     _leg_where(start, end, filters))
    return _Scan(tf, tf.c.hall_day, tf.c.zone, tf.c.wait_s, tf.c.auto_closed,
                 [tf.c.hall_day >= start, tf.c.hall_day <= end, *_filters(filters)])


def chart_series(conn: Connection, start: date, end: date, filters: dict[str, str] | None = None) -> ChartSeries:
    """One grouped scan by (hour, day, zone), summed up here: the charts need counts and a mean,
    not three full reports with percentiles and availability."""
    scan = _scan(start, end, filters)
    timed_wait = and_(not_(scan.auto_closed), scan.wait.is_not(None))
    hours: Counter[int] = Counter()
    days: Counter[str] = Counter()
    zone_waits: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for hour, day, zone, tickets, waited, wait_sum in conn.execute(
        select(tf.c.issue_hour, scan.day, scan.zone, func.count(), func.count().filter(timed_wait),
               func.sum(scan.wait).filter(timed_wait))
        .select_from(scan.source)
        .where(*scan.where)
        .group_by(tf.c.issue_hour, scan.day, scan.zone)
    ):
        hours[int(hour)] += int(tickets)
        days[str(day)] += int(tickets)
        acc = zone_waits[str(zone)]
        acc[0] += float(wait_sum or 0.0)
        acc[1] += int(waited)
    return ChartSeries(
        sorted(hours.items()),
        sorted(days.items()),
        [(zone, _round(total / n) if n else None) for zone, (total, n) in sorted(zone_waits.items())],
    )


def with_open_days(series: ChartSeries, open_days: Collection[date]) -> ChartSeries:
    """The series with every day the hall was open in it, at 0 tickets where none were counted.

    Why: the daily trend drew only days that had tickets, so a working day without a single one
    (kiosks down, the hall shut at short notice) vanished from the line instead of standing out
    as a drop to zero."""
    counts = dict(series.tickets_by_day)
    days = sorted(set(counts) | {str(day) for day in open_days})
    return replace(series, tickets_by_day=[(day, counts.get(day, 0)) for day in days])


def wait_histogram(conn: Connection, start: date, end: date, bin_min: int = 5, last_bin_min: int = 60,
                   filters: dict[str, str] | None = None) -> list[tuple[str, int]]:
    """Tickets per wait band (0-5, 5-10 … minutes, the last band open-ended), auto-closed left out
    like every time figure; banded in SQL so a year is one grouped scan, not a year of values.
    The band is a CASE over the bounds: PostgreSQL has no two-argument MIN, and its CAST to
    integer rounds where SQLite's truncates, so neither would band alike on both."""
    top = last_bin_min // bin_min
    scan = _scan(start, end, filters)
    band = case(*((scan.wait < (i + 1) * bin_min * 60, i) for i in range(top)), else_=top).label("band")
    counts: dict[int, int] = dict(
        conn.execute(
            select(band, func.count()).select_from(scan.source)
            .where(*scan.where, not_(scan.auto_closed), scan.wait.is_not(None))
            .group_by(band)
        ).all()
    )
    return [
        (f"{i * bin_min}-{(i + 1) * bin_min}" if i < top else f"≥{last_bin_min}", int(counts.get(i, 0)))
        for i in range(top + 1)
    ]


def _wait_percentiles(conn: Connection, key: Any, wait: Any, where: ColumnElement[bool], by: str, source: Any) -> Ranked:
    """p50 and p90 per group where SQL has no nearest-rank aggregate (SQLite): the period's waits,
    sorted by group and value in SQL, are picked in Python. Measured on a month of 36,000 waits
    (docs/benchmarks.md): ROW_NUMBER/COUNT OVER (PARTITION BY group) in SQLite took 25 % longer
    than this, and slowed the dashboard's reads running beside it more, not less."""
    waits: dict[str, list[float]] = defaultdict(list)
    query = select(key, wait).select_from(source).where(where).order_by(*([key] if by != "all" else []), wait)
    for k, value in conn.execute(query):
        waits[str(k)].append(value)
    return {k: (percentile(values, 50), percentile(values, 90)) for k, values in waits.items()}
