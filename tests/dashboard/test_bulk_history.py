"""The bulk history writer must leave exactly what the engine path leaves for the same simulated
day: the same tickets, events, ledger intervals, facts and figures. The same day driver (same seed)
works the real engine on one database and the BulkEngine on another; everything is compared."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.engine.clock import ManualClock
from server.engine.engine import QueueEngine
from server.events import EventBus
from server.simulation.bulk import bulk_history
from server.simulation.history import SimulationOptions, simulate_days
from server.simulation.profile import load_profile
from server.stats.facts import FactBuilder
from server.stats.metrics import figures
from server.storage.db import open_database, upgrade
from server.storage.schema import (
    appointments,
    day_counters,
    stat_leg_facts,
    stat_ticket_facts,
    stat_watermarks,
    stat_window_days,
    ticket_events,
    ticket_intervals,
    tickets,
)
from tests.conftest import TZ

DAY = date(2026, 11, 26)  # a Thursday
OPTIONS = SimulationOptions(volume=0.04, seed=11)
GROUPINGS = ("all", "hour", "zone", "queue", "window", "staff")


def dump(conn: Connection) -> dict[str, Any]:
    def rows(table: Any, order: Any, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        return [{k: v for k, v in r._mapping.items() if k not in drop} for r in conn.execute(select(table).order_by(*order))]
    return {
        "tickets": rows(tickets, [tickets.c.id], ("status_token",)),
        "events": rows(ticket_events, [ticket_events.c.seq]),
        # Derived by the hub's catch-up (rebuilt per ticket), written at once by the bulk path: the
        # same rows, in the same order within a ticket, under other ids.
        "intervals": rows(ticket_intervals, [ticket_intervals.c.ticket_id, ticket_intervals.c.id], ("id",)),
        "counters": rows(day_counters, [day_counters.c.prefix]),
        "appointments": rows(appointments, [appointments.c.code]),
        "ticket_facts": rows(stat_ticket_facts, [stat_ticket_facts.c.ticket_id]),
        "leg_facts": rows(stat_leg_facts, [stat_leg_facts.c.ticket_id, stat_leg_facts.c.leg]),
        "window_days": rows(stat_window_days, [stat_window_days.c.window_id, stat_window_days.c.staff_id]),
        "figures": {by: figures(conn, DAY, DAY, by) for by in GROUPINGS},
        "watermarks": rows(stat_watermarks, [stat_watermarks.c.name]),  # else the hub's first report redoes the history
    }


def wipe_facts(conn: Connection) -> None:
    for table in (stat_ticket_facts, stat_leg_facts, stat_window_days, stat_watermarks):
        conn.execute(table.delete())


# The second run keeps zone A to a per-hour rota (staffing advice given back to the simulation):
# windows log in and out during the day on both paths alike, and four of A's ten windows never
# open, so their window-day rows ("" staff) come from the day's whole rebuild once it is over.
@pytest.mark.parametrize("options", [OPTIONS, replace(OPTIONS, open_windows={"A": {8: 3, 10: 6, 11: 2, 14: 4}})],
                         ids=["all windows", "hourly rota"])
async def test_bulk_day_equals_the_engine_day(tmp_path: Path, options: SimulationOptions) -> None:
    config = load_hall_config(default_config_dir())
    profile = load_profile(default_config_dir() / "traffic_profile.toml")
    midnight = datetime.combine(DAY, datetime.min.time(), TZ).timestamp()

    engine_db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}")
    bulk_db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'bulk.db'}")
    try:
        await upgrade(engine_db)
        await upgrade(bulk_db)
        clock = ManualClock(midnight)
        engine = QueueEngine(engine_db, config, clock, EventBus(), secret=b"bulk-equivalence")
        [by_engine] = await simulate_days(engine, clock, profile, DAY, 1, options)
        await FactBuilder(engine_db, config, clock).catch_up_all()
        report = await bulk_history(bulk_db, config, profile, DAY, 1, options)

        assert by_engine.issued > 40 and by_engine.transfers > 0 and by_engine.no_shows > 0, "a day worth comparing"
        assert report.days == [by_engine], "the day driver made the same choices on both paths"
        assert report.tickets == by_engine.issued
        expected, got = await engine_db.read(dump), await bulk_db.read(dump)
        for part in expected:
            assert got[part] == expected[part], f"{part} differ between the engine path and the bulk path"
        assert expected["figures"]["all"][0].served == by_engine.finished

        # The bulk path's facts are computed inline; the hub's FactBuilder rebuilding them from the
        # bulk rows alone must agree too (what a hub does after an import, or after a lost watermark).
        await bulk_db.write(wipe_facts)
        assert (await bulk_db.read(dump))["ticket_facts"] == []
        await FactBuilder(bulk_db, config, clock).catch_up_all()
        rebuilt = await bulk_db.read(dump)
        for part in expected:
            assert rebuilt[part] == expected[part], f"{part} differ after a FactBuilder rebuild of the bulk rows"
    finally:
        await engine_db.close()
        await bulk_db.close()


def test_bulk_ticket_declares_every_tickets_column() -> None:
    """_Ticket's slots come from the tickets table and its annotations give their types to the
    type checker: a column added to the table must be declared there too."""
    from server.simulation.bulk import _Ticket

    assert set(_Ticket.__annotations__) == set(_Ticket.__slots__) == {c.name for c in tickets.columns}
