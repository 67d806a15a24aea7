"""HallCalendar remembers today's bounds and issuing spans; it must answer as the plain functions do.

Tried: hypothesis draws instants over three weeks around a holiday and a make-up workday, in any
order (a manual clock jumps back and forth in the tests; a real one crosses midnight and session
edges), including the exact second issuing opens and stops and a fraction of a microsecond before
midnight (which datetime.fromtimestamp rounds into the next day). Kept: the hall day and the issuing
state (open or not, why, and when it opens next) are those of hall_day and issuing_state.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from server.config.models import HallConfig
from server.engine.hours import HallCalendar, hall_day, issuing_state, issuing_windows
from tests.conftest import mini_hall_dict

CONFIG = HallConfig.model_validate(mini_hall_dict())
TZ = ZoneInfo(CONFIG.hall.timezone)
FIRST = date(2026, 9, 26)  # the mini hall's National Day holiday (Oct 1) and make-up Saturday (Oct 10)
START = datetime.combine(FIRST, time(0), TZ).timestamp()
EDGES = [
    w.opens.timestamp() + d
    for day in range(21)
    for w in issuing_windows(CONFIG, FIRST + timedelta(days=day))
    for d in (-1, 0, 1)
] + [
    w.stops.timestamp() + d
    for day in range(21)
    for w in issuing_windows(CONFIG, FIRST + timedelta(days=day))
    for d in (-1, 0, 1)
]
MIDNIGHTS = [START + day * 86400 + d for day in range(22) for d in (-0.0005, -2e-7, -1e-7, 0.0, 1e-7)]
instants = st.one_of(st.floats(START, START + 21 * 86400), st.sampled_from(EDGES), st.sampled_from(MIDNIGHTS))


@settings(max_examples=300, deadline=None)
@given(st.lists(instants, min_size=1, max_size=30))
@example([1792080000.0, 1792166399.9999998])  # found by hypothesis: fromtimestamp rounds to the next day
def test_calendar_answers_as_the_functions_do(epochs: list[float]) -> None:
    assert not issuing_windows(CONFIG, date(2026, 10, 1)) and issuing_windows(CONFIG, date(2026, 10, 10))
    calendar = HallCalendar(CONFIG)
    for epoch in epochs:
        assert calendar.day(epoch) == hall_day(CONFIG, epoch)
        assert calendar.issuing(epoch) == issuing_state(CONFIG, epoch)
