"""The report and the assessment aggregate in SQL; these check them on random fact rows, on both
backends, against the definitions written out plainly in Python (nearest-rank percentiles from
sorted values; the assessment's measures counted leg by leg)."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from server.stats.assessment import assess_month
from server.stats.assessment_rules import AssessmentRules, ServiceTimeRule
from server.stats.metrics import chart_series, figures, percentile, wait_histogram
from server.storage.schema import stat_leg_facts, stat_ticket_facts, stat_window_days
from tests.stats.conftest import ON_BOTH_BACKENDS

DAY = date(2026, 11, 2)
RANDOM_DB = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def ticket_row(ticket_id: int, **values: Any) -> dict[str, Any]:
    """A stat_ticket_facts row with neutral values for every column the test does not vary."""
    row: dict[str, Any] = {
        "ticket_id": ticket_id, "hall_day": DAY, "issue_hour": 9, "weekday": DAY.weekday(), "zone": "A", "unit": None,
        "queue": "A1", "item_code": None, "first_window": None, "last_window": None, "first_staff": None,
        "last_staff": None, "legs": 1, "transfers": 0, "calls": 1, "was_called": True, "wait_s": None, "walk_s": None,
        "service_s": None, "hold_s": None, "dwell_s": None, "final_status": "finished", "outcome": None,
        "over_kpi": None, "rating": None, "rating_staff": None, "rating_excluded": False, "priority": False,
        "appointment": False, "auto_closed": False,
    }
    row.update(values)
    return row


def _replace(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    conn.execute(delete(table))
    if rows:
        conn.execute(insert(table), rows)


# A wait, or none; small integers make ties, which nearest rank must handle.
waits = st.one_of(st.none(), st.integers(0, 40).map(float), st.floats(0, 20_000, allow_nan=False))
facts = st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 2), waits, st.booleans(), st.integers(8, 11)), max_size=60)


async def _write_facts(database: Any, rows: list[tuple]) -> None:
    await database.write(lambda c: _replace(c, stat_ticket_facts, [
        ticket_row(i, zone=zone, hall_day=DAY + timedelta(days=d), wait_s=wait, auto_closed=closed, issue_hour=hour)
        for i, (zone, d, wait, closed, hour) in enumerate(rows, start=1)
    ]))


@ON_BOTH_BACKENDS
@RANDOM_DB
@given(facts)
async def test_report_percentiles_are_nearest_rank_of_the_waits(database, rows):
    await _write_facts(database, rows)
    for by, key in (("all", lambda r: "all"), ("zone", lambda r: r[0]), ("day", lambda r: str(DAY + timedelta(days=r[1])))):
        expected: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            expected[key(r)]  # every group with tickets has a row, with or without waits
            if r[2] is not None and not r[3]:  # auto-closed tickets are left out of every time figure
                expected[key(r)].append(r[2])
        got = await database.read(lambda c: figures(c, DAY, DAY + timedelta(days=2), by))
        assert [f.key for f in got] == sorted(expected), by
        for f in got:
            values = sorted(expected[f.key])
            assert (f.wait_p50_s, f.wait_p90_s) == (percentile(values, 50), percentile(values, 90)), (by, f.key, values)


@ON_BOTH_BACKENDS
async def test_percentile_ranks_for_every_count_up_to_41(database):
    """Distinct waits, every n: an off-by-one in the rank arithmetic shows at some n (ranks jump
    at multiples of 10 and 2), which random lists can miss."""
    for n in range(1, 42):
        await database.write(lambda c: _replace(c, stat_ticket_facts, [
            ticket_row(i, wait_s=float(n - i)) for i in range(1, n + 1)  # 0..n-1, stored backwards
        ]))
        [f] = await database.read(lambda c: figures(c, DAY, DAY, "zone"))
        assert (f.wait_p50_s, f.wait_p90_s) == (percentile(range(n), 50), percentile(range(n), 90)), n


@ON_BOTH_BACKENDS
async def test_wait_bands_have_the_same_bounds_on_both_backends(database):
    waits = [0.0, 299.9, 300.0, 449.0, 450.0, 599.99, 3599.0, 3600.0, 86_000.0, None]
    await database.write(lambda c: _replace(c, stat_ticket_facts, [
        *(ticket_row(i, wait_s=w) for i, w in enumerate(waits, start=1)),
        ticket_row(99, wait_s=10.0, auto_closed=True),  # left out, like every time figure
    ]))
    bands = dict(await database.read(lambda c: wait_histogram(c, DAY, DAY)))
    assert {band: n for band, n in bands.items() if n} == {"0-5": 2, "5-10": 4, "55-60": 1, "≥60": 2}
    assert len(bands) == 13


@ON_BOTH_BACKENDS
@RANDOM_DB
@given(facts)
async def test_report_page_charts_agree_with_the_report_rows(database, rows):
    await _write_facts(database, rows)
    end = DAY + timedelta(days=2)
    series, by_hour, by_day, by_zone = await database.read(lambda c: (
        chart_series(c, DAY, end), figures(c, DAY, end, "hour"), figures(c, DAY, end, "day"), figures(c, DAY, end, "zone")))
    assert series.tickets_by_hour == [(int(f.key), f.tickets) for f in by_hour]
    assert series.tickets_by_day == [(f.key, f.tickets) for f in by_day]
    assert [z for z, _ in series.wait_mean_by_zone] == [f.key for f in by_zone]
    for (_, mean), f in zip(series.wait_mean_by_zone, by_zone):  # a sum over a count, the report's AVG: rounding apart
        assert mean == f.wait_mean_s or abs(mean - f.wait_mean_s) <= 0.1, f.key


RULES = AssessmentRules(service_time=ServiceTimeRule(default_norm_min=10, norms_min={"B1": 30}, over_factor=1.5))
LEVEL_S = 20 * 60  # the sample hall's service level (tests/conftest.py hall)
STAFF = ("s1", "s2", "s3")
legs = st.lists(
    st.tuples(
        st.sampled_from((*STAFF, None)),
        st.sampled_from(("U1", "U2", "", None)),
        st.sampled_from(("A1", "B1", "Z9")),
        st.booleans(),  # service started
        st.one_of(st.none(), st.integers(0, 4000).map(float)),  # service_s
        st.one_of(st.none(), st.integers(0, 3000).map(float)),  # wait_s
        st.sampled_from(("finished", "no_show", None)),
        st.booleans(),  # auto-closed
    ),
    max_size=40,
)
ratings = st.lists(st.tuples(st.sampled_from((*STAFF, None)), st.integers(1, 5), st.booleans()), max_size=15)
window_days = st.lists(
    st.tuples(st.sampled_from(STAFF), st.integers(0, 1), st.sampled_from(("W1", "W2")),
              st.integers(0, 30_000), st.integers(0, 30_000), st.integers(0, 5_000)),
    max_size=10, unique_by=lambda t: t[:3],
)


def _expected_measures(leg_rows: list[tuple], rating_rows: list[tuple], day_rows: list[tuple]) -> dict[str, dict[str, Any]]:
    """The assessment's measures, leg by leg, as assessment.md defines them."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: Counter())
    units: dict[str, dict[str, list[float]]] = defaultdict(dict)  # staff -> unit -> [cases, first entered]
    for i, (staff, unit, queue, started, service, wait, outcome, closed) in enumerate(leg_rows):
        if staff is None:
            continue
        m = out[staff]
        m["calls"] += 1  # a leg the day closed is a call too (leg_measures)
        m["no_shows"] += outcome == "no_show"
        if not started or closed:
            continue
        m["cases"] += 1
        norm = {"B1": 30}.get(queue, 10) * 60 * 1.5
        m["over_norm"] += service is not None and service > norm
        m["waited"] += wait is not None
        m["over_level"] += wait is not None and wait > LEVEL_S
        if unit:
            u = units[staff].setdefault(unit, [0, float(i)])
            u[0] += 1
    for staff, per_unit in units.items():
        out[staff]["unit"] = min(per_unit, key=lambda u: (-per_unit[u][0], per_unit[u][1], u))
    for staff, rating, excluded in rating_rows:
        if staff is not None and not excluded:
            m = out[staff]
            m["rated"] += 1
            m["good"] += rating >= 4
            m["bad"] += rating <= 2
    per_day: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0, 0])
    for staff, d, _window, scheduled, logged, paused in day_rows:
        acc = per_day[(staff, d)]
        acc[0] = max(acc[0], scheduled)
        acc[1] += logged
        acc[2] += paused
    for (staff, _d), (scheduled, logged, paused) in per_day.items():
        m = out[staff]
        m["days"] += 1
        m["paused"] += paused
        m["absent"] += max(scheduled - logged, 0)
    return out


