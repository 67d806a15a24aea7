"""Monthly assessment (考核): a score per staff member and per unit that explains every point.

Measures come from the fact tables (legs the person served, ratings of their service, their
window-days); rules from config/assessment.toml; who was expected at work from the duty roster
(config/roster.toml), so that a working day without any window session counts as absent (on days
the hall ran, someone at some window). A unit's
score is the mean score of the people whose cases were mostly in the unit's queues that month (or,
for someone who served no case, the unit of their user account).
"""
from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal, not_, select
from sqlalchemy.engine import Connection

from server.config.models import HallConfig
from server.errors import bad_request
from server.stats import leg_measures, spans
from server.stats.assessment_rules import AssessmentRules
from server.stats.roster import Roster
from server.stats.shares import share
from server.stats.window_day import scheduled_spans
from server.storage.schema import stat_leg_facts as lf
from server.storage.schema import stat_ticket_facts as tf
from server.storage.schema import stat_window_days as wd
from server.storage.schema import users


@dataclass(frozen=True)
class ScoreLine:
    """One rule applied to one person: what was measured, against what, for how many points."""

    rule: str
    label: str
    measured: float | None
    threshold: str
    points: float

    @property
    def measured_text(self) -> str:
        """The measure as the page shows it: shares in percent (0.1879 read as nothing to a
        manager beside a threshold of "> 20%"), counts and hours as they are."""
        if self.measured is None:
            return "—"
        if self.rule in SHARE_RULES:
            return f"{self.measured * 100:.1f}%"
        return f"{self.measured:g}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"measured_text": self.measured_text}


SHARE_RULES = frozenset({"waits", "satisfaction", "no_shows"})
"""Rules whose measure is a share (0..1)."""


@dataclass
class PersonScore:
    staff_id: str
    unit: str | None
    score: float
    lines: list[ScoreLine] = field(default_factory=list)
    rank: int = 0
    name: str = ""
    """张三（staff01）: filled by the caller that knows the accounts (labels.person_label)."""

    def to_json(self) -> dict[str, Any]:
        return {"staff_id": self.staff_id, "name": self.name or self.staff_id, "unit": self.unit, "score": self.score,
                "rank": self.rank, "lines": [line.to_json() for line in self.lines]}


@dataclass(frozen=True)
class UnitScore:
    unit: str
    score: float
    people: int
    rank: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Measures:
    cases: int = 0
    over_norm: int = 0
    waited: int = 0
    over_level: int = 0
    calls: int = 0
    no_shows: int = 0
    rated: int = 0
    good: int = 0
    bad_after: int = 0
    days: int = 0
    paused_s: float = 0.0
    absent_s: float = 0.0
    missed_days: list[date] = field(default_factory=list)  # rostered working days with no session
    missed_s: float = 0.0
    units: Counter[str] = field(default_factory=Counter)
    account_unit: str | None = None


MONTH_PATTERN = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$"


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' -> (2026-11-01, 2026-11-30)."""
    if not re.fullmatch(MONTH_PATTERN, month):
        raise bad_request(f"month must look like 2026-11, not {month!r}", "月份格式应为 2026-11")
    year, mon = (int(p) for p in month.split("-"))
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def over_norm_s(rules: AssessmentRules) -> Any:
    """The service time beyond which a leg counts as over the norm, per queue, as a SQL expression."""
    st = rules.service_time
    default = st.default_norm_min * 60 * st.over_factor
    if not st.norms_min:
        return literal(default)
    return case({q: m * 60 * st.over_factor for q, m in st.norms_min.items()}, value=lf.c.queue, else_=default)


