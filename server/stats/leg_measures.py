"""What a leg counts as, shared by every reader of the leg facts: the report by window and by
person (metrics.py), the monthly assessment (assessment.py) and the cases behind its lines
(assessment_cases.py).

Why one place: the report by person and the assessment each wrote their own conditions, and the
assessment left legs the day auto-closed out of a person's calls while the report counted them,
so one clerk's 过号率 for one month read 1/3 on one page and 1/2 on the other.

HALL.md: no-show rate = no-shows / tickets called, and tickets closed automatically at the end of
the day are left out of time averages (only). So a leg the day closed after a call is a call (the
citizen called at 17:20 and still at the window at closing came; today's dashboard counted that
call while the ticket was in the hall, and closing the day must not take it back), never a
no-show, and not a case served: it has no end, so no service time.
"""
from __future__ import annotations

from sqlalchemy import and_, not_
from sqlalchemy.sql.elements import ColumnElement

from server.stats.shares import share
from server.storage.schema import stat_leg_facts as lf


def called() -> ColumnElement[bool]:
    """A leg someone called: the denominator of the no-show rate, auto-closed or not."""
    return lf.c.calls > 0


def no_show() -> ColumnElement[bool]:
    """A leg that ended as a no-show: the numerator of the no-show rate."""
    return lf.c.outcome == "no_show"


def served() -> ColumnElement[bool]:
    """A leg whose service started and that the day did not close: the assessment's 办件量 and
    the report's 办结数, and the only legs whose service and wait the time figures average."""
    return and_(not_(lf.c.auto_closed), lf.c.started_at.is_not(None))


def no_show_rate(no_shows: int, calls: int) -> float | None:
    """No-shows / calls, to four places (a share), or None without a call: the rate both the
    report and the assessment show."""
    return share(no_shows, calls)
