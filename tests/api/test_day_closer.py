"""The hub closes the day at auto_close_at on its own clock, whatever that clock's speed."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from server.engine.clock import ScaledClock
from tests.conftest import at, start_hub


async def test_the_day_closes_on_time_on_a_fast_hall_clock(aiohttp_client, tmp_path: Path, caplog) -> None:
    """Tried: a hub on the demo's kind of clock, 600x real time, started at 22:55 (auto_close_at
    is 23:00 in the sample hall; the hub's start takes a few real seconds, so it may be up before
    or after 23:00). Kept: the day is closed within a few real seconds. The closer slept 300 hall
    seconds as real ones (50 hall hours at this speed), and a hub up after the closing time
    left today's tickets open until the next day's start."""
    caplog.set_level(logging.INFO, logger="server.app")
    clock = ScaledClock(at("22:55"), 600.0)
    await start_hub(aiohttp_client, tmp_path / "data", clock)  # type: ignore[arg-type]
    for _ in range(200):  # 23:00 is half a real second away; wait up to 20 s for the line
        if any("end of day 2026-11-26" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.1)
    closed = [r.getMessage() for r in caplog.records if "end of day" in r.getMessage()]
    assert closed and closed[0].startswith("end of day 2026-11-26"), closed


async def test_a_day_whose_closing_the_hub_slept_through_is_closed_when_it_wakes(aiohttp_client, tmp_path: Path, caplog) -> None:
    """Tried: Thursday 09:00, staff01 at W19 and a ticket waiting; the host is suspended overnight
    (the hall clock jumps to Friday 09:00 without the hub's process running at 23:00). Seen: the
    closer only ever closed today: Thursday's ticket stayed waiting and W19 signed in (with
    Thursday's login) until Friday 23:00, and Thursday's report counted none of its tickets. Kept:
    on waking the closer closes Thursday: the ticket auto-closed, W19 signed out."""
    from datetime import timedelta

    from server.engine.clock import ManualClock
    from tests.conftest import THURSDAY

    class Suspended(ManualClock):
        rate = 100_000.0  # the closer wakes every fraction of a second, as a running hub would

    caplog.set_level(logging.INFO, logger="server.app")
    clock = Suspended(at("09:00"))
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)  # type: ignore[arg-type]
    assert (await hub.client.post("/api/v1/windows/W19/login", json={}, headers=hub.auth("staff01"))).status == 200
    ticket = (await (await hub.client.post("/api/v1/tickets", json={"queue": "C1"}, headers=hub.auth("kiosk"))).json())["ticket"]
    clock.set(at("09:00", THURSDAY + timedelta(days=1)))
    for _ in range(100):
        if (await hub.engine.ticket(ticket["id"])).status == "closed":
            break
        await asyncio.sleep(0.1)
    closed = await hub.engine.ticket(ticket["id"])
    assert (closed.status, closed.outcome) == ("closed", "closed_eod")
    assert (await hub.engine.window("W19")).staff_id is None
    assert any("closed 1 tickets left open from 2026-11-26 and before" in r.getMessage() for r in caplog.records)
