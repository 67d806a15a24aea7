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
        await _the_agent_calls_once_the_person_leaves(engine, number)
    finally:
        agent.cancel()
        await asyncio.gather(agent, return_exceptions=True)


class _PersonLogsInRightAfterTheAgentLooks:
    """The real engine, but the first time the agent finds W02 free a person logs in there before
    the agent's own login: the interleaving a slow machine or a busy hall produces now and then."""

    def __init__(self, engine, window_id: str, person: str) -> None:  # type: ignore[no-untyped-def]
        self._engine, self._window_id, self._person, self.done = engine, window_id, person, False

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._engine, name)

    async def window(self, window_id: str):  # type: ignore[no-untyped-def]
        view = await self._engine.window(window_id)
        if not self.done and window_id == self._window_id and view.staff_id is None:
            self.done = True
            await self._engine.login(window_id, self._person)
        return view


async def test_an_agent_that_finds_a_window_taken_at_login_waits_for_it(hub, clock) -> None:
    """Tried: the agent sees W02 free, and staff01 logs in there before the agent's login does.
    Kept: the agent lives on (it died of the 409 window_taken and W02 was never served by the
    demo again), leaves staff01 alone, and calls W02's citizen once staff01 has logged out."""
    engine = hub.engine
    profile = load_profile(default_config_dir() / "traffic_profile.toml")
    racing = _PersonLogsInRightAfterTheAgentLooks(engine, "W02", "staff01")
    hall = LiveHall(racing, profile, ScaledClock(clock.now(), speed=36000.0), random.Random(3))  # type: ignore[arg-type]
    agent = asyncio.create_task(hall.staff("W02", "demo002"))
    try:
        await _until(lambda: _held_by(engine, "W02", "staff01"))
        number = (await engine.issue(IssueRequest(queue="A1"))).ticket.number
        for _ in range(50):  # the agent's loop comes round many times meanwhile
            await asyncio.sleep(0.01)
        assert not agent.done(), agent.exception() if agent.done() else None
        assert (await engine.ticket_by_number(number)).status == TicketStatus.WAITING
        await _the_agent_calls_once_the_person_leaves(engine, number)
    finally:
        agent.cancel()
        await asyncio.gather(agent, return_exceptions=True)


async def _the_agent_calls_once_the_person_leaves(engine, number: str) -> None:  # type: ignore[no-untyped-def]
    """staff01 logs out of W02; the agent (demo002) calls the waiting ticket there, and only it."""
    await engine.logout("W02", staff="staff01")
    await _until(lambda: _called(engine, number))
    calls = [e for e in await engine.events_since(0) if e.kind == "ticket.called" and e.number == number]
    assert [(e.window_id, e.staff_id) for e in calls] == [("W02", "demo002")]


async def _held_by(engine, window_id: str, staff_id: str) -> bool:  # type: ignore[no-untyped-def]
    return (await engine.window(window_id)).staff_id == staff_id


async def _called(engine, number: str) -> bool:  # type: ignore[no-untyped-def]
    return (await engine.ticket_by_number(number)).status != TicketStatus.WAITING


async def test_an_agent_finishes_a_visit_an_earlier_run_left_open(hub, clock) -> None:
    """Tried: W02 held by demo002 with a visit in service and one more citizen waiting, as a
    demo stopped mid-visit leaves it; then the agent starts (the demo run again). Kept: the
    left-over visit is finished and the waiting citizen called; the agent used to be refused as
    busy and wait for ever, with the window's ticket stuck in service."""
    engine = hub.engine
    await engine.login("W02", "demo002")
    left_over = (await engine.issue(IssueRequest(queue="A1"))).ticket.number
    waiting = (await engine.issue(IssueRequest(queue="A1"))).ticket.number
    await engine.call_next("W02", staff="demo002")
    await engine.start("W02", staff="demo002")
    profile = load_profile(default_config_dir() / "traffic_profile.toml")
    hall = LiveHall(engine, profile, ScaledClock(clock.now(), speed=36000.0), random.Random(3))
    agent = asyncio.create_task(hall.staff("W02", "demo002"))
    try:
        await _until(lambda: _called(engine, waiting))
        assert (await engine.ticket_by_number(left_over)).status == TicketStatus.FINISHED
    finally:
        agent.cancel()
        await asyncio.gather(agent, return_exceptions=True)


async def test_a_demo_run_starts_its_clock_after_the_last_run_left_off(hub, clock) -> None:
    """Tried: an earlier run's records up to 16:59 hall time, then a new run's start worked out
    at 16:59 and at 17:45 (after hours). Kept: it starts no earlier than the records (the same
    day's 08:30 went back in time over them), at the next opening when the hall is closed."""
    from server.api.keys import CONFIG, SETTINGS
    from server.demo import demo_start, last_event_at
    from server.engine.hours import issuing_state
    from tests.conftest import at

    clock.set(at("16:59"))
    await hub.engine.issue(IssueRequest(queue="A1"))
    config, settings = hub.app[CONFIG], hub.app[SETTINGS]
    assert await last_event_at(settings) == at("16:59")
    assert demo_start(config, at("16:59")) == at("16:59")
    after_hours = demo_start(config, at("17:45"))
    assert after_hours > at("17:45") and issuing_state(config, after_hours).open


async def test_simulated_staff_stay_away_after_the_day_is_closed(hub, clock) -> None:
    """Tried: an agent for W02 started at 23:05 (the day closed, its windows logged out), then the
    hall clock moved to 08:20 the next morning. Kept: W02 stays closed through the night (the
    agents logged in again at once: 58 windows open on the dashboard all night) and the agent
    comes in before the 08:30 opening."""
    from datetime import date

    from tests.conftest import at

    engine = hub.engine
    clock.set(at("23:05"))
    profile = load_profile(default_config_dir() / "traffic_profile.toml")
    hall = LiveHall(engine, profile, ScaledClock(clock.now(), speed=36000.0), random.Random(3))
    agent = asyncio.create_task(hall.staff("W02", "demo002"))
    try:
        for _ in range(50):  # the agent's loop comes round many times meanwhile
            await asyncio.sleep(0.01)
        assert (await engine.window("W02")).staff_id is None
        clock.set(at("08:20", date(2026, 11, 27)))
        await _until(lambda: _held_by(engine, "W02", "demo002"))
    finally:
        agent.cancel()
        await asyncio.gather(agent, return_exceptions=True)