def _measure(conn: Connection, config: HallConfig, rules: AssessmentRules, start: date, end: date,
             roster: Roster = Roster()) -> dict[str, _Measures]:
    """Every person's month in four grouped queries: the month's legs are counted in SQL, per
    (person, unit), so the work in Python is per person, not per leg."""
    people: dict[str, _Measures] = defaultdict(_Measures)
    level = config.hall.service_level_min * 60
    served = leg_measures.served()

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    first_case: dict[tuple[str, str], float] = {}
    for row in conn.execute(
        select(
            lf.c.staff_id,
            lf.c.unit,
            count_if(leg_measures.called()).label("calls"),
            count_if(leg_measures.no_show()).label("no_shows"),
            count_if(served).label("cases"),
            count_if(and_(served, lf.c.service_s > over_norm_s(rules))).label("over_norm"),
            count_if(and_(served, lf.c.wait_s.is_not(None))).label("waited"),
            count_if(and_(served, lf.c.wait_s > level)).label("over_level"),
            func.min(case((served, lf.c.entered_at), else_=None)).label("first_case"),
        )
        # Auto-closed legs too: they are calls (leg_measures); `served` keeps them out of the rest.
        .where(lf.c.hall_day >= start, lf.c.hall_day <= end, lf.c.staff_id.is_not(None))
        .group_by(lf.c.staff_id, lf.c.unit)
    ):
        m = people[row.staff_id]
        m.calls += int(row.calls)
        m.no_shows += int(row.no_shows or 0)
        m.cases += int(row.cases or 0)
        m.over_norm += int(row.over_norm or 0)
        m.waited += int(row.waited or 0)
        m.over_level += int(row.over_level or 0)
        if row.unit and row.cases:
            m.units[row.unit] += int(row.cases)
            first_case[(row.staff_id, row.unit)] = float(row.first_case)
    for staff, m in people.items():  # ties between units: the one served first that month
        m.units = Counter(dict(sorted(m.units.items(), key=lambda u: (-u[1], first_case[(staff, u[0])], u[0]))))
    for staff, rated, good, bad in conn.execute(
        select(
            tf.c.rating_staff,
            func.count(),
            func.count().filter(tf.c.rating >= 4),
            func.count().filter(tf.c.rating <= 2),
        )
        .where(tf.c.hall_day >= start, tf.c.hall_day <= end, tf.c.rating.is_not(None),
               not_(tf.c.rating_excluded), tf.c.rating_staff.is_not(None))
        .group_by(tf.c.rating_staff)
    ):
        m = people[staff]
        m.rated, m.good, m.bad_after = int(rated), int(good or 0), int(bad or 0)
    # Per person and day (a month is a few thousand rows): half a day's leave excuses that half's
    # scheduled time from the day's absence.
    for staff, day, scheduled, logged, paused in conn.execute(
        select(
            wd.c.staff_id,
            wd.c.hall_day,
            func.max(wd.c.scheduled_s),
            func.sum(wd.c.logged_in_s),
            func.sum(wd.c.paused_s),
        )
        .where(wd.c.hall_day >= start, wd.c.hall_day <= end, wd.c.staff_id != "")
        .group_by(wd.c.staff_id, wd.c.hall_day)
    ):
        m = people[staff]
        m.days += 1
        m.paused_s += float(paused or 0.0)
        absent = max(float(scheduled or 0.0) - float(logged or 0.0), 0.0)
        m.absent_s += max(absent - roster.excused_s(config, staff, day), 0.0)
    return people


def _missed_days(conn: Connection, config: HallConfig, roster: Roster, start: date, end: date) -> dict[str, list[date]]:
    """Each rostered person's working days in [start, end] without any window session, counted
    only on days the hall ran HallQ: a day on which nobody at all was logged in at any window
    (before the hall started using it, a month with no tickets, the hub down all day) is nobody's
    absence. The first month's assessment charged every rostered clerk the weeks before go-live
    in full, and scored them 0."""
    expected = roster.expected_days(config, start, end)
    if not any(expected.values()):
        return {}
    sessions = {
        (row.staff_id, row.hall_day)
        for row in conn.execute(
            select(wd.c.staff_id, wd.c.hall_day)
            .where(wd.c.hall_day >= start, wd.c.hall_day <= end, wd.c.staff_id != "")
            .distinct()
        )
    }
    ran = {day for _staff, day in sessions}
    missed = {staff: [day for day in days if day in ran and (staff, day) not in sessions] for staff, days in expected.items()}
    return {staff: days for staff, days in missed.items() if days}


def _account_units(conn: Connection, staff: list[str]) -> dict[str, str]:
    """The unit on each person's user account: where someone who served no case belongs."""
    if not staff:
        return {}
    rows = conn.execute(select(users.c.username, users.c.unit).where(users.c.username.in_(staff), users.c.unit.is_not(None)))
    return {row.username: row.unit for row in rows}


def _missed_text(m: _Measures) -> str:
    days = "、".join(f"{d.month}月{d.day}日" for d in m.missed_days)
    return f"；缺勤{len(m.missed_days)}天（{days}）共{m.missed_s / 3600:.1f}小时，全额计入" if m.missed_days else ""