@ON_BOTH_BACKENDS
@RANDOM_DB
@given(legs, ratings, window_days)
async def test_assessment_measures_match_a_leg_by_leg_count(database, hall_config, leg_rows, rating_rows, day_rows):
    assert hall_config.hall.service_level_min * 60 == LEVEL_S

    def write(c: Any) -> None:
        _replace(c, stat_leg_facts, [
            {"ticket_id": i, "leg": 0, "hall_day": DAY, "zone": "A", "unit": unit, "queue": queue, "staff_id": staff,
             "entered_at": float(i), "started_at": float(i) + 1 if started else None, "calls": 1, "service_s": service,
             "wait_s": wait, "outcome": outcome, "auto_closed": closed}
            for i, (staff, unit, queue, started, service, wait, outcome, closed) in enumerate(leg_rows)
        ])
        _replace(c, stat_ticket_facts, [
            ticket_row(i, rating=rating, rating_staff=staff, rating_excluded=excluded)
            for i, (staff, rating, excluded) in enumerate(rating_rows, start=1)
        ])
        _replace(c, stat_window_days, [
            {"hall_day": DAY + timedelta(days=d), "window_id": window, "staff_id": staff, "zone": "A", "unit": None,
             "scheduled_s": float(scheduled), "logged_in_s": float(logged), "paused_s": float(paused),
             "available_s": 0.0, "busy_s": 0.0, "idle_waiting_s": 0.0}
            for staff, d, window, scheduled, logged, paused in day_rows
        ])

    await database.write(write)
    people, _units = await database.read(lambda c: assess_month(c, hall_config, RULES, f"{DAY:%Y-%m}"))
    expected = _expected_measures(leg_rows, rating_rows, day_rows)
    assert sorted(p.staff_id for p in people) == sorted(expected)
    for person in people:
        m = expected[person.staff_id]
        measured = {line.rule: line.measured for line in person.lines}
        assert person.unit == m.get("unit"), person.staff_id
        assert measured["volume"] == m["cases"]
        assert measured["service_time"] == m["over_norm"]
        assert measured["waits"] == (round(m["over_level"] / m["waited"], 4) if m["waited"] else None)
        assert measured["satisfaction"] == (round(m["good"] / m["rated"], 4) if m["rated"] else None)
        assert measured["bad_ratings"] == m["bad"]
        assert measured["paused"] == round(max(m["paused"] - m["days"] * 30 * 60, 0) / 3600, 2)
        assert measured["absent"] == round(max(m["absent"] - m["days"] * 15 * 60, 0) / 3600, 2)
        assert measured["no_shows"] == (round(m["no_shows"] / m["calls"], 4) if m["calls"] else None)
