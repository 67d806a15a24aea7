"""The history simulation drives the real engine; its own tallies must match the facts it leaves.
Erlang C staffing advice is checked against an independent queue simulation."""
from __future__ import annotations

import heapq
import random
from datetime import date

import pytest
from sqlalchemy import func, select

from server.config.paths import default_config_dir
from server.simulation.history import SimulationOptions, simulate_days
from server.simulation.profile import load_profile
from server.stats.staffing import erlang_c, share_within, windows_needed
from server.stats.metrics import figures
from server.storage.schema import ticket_intervals, tickets
from tests.conftest import at


async def test_simulated_days_leave_consistent_facts(scenario):
    profile = load_profile(default_config_dir() / "traffic_profile.toml")
    results = await simulate_days(
        scenario.engine, scenario.clock, profile, date(2026, 11, 26), 3, SimulationOptions(volume=0.03, seed=7)
    )
    assert results[2].issued == 0, "2026-11-28 is a Saturday: no tickets"
    issued = sum(r.issued for r in results)
    assert issued > 20
    open_rows = await scenario.engine.database.read(
        lambda c: (
            c.execute(select(func.count()).where(tickets.c.status.in_(("waiting", "called", "serving")))).scalar(),
            c.execute(select(func.count()).where(ticket_intervals.c.end_at.is_(None))).scalar(),
        )
    )
    assert open_rows == (0, 0), "every simulated ticket ends, and the ledger has no open interval"
    await scenario.facts.catch_up_all()
    [total] = await scenario.engine.database.read(lambda c: figures(c, date(2026, 11, 26), date(2026, 11, 28)))
    assert total.tickets == issued
    assert total.served == sum(r.finished for r in results)
    assert total.no_shows == sum(r.no_shows for r in results)
    assert total.transfers == sum(r.transfers for r in results)
    assert total.rated == sum(r.ratings for r in results)
    assert total.wait_mean_s is not None and total.wait_p90_s >= total.wait_p50_s
    assert 0 < total.availability <= 1


async def test_a_make_up_working_saturday_has_citizens(scenario):
    """Tried: simulating 2026-10-10, a Saturday the calendar makes a working day (调休), and the
    Sunday after. Kept: citizens come on the Saturday as on an ordinary day (the profile has no
    Saturday factor, and the day had none); the closed Sunday has none."""
    profile = load_profile(default_config_dir() / "traffic_profile.toml")
    assert 6 not in profile.weekday_factor
    scenario.clock.set(at("07:00", date(2026, 10, 10)))
    saturday, sunday = await simulate_days(scenario.engine, scenario.clock, profile, date(2026, 10, 10), 2,
                                           SimulationOptions(volume=0.03, seed=7))
    assert saturday.issued > 20 and saturday.finished > 0
    assert sunday.issued == 0


def test_erlang_c_known_values():
    # Textbook case: A = 2 Erlang on 3 servers -> C = 4/9.
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: the utilisation
    assert erlang_c(2, 2.5) == 1.0, "overloaded: everyone waits"


def _fifo_share_within(servers: int, rate_per_s: float, mean_s: float, level_s: float, n: int, seed: int) -> float:
    rng = random.Random(seed)
    free = [0.0] * servers
    heapq.heapify(free)
    t, within = 0.0, 0
    for _ in range(n):
        t += rng.expovariate(rate_per_s)
        start = max(t, heapq.heappop(free))
        within += start - t <= level_s
        heapq.heappush(free, start + rng.expovariate(1 / mean_s))
    return within / n


@pytest.mark.parametrize("per_hour,mean_min", [(30, 10), (60, 8), (12, 25)])
def test_advice_keeps_waits_within_the_service_level_in_simulation(per_hour, mean_min):
    level, target = 20 * 60, 0.8
    n = windows_needed(per_hour, mean_min * 60, level, target)
    simulated = _fifo_share_within(n, per_hour / 3600, mean_min * 60, level, 40_000, seed=n)
    assert simulated >= target - 0.02, (n, simulated)
    assert simulated == pytest.approx(share_within(n, per_hour / 3600 * mean_min * 60, mean_min * 60, level), abs=0.03)
    fewer = _fifo_share_within(n - 1, per_hour / 3600, mean_min * 60, level, 40_000, seed=n) if n > 1 else 0.0
    assert fewer < target, "one window fewer would miss the target: the advice is not padded"
