"""Staffing advice checked against HallQ's own simulation (the day driver of server/simulation,
through the bulk path): advice computed from a simulated history is given back to the simulation
as the number of windows open per hour, and the citizens of each hour must then be called within
the service level as often as the target asks. One window fewer through the peak must miss it.

One zone, one queue served by every window (the pooled servers Erlang C assumes), no pauses,
transfers, no-shows or priority, so what is checked is the queueing arithmetic and not the
behaviour model. Print the table with `pytest tests/stats/test_staffing_in_simulation.py -s`.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.config.models import HallConfig
from server.simulation.bulk import bulk_history
from server.simulation.history import SimulationOptions
from server.simulation.profile import TrafficProfile, ZoneProfile
from server.stats.staffing import StaffingAdvice, staffing_advice
from server.storage.db import open_database, upgrade
from server.storage.schema import stat_ticket_facts as tf
from tests.conftest import mini_hall_dict

START = date(2026, 11, 2)  # a Monday; 40 calendar days hold 28 working days
DAYS = 40
TARGET = 0.8
WINDOWS = 14


def one_zone_hall() -> HallConfig:
    hall = mini_hall_dict()  # service level 20 minutes; sessions 08:30-12:00 and 14:30-17:30
    hall["zones"] = [{"code": "A", "name": "综合受理区"}]
    hall["units"] = [{"code": "U1", "name": "县民政局"}]
    hall["queues"] = [{"prefix": "A1", "name": "综合业务", "zone": "A", "unit": "U1"}]
    hall["windows"] = [{"id": f"W{i:02d}", "number": i, "name": f"{i}号窗口", "zone": "A", "queues": {"A1": 1}}
                       for i in range(1, WINDOWS + 1)]
    hall["items"] = [{"code": "430224000001", "name": "综合受理", "unit": "U1", "zone": "A", "queue": "A1",
                      "instant": True, "promised_days": 0}]
    return HallConfig.model_validate(hall)


# A morning peak at 09:00-11:00 (about 60 an hour), a lighter afternoon; service median 6 minutes
# with p90 17.4 (a lognormal with the exponential's spread, as Erlang C assumes).
PROFILE = TrafficProfile(
    tickets_per_day=240, weekday_factor={d: 1.0 for d in range(1, 6)},
    hourly_share={8: 0.125, 9: 0.25, 10: 0.25, 11: 0.125, 14: 0.1, 15: 0.2, 16: 0.2},
    zones={"A": ZoneProfile("A", 1.0, WINDOWS, 6.0, 17.4, 0.0)},
    appointment_share=0.0, no_show_rate=0.0, transfer_rate=0.0, recall_rate=0.0, evaluation_rate=0.0,
    evaluation_share={5: 1.0}, pauses_per_day=0.0, wait_kpi_min=20.0,
)


def shares_within(conn: Connection, level_s: float) -> dict[int, tuple[int, float]]:
    """Per issue hour: tickets with a wait, and the share called within the service level."""
    rows = conn.execute(
        select(tf.c.issue_hour, func.count(), func.count().filter(tf.c.wait_s <= level_s))
        .where(tf.c.wait_s.is_not(None), ~tf.c.auto_closed).group_by(tf.c.issue_hour)
    )
    return {int(hour): (int(n), within / n) for hour, n, within in rows}


async def simulate(path: Path, config: HallConfig, options: SimulationOptions) -> tuple[dict[int, tuple[int, float]], list[StaffingAdvice]]:
    database = open_database(f"sqlite:///{path}")
    try:
        await upgrade(database)
        report = await bulk_history(database, config, PROFILE, START, DAYS, options)
        assert sum(r.closed for r in report.days) == 0, "everyone was called before the day closed"
        level_min = config.hall.service_level_min
        return await database.read(lambda c: (
            shares_within(c, level_min * 60),
            staffing_advice(c, START, START + timedelta(days=DAYS - 1), level_min, TARGET, config=config),
        ))
    finally:
        await database.close()


async def test_advised_windows_per_hour_keep_waits_within_the_level_in_hallq_simulation(tmp_path):
    config = one_zone_hall()
    _, advice = await simulate(tmp_path / "history.db", config, SimulationOptions(seed=1))
    advised = {a.hour: a.windows for a in advice}
    assert max(advised.values()) < WINDOWS, "the hall has more windows than the advice asks for"
    peak_rate = max(a.arrivals_per_hour for a in advice)
    peak = [a.hour for a in advice if a.arrivals_per_hour >= 0.9 * peak_rate]

    # A fresh sample (another seed) with exactly the advised windows open each hour.
    met, _ = await simulate(tmp_path / "advised.db", config, SimulationOptions(seed=2, open_windows={"A": advised}))
    fewer_rota = {h: n - (h in peak) for h, n in advised.items()}
    fewer, _ = await simulate(tmp_path / "fewer.db", config, SimulationOptions(seed=2, open_windows={"A": fewer_rota}))

    print(f"\nhour  arrivals/h  advised  share within {config.hall.service_level_min} min  | one fewer at {peak}: windows  share")
    for a in advice:
        print(f"{a.hour:4d}  {a.arrivals_per_hour:10.1f}  {a.windows:7d}  {met[a.hour][1]:10.3f} (Erlang {a.share_within:.3f})"
              f"  | {fewer_rota[a.hour]:7d}  {fewer[a.hour][1]:.3f}")
    assert set(met) == set(advised) and all(n >= 100 for n, _ in met.values()), "every advised hour was sampled"
    assert all(share >= TARGET for _, share in met.values()), met
    assert min(share for _, share in fewer.values()) < TARGET, "one window fewer through the peak misses the target"
