"""A scenario driver for the statistics tests: the real engine on a ManualClock, moved to exact
hall times, and the fact builder run on what it wrote."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from server.engine.clock import ManualClock
from server.engine.engine import QueueEngine
from server.engine.views import IssueRequest, TicketView
from server.stats.facts import FactBuilder
from server.stats.metrics import Figures, figures
from server.storage.schema import stat_leg_facts, stat_ticket_facts, stat_window_days
from tests.conftest import THURSDAY, at

# Statistics tests run on SQLite; those that matter per backend say so with
# @ON_BOTH_BACKENDS (each PostgreSQL database costs a second or more to create and migrate).
def ON_BOTH_BACKENDS(test: Callable[..., Any]) -> Callable[..., Any]:  # noqa: N802 - reads as a marker
    test.stats_both_backends = True  # type: ignore[attr-defined]
    return test


@dataclass
class Scenario:
    engine: QueueEngine
    clock: ManualClock
    facts: FactBuilder
    day: date = THURSDAY

    def to(self, hhmm: str) -> None:
        """Move the hall clock forward to HH:MM (or HH:MM:SS) today."""
        target = at(hhmm, self.day)
        assert target >= self.clock.now(), f"time runs forward only ({hhmm})"
        self.clock.set(target)

    async def issue(self, hhmm: str, queue: str = "A1", **kwargs: Any) -> TicketView:
        self.to(hhmm)
        return (await self.engine.issue(IssueRequest(queue=queue, **kwargs))).ticket

    async def do(self, hhmm: str, action: str, *args: Any) -> Any:
        self.to(hhmm)
        return await getattr(self.engine, action)(*args)

    async def serve(self, window: str, called: str, started: str, finished: str) -> TicketView:
        ticket = await self.do(called, "call_next", window)
        await self.do(started, "start", window)
        await self.do(finished, "finish", window)
        return ticket

    async def ticket_fact(self, ticket_id: int) -> dict[str, Any] | None:
        await self.facts.catch_up_all()
        row = await self.engine.database.read(
            lambda c: c.execute(select(stat_ticket_facts).where(stat_ticket_facts.c.ticket_id == ticket_id)).first()
        )
        return dict(row._mapping) if row is not None else None

    async def legs(self, ticket_id: int) -> list[dict[str, Any]]:
        await self.facts.catch_up_all()
        rows = await self.engine.database.read(
            lambda c: c.execute(
                select(stat_leg_facts).where(stat_leg_facts.c.ticket_id == ticket_id).order_by(stat_leg_facts.c.leg)
            ).all()
        )
        return [dict(r._mapping) for r in rows]

    async def window_days(self, window_id: str) -> list[dict[str, Any]]:
        await self.facts.refresh_day(self.day)
        rows = await self.engine.database.read(
            lambda c: c.execute(
                select(stat_window_days).where(stat_window_days.c.window_id == window_id, stat_window_days.c.hall_day == self.day)
            ).all()
        )
        return [dict(r._mapping) for r in rows]

    async def figures(self, by: str = "all", **filters: str) -> list[Figures]:
        await self.facts.catch_up_all()
        return await self.engine.database.read(lambda c: figures(
            c, self.day, self.day, by, filters or None, service_level_min=self.engine.config.hall.service_level_min))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the PostgreSQL variants of this folder's tests only where @ON_BOTH_BACKENDS asks."""
    here = Path(__file__).parent
    dropped = [
        item for item in items
        if here in Path(str(item.path)).parents and "postgresql" in item.name and not getattr(getattr(item, "function", None), "stats_both_backends", False)
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


@pytest.fixture
def scenario(engine: QueueEngine, clock: ManualClock) -> Scenario:
    clock.set(at("07:00"))
    return Scenario(engine, clock, FactBuilder(engine.database, engine.config, clock))
