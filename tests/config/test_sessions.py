"""Opening sessions of a day: season by month-day, holidays, weekends and make-up workdays."""

from __future__ import annotations

from datetime import date, time

import pytest

from server.config.loader import load_hall_config
from server.config.models import HallConfig
from server.config.paths import default_config_dir


@pytest.fixture(scope="module")
def sample() -> HallConfig:
    return load_hall_config(default_config_dir())


def spans(config: HallConfig, d: date) -> list[tuple[time, time]]:
    return [(s.start, s.end) for s in config.sessions_on(d)]


def test_summer_weekday(sample: HallConfig) -> None:
    assert spans(sample, date(2026, 7, 15)) == [(time(8, 30), time(12)), (time(14, 30), time(17, 30))]


def test_winter_weekday_on_both_sides_of_the_year_end(sample: HallConfig) -> None:
    winter = [(time(8, 30), time(12)), (time(14), time(17, 30))]
    assert spans(sample, date(2026, 11, 26)) == winter
    assert spans(sample, date(2027, 3, 3)) == winter


def test_season_boundaries_are_inclusive(sample: HallConfig) -> None:
    assert sample.season_on(date(2026, 4, 30)).name == "冬季"
    assert sample.season_on(date(2026, 5, 1)).name == "夏季"
    assert sample.season_on(date(2026, 9, 30)).name == "夏季"
    assert sample.season_on(date(2026, 10, 1)).name == "冬季"
    assert sample.season_on(date(2028, 2, 29)).name == "冬季"


def test_public_holiday_on_a_weekday_is_closed(sample: HallConfig) -> None:
    assert date(2026, 10, 5).isoweekday() == 1
    assert sample.sessions_on(date(2026, 10, 5)) == []
    assert sample.sessions_on(date(2026, 2, 16)) == []  # 除夕


def test_weekend_is_closed(sample: HallConfig) -> None:
    assert sample.sessions_on(date(2026, 11, 28)) == []  # Saturday
    assert sample.sessions_on(date(2026, 11, 29)) == []  # Sunday


def test_make_up_workday_on_a_weekend_is_open(sample: HallConfig) -> None:
    saturday = date(2026, 10, 10)
    assert saturday.isoweekday() == 6
    assert spans(sample, saturday) == [(time(8, 30), time(12)), (time(14), time(17, 30))]
    sunday = date(2026, 1, 4)
    assert sunday.isoweekday() == 7 and len(sample.sessions_on(sunday)) == 2


def test_calendar_entries_are_consistent_with_the_week(sample: HallConfig) -> None:
    """Make-up workdays fall on weekends; listing a weekday as one would change nothing."""
    assert all(d.isoweekday() in (6, 7) for d in sample.calendar.workdays)
    assert not set(sample.calendar.holidays) & set(sample.calendar.workdays)
