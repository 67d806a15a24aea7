"""`hallq demo`: the hub on a fast hall clock, demo accounts, and a simulated day in the hall."""
from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import replace

from aiohttp import web

from server.accounts import Accounts, Role
from server.api.keys import ACCOUNTS, ENGINE
from server.app import create_app
from server.config.loader import load_hall_config
from server.engine.clock import ScaledClock, SystemClock
from server.engine.hours import issuing_state, local_now, next_opening
from server.errors import HallQError
from server.extensions import default_extensions
from server.settings import HubSettings
from server.simulation.live import LiveHall
from server.simulation.profile import load_profile

DEMO_ACCOUNTS = [
    ("admin", "admin-demo", Role.ADMIN, "系统管理员"),
    ("manager", "manager-demo", Role.MANAGER, "大厅管理员"),
    ("tech", "tech-demo", Role.TECHNICIAN, "运维人员"),
    ("staff01", "1234", Role.STAFF, "张三"),
    ("staff02", "1234", Role.STAFF, "李四"),
]


async def seed_demo_accounts(accounts: Accounts, now: float) -> None:
    for username, password, role, name in DEMO_ACCOUNTS:
        with contextlib.suppress(HallQError):
            await accounts.add_user(username, password, role, name, now=now)


def run_demo(settings: HubSettings, speed: float, seed: int) -> int:
    config = load_hall_config(settings.config_dir)
    real_now = SystemClock().now()
    start = real_now
    if not issuing_state(config, real_now).open:
        opening = next_opening(config, local_now(config, real_now))
        start = opening.timestamp() if opening else real_now
    clock = ScaledClock(start, speed)
    if not settings.database_url:
        settings = replace(settings, data_dir=settings.data_dir / "demo")
    app = create_app(settings, clock=clock, extensions=default_extensions(settings))

    async def demo_ctx(app: web.Application) -> AsyncIterator[None]:
        await seed_demo_accounts(app[ACCOUNTS], clock.now())
        profile = load_profile(settings.config_dir / "traffic_profile.toml")
        hall = LiveHall(app[ENGINE], profile, clock, random.Random(seed))
        tasks = hall.tasks()
        print(f"demo: hall clock starts {local_now(config, start):%Y-%m-%d %H:%M} and runs {speed:g}x", flush=True)
        print("demo accounts: " + ", ".join(f"{u}/{p} ({r.value})" for u, p, r, _ in DEMO_ACCOUNTS), flush=True)
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    app.cleanup_ctx.append(demo_ctx)
    web.run_app(app, host=settings.host, port=settings.port, print=lambda msg: print(msg, flush=True))
    return 0
