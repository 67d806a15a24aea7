"""Finalised months (考核归档): a month's assessment published, appealed, then locked.

The hall publishes a month's assessment in the first days of the next, staff appeal bad ratings,
the manager decides the appeals; then the manager finalises the month. From then on:
- the month's assessment is read from the stored result (`assessment_months.snapshot`), not
  recomputed: a fact rebuilt later, a rules or roster file edited, an account renamed, a rating
  let in after a change of `rules.rating_days` changes nothing in it, and its Excel reads as the
  day it was finalised;
- appeals on the month's ratings are refused (409 `month_finalised`), filed or decided. Refused
  rather than recorded and not applied: an accepted appeal marks the rating excluded in the facts
  (stats/facts.py), which would change the month's statistics report after all, and an
  "accepted" appeal that changed nothing would read as a broken promise to the clerk.

A month can be finalised only once nothing can change it any more under the hall's rules: its
rating period is over (a visit can be rated `rules.rating_days` after it) and no appeal of its
ratings is waiting. Finalising is final: there is no reopening through the software (a correction
after that is the bureau's written decision, outside the figures).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from server.config.models import HallConfig
from server.engine.hours import hall_day
from server.errors import HallQError
from server.stats.assessment import PersonScore, ScoreLine, UnitScore, assess_month, month_bounds
from server.stats.assessment_rules import AssessmentRules
from server.stats.facts import WATERMARK, last_finished_day
from server.stats.labels import person_label, staff_names
from server.stats.roster import Roster
from server.stats.watermarks import read_watermark
from server.storage.schema import assessment_months, rating_appeals, rating_followups, ticket_events, tickets

SNAPSHOT_FORMAT = 1


def month_zh(month: str) -> str:
    """'2026-11' -> '2026年11月', as the hall writes a month."""
    year, mon = month.split("-")
    return f"{year}年{int(mon)}月"


@dataclass(frozen=True)
class FinalMonth:
    """Who finalised a month, when, why, and the digest printed on its exports."""

    month: str
    finalised_at: float
    finalised_by: str
    finalised_by_name: str
    note: str | None
    digest: str
    intact: bool
    """The stored result still hashes to its digest (False: someone changed the row by hand)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OpenMonth:
    """A month not finalised yet, and what still stands between it and finalising."""

    month: str
    pending_appeals: int
    ratings_close_on: date
    blockers: list[str]
    """Each reason in Chinese, for the page; empty when the month can be finalised now."""
    blockers_en: list[str]
    """The same reasons in English (the refusal's detail)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"can_finalise": not self.blockers}


@dataclass(frozen=True)
class Assessed:
    """A month's assessment as the pages and exports show it, live or as finalised."""

    month: str
    people: list[PersonScore]
    units: list[UnitScore]
    unit_names: dict[str, str]
    final: FinalMonth | None


