"""The demo's simulated staff, against the real engine: they leave a window a person has taken."""
from __future__ import annotations

import asyncio
import random

from server.config.paths import default_config_dir
from server.engine.clock import ScaledClock
from server.engine.views import IssueRequest, TicketStatus
from server.simulation.live import LiveHall
from server.simulation.profile import load_profile


async def _until(check, limit_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + limit_s  # a liveness bound, not a speed claim
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_a_simulated_agent_leaves_a_window_a_person_has_taken(hub, clock) -> None:
    """Tried: an agent working W02; a manager logs it out and staff01 logs in there; a citizen
    takes a ticket W02 serves; then staff01 logs out. Kept: while staff01 holds W02 the agent
    calls nothing there (the ticket waits, nothing is done in staff01's name); once W02 is free
    the agent logs in again and calls it."""
    engine = hub.engine
    profile = load_profile(default_config_dir() / "traffic_profile.toml")
    sleeper = ScaledClock(clock.now(), speed=36000.0)  # the agent's pauses, in real time: milliseconds
    hall = LiveHall(engine, profile, sleeper, random.Random(3))
    agent = asyncio.create_task(hall.staff("W02", "demo002"))
    try:
        await _until(lambda: _held_by(engine, "W02", "demo002"))
        await engine.logout("W02")  # a manager frees the window
        await engine.login("W02", "staff01")
        number = (await engine.issue(IssueRequest(queue="A1"))).ticket.number
        for _ in range(50):  # the agent's loop comes round many times meanwhile
            await asyncio.sleep(0.01)
        assert (await engine.window("W02")).staff_id == "staff01"
        assert (await engine.ticket_by_number(number)).status == TicketStatus.WAITING
        await engine.logout("W02", staff="staff01")
        await _until(lambda: _called(engine, number))
        calls = [e for e in await engine.events_since(0) if e.kind == "ticket.called" and e.number == number]
        assert [(e.window_id, e.staff_id) for e in calls] == [("W02", "demo002")]
    finally:
        agent.cancel()
        await asyncio.gather(agent, return_exceptions=True)


async def _held_by(engine, window_id: str, staff_id: str) -> bool:  # type: ignore[no-untyped-def]
    return (await engine.window(window_id)).staff_id == staff_id


async def _called(engine, number: str) -> bool:  # type: ignore[no-untyped-def]
    return (await engine.ticket_by_number(number)).status != TicketStatus.WAITING
