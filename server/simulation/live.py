"""A live simulated hall: citizens take tickets and staff serve them, through the real engine.

Used by `hallq demo` so a newcomer sees boards, pads and statistics move. Agents act on the hall's
clock (usually a ScaledClock), sleeping in real time scaled down by its speed.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta

from server.engine.clock import ScaledClock
from server.engine.engine import QueueEngine
from server.engine.hours import local_now
from server.engine.views import IssueRequest, TicketStatus
from server.errors import HallQError
from server.simulation.profile import TrafficProfile

log = logging.getLogger(__name__)


@dataclass
class LiveHall:
    engine: QueueEngine
    profile: TrafficProfile
    clock: ScaledClock
    rng: random.Random

    async def _sleep(self, hall_seconds: float) -> None:
        await asyncio.sleep(max(self.clock.real_seconds(hall_seconds), 0.01))

    async def citizens(self) -> None:
        config = self.engine.config
        queues_by_zone = {z.code: [q.prefix for q in config.queues if q.zone == z.code] for z in config.zones}
        zones = [z for z in self.profile.zones.values() if queues_by_zone.get(z.code)]
        while True:
            now = local_now(config, self.clock.now())
            open_today = bool(config.sessions_on(now.date()))
            rate = self.profile.arrivals_per_hour(now.isoweekday(), now.hour) if open_today else 0.0
            if rate <= 0:
                await self._sleep(60)
                continue
            await self._sleep(self.rng.expovariate(rate / 3600.0))
            zone = self.rng.choices(zones, weights=[z.share for z in zones])[0]
            priority = "elderly" if self.rng.random() < zone.priority_share else None
            request = IssueRequest(queue=self.rng.choice(queues_by_zone[zone.code]), priority_class=priority, device="demo")
            with contextlib.suppress(HallQError):
                await self.engine.issue(request)

    async def staff(self, window_id: str, staff_id: str) -> None:
        """One simulated member of staff at one window. They act as themselves (`staff=`), so a
        window a real person has taken (after a manager logged the agent out) is left to them:
        the agent waits until the window is free again instead of calling at it in their name."""
        engine = self.engine
        window = engine.config.window(window_id)
        assert window is not None
        zone = self.profile.zones.get(window.zone)
        mu, sigma = zone.service_lognormal if zone else (2.0, 0.6)
        while True:
            holder = (await engine.window(window_id)).staff_id
            if holder is None and not self._at_work():
                await self._sleep(300)  # the day was closed (its windows logged out): back tomorrow
                continue
            if holder is None:
                try:
                    await engine.login(window_id, staff_id)
                except HallQError:  # a person logged in between the look and the login: theirs now
                    await self._sleep(300)
                    continue
            elif holder != staff_id:
                await self._sleep(300)
                continue
            if await self._finish_left_over(window_id, staff_id):
                continue
            try:
                ticket = await engine.call_next(window_id, staff=staff_id)
            except HallQError:
                await self._sleep(60)
                continue
            if ticket is None:
                await self._sleep(45)
                continue
            with contextlib.suppress(HallQError):  # logged out by a manager mid-visit
                await self._serve(window_id, staff_id, ticket.id, mu, sigma)

    def _at_work(self) -> bool:
        """Whether simulated staff come in now: from a quarter of an hour before the day's first
        session to the end of its last. They logged in again right after the day's close (23:00),
        and the dashboard showed 58 windows open all night."""
        config = self.engine.config
        now = local_now(config, self.engine.clock.now())
        sessions = config.sessions_on(now.date())
        return bool(sessions) and (now + timedelta(minutes=15)).time() >= sessions[0].start and now.time() < sessions[-1].end

    async def _finish_left_over(self, window_id: str, staff_id: str) -> bool:
        """A visit left open at this window by an earlier run of the demo (stopped mid-visit):
        finished, so the agent calls again. It used to be refused as busy and wait for ever."""
        current = (await self.engine.window(window_id)).current_ticket
        if current is None:
            return False
        with contextlib.suppress(HallQError):
            if current.status == TicketStatus.CALLED:
                await self.engine.start(window_id, staff=staff_id)
            await self.engine.finish(window_id, "completed", staff=staff_id)
        return True

    async def _serve(self, window_id: str, staff_id: str, ticket_id: int, mu: float, sigma: float) -> None:
        engine = self.engine
        if self.rng.random() < self.profile.no_show_rate:
            for _ in range(engine.config.rules.max_recalls):
                await self._sleep(40)
                await engine.recall(window_id, staff=staff_id)
            await self._sleep(40)
            await engine.no_show(window_id, staff=staff_id)
            return
        if self.rng.random() < self.profile.recall_rate:
            await self._sleep(40)
            await engine.recall(window_id, staff=staff_id)
        await self._sleep(self.rng.uniform(15, 60))
        await engine.start(window_id, staff=staff_id)
        await self._sleep(60 * self.rng.lognormvariate(mu, sigma))
        if self.rng.random() < self.profile.transfer_rate:
            window = engine.config.window(window_id)
            assert window is not None  # the staff agents work at the hall's own windows
            others = [q.prefix for q in engine.config.queues if q.prefix not in window.queues]
            if others:
                await engine.transfer(window_id, "queue", self.rng.choice(others), staff=staff_id)
                return
        ticket = await engine.finish(window_id, "completed", staff=staff_id)
        if ticket.status == TicketStatus.FINISHED and self.rng.random() < self.profile.evaluation_rate:
            scores = self.profile.evaluation_share
            with contextlib.suppress(HallQError):
                await engine.rate(ticket_id, self.rng.choices(list(scores), weights=list(scores.values()))[0], "demo")

    def tasks(self, spare: frozenset[str] = frozenset()) -> list[asyncio.Task[None]]:
        """The citizens and one agent per counter window, except the `spare` windows (left for a
        person trying the call-pad)."""
        windows = [w for w in self.engine.config.windows if w.kind == "window" and w.id not in spare]
        tasks = [asyncio.create_task(self.citizens(), name="demo-citizens")]
        for index, window in enumerate(windows, start=1):
            tasks.append(asyncio.create_task(self._guard(self.staff(window.id, f"demo{index:03d}")), name=f"demo-{window.id}"))
        return tasks

    @staticmethod
    async def _guard(agent: Awaitable[None]) -> None:
        try:
            await agent
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one confused agent must not stop the demo
            log.exception("demo agent stopped")
