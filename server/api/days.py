"""The hall days a request may name: a day far outside the hall's working life is a typing
mistake, never a plan, and the arithmetic on it fails (a 500) or stores nonsense.

`POST /day/close {"day": "0001-01-01"}` overflowed `day - 45 days` (a 500), and
`POST /appointments {"day": "0001-01-01"}` booked a slot starting 62 billion seconds before 1970.
"""
from __future__ import annotations

from datetime import date, timedelta

from server.errors import HallQError

APPOINTMENT_DAYS_AHEAD = 366
"""How far ahead an appointment may be booked: a year, as a hall publishes its calendar
(holidays, working weekends) a year at a time."""
CLOSE_DAY_MAX_AGE_DAYS = 10 * 366
"""How old a day a manager may still close: ten years, generous for a hub switched off for long
(the start-up closes only the last 45 days by itself); further back is a mistyped year."""


def _refuse_outside(day: date, earliest: date, latest: date, what_en: str, what_zh: str) -> None:
    if not earliest <= day <= latest:
        raise HallQError(
            "bad_request", f"{what_zh}应在{earliest.isoformat()}至{latest.isoformat()}之间（收到{day.isoformat()}）",
            f"{what_en} must be from {earliest} to {latest}, not {day}", 400,
            {"field": "day", "earliest": earliest.isoformat(), "latest": latest.isoformat()},
        )


def check_appointment_day(day: date, today: date) -> None:
    """An appointment is for today or a day ahead, never a day already gone."""
    _refuse_outside(day, today, today + timedelta(days=APPOINTMENT_DAYS_AHEAD), "the appointment's day", "预约日期")


def check_day_to_close(day: date, today: date) -> None:
    """A day to close has begun (closing tomorrow would close today's open tickets early) and is
    not absurdly old."""
    _refuse_outside(day, today - timedelta(days=CLOSE_DAY_MAX_AGE_DAYS), today, "the day to close", "结束日期")
