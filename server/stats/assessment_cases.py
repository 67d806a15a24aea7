"""The cases behind a person's assessment lines: which tickets cost the points.

Why: the person detail said 办理超时 73 and 差评 5 and no more; a manager checking a deduction,
or a person appealing one, needs the tickets themselves (day, number, queue, window and the
measure), counted by the same conditions as `assessment._measure`. Queue and window come with
their names (C1 不动产登记, 19号窗口), as every page a manager reads shows them (labels.py).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, not_, select
from sqlalchemy.engine import Connection

from server.config.models import HallConfig
from server.errors import bad_request
from server.stats import leg_measures
from server.stats.assessment import month_bounds, over_norm_s
from server.stats.assessment_rules import AssessmentRules
from server.stats.labels import GroupLabels
from server.storage.schema import rating_appeals
from server.storage.schema import stat_leg_facts as lf
from server.storage.schema import stat_ticket_facts as tf
from server.storage.schema import tickets

CASE_RULES = ("service_time", "waits", "no_shows", "bad_ratings")
"""The lines made of tickets (the others are time: pauses, absence; or counts of all cases)."""
CASES_LIMIT = 500


@dataclass(frozen=True)
class Case:
    hall_day: date
    number: str
    queue: str
    window_id: str | None
    measure: float | None
    """The rule's own measure: service or wait seconds, the score of a bad rating, the calls a
    no-show had (was it called as often as the hall's rule allows before it was marked?)."""
    queue_label: str = ""
    window_label: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def cases_behind(conn: Connection, config: HallConfig, rules: AssessmentRules, staff: str, month: str, rule: str) -> list[Case]:
    """The person's tickets that a line counts, oldest first (at most CASES_LIMIT)."""
    if rule not in CASE_RULES:
        raise bad_request(f"no cases for rule {rule!r}", "该项没有对应的号票明细", allowed=list(CASE_RULES))
    start, end = month_bounds(month)
    if rule == "bad_ratings":
        query = (
            select(tickets.c.hall_day, tickets.c.number, tf.c.queue, tf.c.last_window, tf.c.rating)
            .join(tickets, tickets.c.id == tf.c.ticket_id)
            .where(tf.c.hall_day >= start, tf.c.hall_day <= end, tf.c.rating_staff == staff, tf.c.rating <= 2,
                   not_(tf.c.rating_excluded))
            .order_by(tf.c.hall_day, tickets.c.number)
        )
    else:
        served = leg_measures.served()
        condition, measure = {
            "service_time": (and_(served, lf.c.service_s > over_norm_s(rules)), lf.c.service_s),
            "waits": (and_(served, lf.c.wait_s > config.hall.service_level_min * 60), lf.c.wait_s),
            "no_shows": (leg_measures.no_show(), lf.c.calls),
        }[rule]
        query = (
            select(lf.c.hall_day, tickets.c.number, lf.c.queue, lf.c.window_id, measure)
            .join(tickets, tickets.c.id == lf.c.ticket_id)
            .where(lf.c.hall_day >= start, lf.c.hall_day <= end, lf.c.staff_id == staff, condition)
            .order_by(lf.c.hall_day, lf.c.entered_at)
        )
    rows = conn.execute(query.limit(CASES_LIMIT)).all()
    labels = GroupLabels(config, {})
    return [Case(day, number, queue, window, None if value is None else round(float(value), 1),
                 labels.label("queue", queue), labels.label("window", str(window)))
            for day, number, queue, window, value in rows]


def bad_ratings_of(conn: Connection, staff: str, start: date, end: date) -> list[dict[str, Any]]:
    """A person's own bad ratings (1-2) of hall days start..end with their appeal's state: what a
    clerk needs to appeal one (the ticket id the appeal names) and to follow it, with the manager's
    reason once decided (a clerk read only 申诉已驳回, never why). Excluded ones stay listed."""
    query = (
        select(tf.c.ticket_id, tickets.c.hall_day, tickets.c.number, tf.c.queue, tf.c.rating, rating_appeals.c.status,
               rating_appeals.c.decision_reason)
        .join(tickets, tickets.c.id == tf.c.ticket_id)
        .outerjoin(rating_appeals, rating_appeals.c.ticket_id == tf.c.ticket_id)
        .where(tf.c.hall_day >= start, tf.c.hall_day <= end, tf.c.rating_staff == staff, tf.c.rating <= 2)
        .order_by(tf.c.hall_day.desc(), tickets.c.number)
        .limit(CASES_LIMIT)
    )
    return [{"ticket_id": r.ticket_id, "hall_day": r.hall_day, "number": r.number, "queue": r.queue, "rating": r.rating,
             "appeal": r.status, "decision_reason": r.decision_reason} for r in conn.execute(query)]