def _score(staff: str, m: _Measures, rules: AssessmentRules, level_min: int) -> PersonScore:
    lines: list[ScoreLine] = []
    r = rules
    lines.append(ScoreLine("volume", "办件量", m.cases, f"每件 +{r.volume.points_per_case}，最多 +{r.volume.max_points}",
                           round(min(m.cases * r.volume.points_per_case, r.volume.max_points), 2)))
    lines.append(ScoreLine("service_time", "办理超时", m.over_norm,
                           f"超过时限×{r.service_time.over_factor}的每件 {r.service_time.points_per_case}，最多扣 {r.service_time.max_deduction}",
                           round(max(m.over_norm * r.service_time.points_per_case, -r.service_time.max_deduction), 2)))
    # Each share is judged as it is shown (four places, shares.share), as 过号率 always was: a
    # clerk checking the page against the rule must reach the same verdict from the figure.
    over = share(m.over_level, m.waited)
    lines.append(ScoreLine("waits", "群众等候超时占比", over,
                           f"等候超过{level_min}分钟的占比 > {r.waits.max_share:.0%} 扣 {-r.waits.points}",
                           r.waits.points if over is not None and over > r.waits.max_share else 0.0))
    good = share(m.good, m.rated)
    earns = good is not None and m.rated >= r.satisfaction.min_rated and good >= r.satisfaction.min_share
    lines.append(ScoreLine("satisfaction", "满意率（4-5分）", good,
                           f"评价不少于{r.satisfaction.min_rated}次且满意率 ≥ {r.satisfaction.min_share:.0%} 加 {r.satisfaction.bonus}",
                           r.satisfaction.bonus if earns else 0.0))
    lines.append(ScoreLine("bad_ratings", "差评（申诉复核后）", m.bad_after, f"每件 {r.bad_ratings.points_each}",
                           round(m.bad_after * r.bad_ratings.points_each, 2)))
    over_pause_h = max(m.paused_s - m.days * r.paused.allowed_min_per_day * 60, 0.0) / 3600
    lines.append(ScoreLine("paused", "工作时间暂停超时（小时）", round(over_pause_h, 2),
                           f"按出勤天数合计：每天允许{r.paused.allowed_min_per_day:g}分钟（本月{m.days}天共"
                           f"{m.days * r.paused.allowed_min_per_day:g}分钟），超出每小时 {r.paused.points_per_hour}",
                           round(over_pause_h * r.paused.points_per_hour, 2)))
    # The allowance is per day worked; a rostered day with no session at all counts in full.
    over_absent_h = (max(m.absent_s - m.days * r.absent.allowed_min_per_day * 60, 0.0) + m.missed_s) / 3600
    lines.append(ScoreLine("absent", "工作时间离岗（小时）", round(over_absent_h, 2),
                           f"按出勤天数合计：每天允许{r.absent.allowed_min_per_day:g}分钟（本月{m.days}天共"
                           f"{m.days * r.absent.allowed_min_per_day:g}分钟），超出每小时 {r.absent.points_per_hour}{_missed_text(m)}",
                           round(over_absent_h * r.absent.points_per_hour, 2)))
    rate = leg_measures.no_show_rate(m.no_shows, m.calls)
    lines.append(ScoreLine("no_shows", "过号率", rate,
                           f"> {r.no_shows.max_rate:.0%} 扣 {-r.no_shows.points}",
                           r.no_shows.points if rate is not None and rate > r.no_shows.max_rate else 0.0))
    total = r.score.base + sum(line.points for line in lines)
    unit = m.units.most_common(1)[0][0] if m.units else m.account_unit
    return PersonScore(staff, unit, round(min(max(total, r.score.min), r.score.max), 2), lines)


def assess_month(
    conn: Connection, config: HallConfig, rules: AssessmentRules, month: str,
    roster: Roster = Roster(), last_day: date | None = None,
) -> tuple[list[PersonScore], list[UnitScore]]:
    """Ranked staff scores (highest first) and ranked unit scores for the month. Everyone on the
    roster who missed a day the hall ran is ranked, logged in or not; their whole-day absences are
    counted up to `last_day` (the last hall day that is over; None: the month's end), never for
    days still to come."""
    start, end = month_bounds(month)
    measures = _measure(conn, config, rules, start, end, roster)
    until = min(end, last_day) if last_day is not None else end
    for staff, days in _missed_days(conn, config, roster, start, until).items():
        m = measures[staff]
        m.missed_days = days
        m.missed_s = sum(spans.total(scheduled_spans(config, day)) - roster.excused_s(config, staff, day) for day in days)
    for staff, unit in _account_units(conn, [s for s, m in measures.items() if not m.units]).items():
        measures[staff].account_unit = unit
    people = sorted(
        (_score(staff, m, rules, config.hall.service_level_min) for staff, m in measures.items()),
        key=lambda p: (-p.score, p.staff_id),
    )
    for person, rank in zip(people, shared_ranks([p.score for p in people])):
        person.rank = rank
    by_unit: dict[str, list[float]] = defaultdict(list)
    for person in people:
        if person.unit:
            by_unit[person.unit].append(person.score)
    units = sorted(((u, round(sum(s) / len(s), 2), len(s)) for u, s in by_unit.items()), key=lambda t: (-t[1], t[0]))
    ranks = shared_ranks([score for _, score, _ in units])
    return people, [UnitScore(u, score, n, rank) for rank, (u, score, n) in zip(ranks, units)]


def shared_ranks(scores: Sequence[float]) -> list[int]:
    """Ranks of scores sorted highest first, equal scores sharing one (并列): 1, 1, 3. Ten people
    at 100.04 were ranked 1 to 10 by their staff ids."""
    ranks: list[int] = []
    for position, score in enumerate(scores, start=1):
        ranks.append(ranks[-1] if ranks and score == scores[position - 2] else position)
    return ranks