def canonical(snapshot: dict[str, Any]) -> bytes:
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def digest_of(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def _person(data: dict[str, Any]) -> PersonScore:
    lines = [ScoreLine(x["rule"], x["label"], x["measured"], x["threshold"], x["points"]) for x in data["lines"]]
    return PersonScore(data["staff_id"], data["unit"], data["score"], lines, data["rank"], data["name"])


def _unit(data: dict[str, Any]) -> UnitScore:
    return UnitScore(data["unit"], data["score"], data["people"], data["rank"])


def finalised(conn: Connection, month: str) -> Assessed | None:
    """The month's stored assessment, or None when it has not been finalised."""
    row = conn.execute(select(assessment_months).where(assessment_months.c.month == month)).first()
    if row is None:
        return None
    snap = row.snapshot
    names = staff_names(conn)
    final = FinalMonth(row.month, row.finalised_at, row.finalised_by, person_label(row.finalised_by, names), row.note,
                       row.digest, digest_of(snap) == row.digest)
    return Assessed(month, [_person(p) for p in snap["people"]], [_unit(u) for u in snap["units"]],
                    dict(snap["unit_names"]), final)


def finalised_months(conn: Connection) -> list[FinalMonth]:
    """Every finalised month, the latest first (the archive's list; no stored results read)."""
    names = staff_names(conn)
    rows = conn.execute(
        select(assessment_months.c.month, assessment_months.c.finalised_at, assessment_months.c.finalised_by,
               assessment_months.c.note, assessment_months.c.digest).order_by(assessment_months.c.month.desc())
    )
    return [FinalMonth(r.month, r.finalised_at, r.finalised_by, person_label(r.finalised_by, names), r.note, r.digest, True)
            for r in rows]


def final_months_in(conn: Connection, start: date, end: date) -> list[str]:
    """The finalised months a period touches, in order (a report of them says the assessment
    stands as finalised while the report is computed from the data as it is now)."""
    first, last = f"{start:%Y-%m}", f"{end:%Y-%m}"
    return list(conn.execute(
        select(assessment_months.c.month).where(assessment_months.c.month >= first, assessment_months.c.month <= last)
        .order_by(assessment_months.c.month)
    ).scalars())


def final_note(months: list[str]) -> str:
    """What a report touching finalised months says about them, or nothing."""
    if not months:
        return ""
    return (f"{'、'.join(month_zh(m) for m in months)}的考核已归档，以归档结果为准；"
            "本报表按当前数据计算，归档后补录的数据只在本报表中体现。")


def is_final(conn: Connection, month: str) -> bool:
    return conn.execute(select(assessment_months.c.month).where(assessment_months.c.month == month)).first() is not None


def refuse_if_final(conn: Connection, day: date, action_zh: str, action_en: str) -> None:
    """Refuse an appeal step on a rating of a finalised month (checked in the step's own
    transaction, so a month finalised a moment before is seen)."""
    month = f"{day:%Y-%m}"
    if is_final(conn, month):
        raise HallQError("month_finalised", f"{month_zh(month)}的考核已归档，不能再{action_zh}",
                         f"the assessment of {month} has been finalised; {action_en} is closed", 409, {"month": month})


def ratings_close_on(config: HallConfig, month: str) -> date:
    """The last hall day a visit of the month can still be rated (engine.rating_closes_on of the
    month's last day)."""
    return month_bounds(month)[1] + timedelta(days=config.rules.rating_days)


def _pending(conn: Connection, month: str) -> int:
    start, end = month_bounds(month)
    return int(conn.execute(
        select(func.count()).select_from(rating_appeals)
        .where(rating_appeals.c.hall_day >= start, rating_appeals.c.hall_day <= end, rating_appeals.c.status == "pending")
    ).scalar_one())


def _open_followups(conn: Connection, month: str) -> int:
    """Bad ratings of the month's visits whose follow-up (stats/followups.py) is not closed: the
    month's assessment is not published with complaints still being verified."""
    start, end = month_bounds(month)
    return int(conn.execute(
        select(func.count()).select_from(rating_followups)
        .where(rating_followups.c.hall_day >= start, rating_followups.c.hall_day <= end, rating_followups.c.state != "closed")
    ).scalar_one())


def open_month(conn: Connection, config: HallConfig, month: str, now: float) -> OpenMonth:
    """What keeps the month from being finalised now, said as the page says it."""
    closes = ratings_close_on(config, month)
    pending = _pending(conn, month)
    days = config.rules.rating_days
    reasons = _nothing_to_assess(conn, month)
    # Ratings are taken until the end of `closes` (the engine refuses them from the next day), so
    # the month waits for that calendar day to pass: after 23:00, when the hall's day was over, a
    # month was finalised with an hour of rating left, and a bad rating given then was never appealable.
    if hall_day(config, now) <= closes:
        reasons.append((f"评价期到{closes.month}月{closes.day}日结束（办事后{days}日内可评价），此后才能归档",
                        f"its visits can be rated until {closes.isoformat()} (rules.rating_days = {days})"))
    if pending:
        reasons.append((f"还有{pending}件申诉待复核，复核完毕才能归档", f"{pending} appeal(s) of its ratings are pending"))
    followups = _open_followups(conn, month)
    if followups:
        reasons.append((f"{followups} 条差评未办结回访", f"{followups} bad rating follow-up(s) are not closed"))
    return OpenMonth(month, pending, closes, [zh for zh, _ in reasons], [en for _, en in reasons])


def _nothing_to_assess(conn: Connection, month: str) -> list[tuple[str, str]]:
    """Why a month without a single ticket (before the hall opened, or still to come) cannot be
    finalised, in Chinese and English; empty for a month with tickets. Such a month was finalised
    as an empty archive, which later read as a month in which nobody lost a point."""
    start, end = month_bounds(month)
    if conn.execute(select(tickets.c.id).where(tickets.c.hall_day >= start, tickets.c.hall_day <= end).limit(1)).first():
        return []
    return [(f"{month_zh(month)}没有任何办件记录，没有可归档的考核", f"{month} has no tickets: there is nothing to assess")]


def final_cases_note(month: str) -> str:
    """What the tickets behind a line of a finalised month say: the archive keeps each line's
    figure, not its tickets, so they are listed from the data as it is now."""
    return f"{month_zh(month)}的考核已归档，以归档结果为准；以下号票按当前数据列出，可能与归档时的件数不同。"


def _facts_behind_appeals(conn: Connection, month: str) -> bool:
    """Whether a decided appeal of the month is not in the facts yet (decided a moment before the
    manager pressed 归档, the fact builder not yet run): the result would miss it."""
    start, end = month_bounds(month)
    last = conn.execute(
        select(func.max(ticket_events.c.seq))
        .join(rating_appeals, rating_appeals.c.ticket_id == ticket_events.c.ticket_id)
        .where(rating_appeals.c.hall_day >= start, rating_appeals.c.hall_day <= end,
               ticket_events.c.kind == "rating.appeal_decided")
    ).scalar()
    return last is not None and int(last) > read_watermark(conn, WATERMARK)


def finalise(conn: Connection, config: HallConfig, rules: AssessmentRules, roster: Roster, month: str, by: str,
             note: str | None, now: float) -> FinalMonth:
    """Store the month's assessment as it stands and lock the month; refused (nothing written)
    when it is final already or something can still change it."""
    done = finalised(conn, month)
    if done is not None and done.final is not None:
        when = datetime.fromtimestamp(done.final.finalised_at, ZoneInfo(config.hall.timezone))
        raise HallQError("already_finalised",
                         f"{month_zh(month)}的考核已于{when:%Y-%m-%d %H:%M}由{done.final.finalised_by_name}归档",
                         f"the assessment of {month} was finalised already", 409, {"month": month})
    empty = _nothing_to_assess(conn, month)
    if empty:
        raise HallQError("month_empty", empty[0][0], f"the assessment of {month} cannot be finalised: {empty[0][1]}", 409,
                         {"month": month})
    state = open_month(conn, config, month, now)
    if state.blockers:
        raise HallQError("month_open", f"{month_zh(month)}的考核暂不能归档：" + "；".join(state.blockers),
                         f"the assessment of {month} cannot be finalised yet: {'; '.join(state.blockers_en)}", 409,
                         {"month": month, "pending_appeals": state.pending_appeals,
                          "ratings_close_on": state.ratings_close_on.isoformat()})
    if _facts_behind_appeals(conn, month):
        raise HallQError("facts_behind", "统计数据正在更新，请稍后再归档",
                         "a decided appeal of the month is not in the statistics yet; try again", 503, {"month": month})
    people, units = assess_month(conn, config, rules, month, roster, last_finished_day(config, now))
    names = staff_names(conn)
    for person in people:
        person.name = person_label(person.staff_id, names)
    start, end = month_bounds(month)
    decided: dict[str, int] = {status: int(n) for status, n in conn.execute(
        select(rating_appeals.c.status, func.count())
        .where(rating_appeals.c.hall_day >= start, rating_appeals.c.hall_day <= end).group_by(rating_appeals.c.status)
    )}
    snapshot = {
        "format": SNAPSHOT_FORMAT, "month": month, "hall": config.hall.name,
        "people": [p.to_json() for p in people], "units": [u.to_json() for u in units],
        "unit_names": {u.code: u.name for u in config.units}, "rules": rules.model_dump(mode="json"),
        "appeals": {"accepted": int(decided.get("accepted", 0)), "rejected": int(decided.get("rejected", 0))},
    }
    digest = digest_of(snapshot)
    conn.execute(insert(assessment_months), {"month": month, "finalised_at": now, "finalised_by": by, "note": note,
                                             "snapshot": snapshot, "digest": digest})
    return FinalMonth(month, now, by, person_label(by, names), note, digest, True)
