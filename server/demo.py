"""`hallq demo`: the hub on a fast hall clock, demo accounts, and a simulated day in the hall."""
from __future__ import annotations

import asyncio
import random
import sys
import tomllib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from server.accounts import Accounts, Role
from server.api.keys import ACCOUNTS, ENGINE
from server.app import create_app
from server.config.loader import load_hall_config
from server.engine.clock import ScaledClock, SystemClock
from server.engine.hours import issuing_state, local_now, next_opening
from server.errors import HallQError
from server.voice import service as voice
from server.config.models import HallConfig
from server.devices.extension import device_extension
from server.devices.config import DeviceConfig, device_config_from_mapping
from server.devices.demo import placed_under, start_simulators
from server.extensions import Extension, page_extensions
from server.settings import HubSettings
from server.simulation.live import LiveHall
from server.simulation.profile import load_profile
from server.storage.db import open_database
from server.storage.schema import ticket_events

class DemoRefused(Exception):
    """The demo will not run where it would harm a real hall."""


DEMO_ACCOUNTS = [
    ("admin", "demo-key-7310", Role.ADMIN, "系统管理员"),
    ("manager", "demo-desk-8264", Role.MANAGER, "大厅管理员"),
    ("tech", "demo-wire-5917", Role.TECHNICIAN, "运维人员"),
    ("staff01", "7315", Role.STAFF, "张三"),
    ("staff02", "7315", Role.STAFF, "李四"),
]


async def seed_demo_accounts(accounts: Accounts, now: float) -> None:
    """The demo's accounts, with passwords printed on the console: only into a database that holds
    no one else's. `hallq demo --db` (or HALLQ_DB set for the real hub) pointed at a hall's own
    database would have added the demo's admin to it, and run simulated citizens there."""
    demo_names = {username for username, *_ in DEMO_ACCOUNTS}
    others = sorted(str(u["username"]) for u in await accounts.list_users() if u["username"] not in demo_names)
    if others:
        raise DemoRefused(
            f"hallq demo: this database holds a hall's own accounts ({', '.join(others[:3])}{'…' if len(others) > 3 else ''}); "
            "the demo runs only on a database of its own (leave out --db and HALLQ_DB)\n"
            "hallq demo：该数据库已有正式账号，演示只能使用自己的数据库（不要指定 --db 或 HALLQ_DB）"
        )
    for username, password, role, name in DEMO_ACCOUNTS:
        try:
            await accounts.add_user(username, password, role, name, now=now)
        except HallQError as refused:  # an earlier run's account is kept; any other refusal (a
            if refused.code != "duplicate":  # demo password the policy refuses) must not pass unseen
                raise


async def demo_device_tokens(accounts: Accounts, now: float) -> tuple[str, str]:
    """(display token, kiosk token) of the demo's own board and kiosk, new on every run (a token
    is shown once and only its digest kept, so an earlier run's cannot be printed again)."""
    tokens = []
    for name, role in (("demo-board", Role.DISPLAY), ("demo-kiosk", Role.KIOSK)):
        try:
            tokens.append(await accounts.add_device(name, role, now=now))
        except HallQError:  # registered by an earlier run
            tokens.append((await accounts.new_device_token(name))[0])
    return tokens[0], tokens[1]


def print_demo_pages(settings: HubSettings, config: HallConfig, board_token: str, kiosk_token: str) -> None:
    """Where a newcomer looks at the hall: the pages with what they need to open them."""
    base = _demo_base_url(settings)
    zones = [zone.code for zone in config.zones]
    print(f"demo board: {base}/board?zone={zones[0]}&token={board_token}  (zones {', '.join(zones)})", flush=True)
    spare = " and ".join(sorted(SPARE_WINDOWS))
    secret = {username: password for username, password, *_ in DEMO_ACCOUNTS}
    print(f"demo call-pad: {base}/pad (staff01/{secret['staff01']}, windows {spare} are left free for you); dashboard and reports: {base}/dashboard, {base}/reports "
          f"(manager/{secret['manager']})", flush=True)
    trust = " --ca HALL-CA.crt" if settings.scheme == "https" else ""  # the CA that signed --tls-cert
    print(f"demo kiosk: {hallq_command()} kiosk --hub {base}{trust} --token {kiosk_token} --windowed --demo", flush=True)


def hallq_command() -> str:
    """The `hallq` beside this Python, to print in commands a newcomer copies: the README runs
    .venv/bin/hallq, and a bare `hallq` printed by the demo was not found in a shell without the
    venv activated."""
    beside = Path(sys.executable).with_name("hallq")
    return str(beside) if beside.exists() else "hallq"


def load_demo_devices(settings: HubSettings, config: HallConfig) -> DeviceConfig:
    """The demo's device map: call-pads and LED screens, every one a simulator on a pty, linked
    from the demo's data folder (`devices/`)."""
    path = settings.config_dir / "devices-demo.toml"
    if not path.exists():
        return DeviceConfig()
    devices = device_config_from_mapping(tomllib.loads(path.read_text(encoding="utf-8")), config, file=path.name)
    return placed_under(devices, settings.data_dir.resolve() / "devices")


def simulators_extension(devices: DeviceConfig) -> Extension:
    """Start the simulators before the hub opens their buses, and unplug them after it stops."""

    def setup(app: web.Application) -> None:
        async def simulators_ctx(app: web.Application) -> AsyncIterator[None]:
            simulators = await start_simulators(devices)
            yield
            await simulators.close()

        app.cleanup_ctx.append(simulators_ctx)

    return setup


# Counter windows the simulated staff leave free, for a newcomer trying the call-pad.
SPARE_WINDOWS = frozenset({"W01", "W19"})


def _demo_base_url(settings: HubSettings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"{settings.scheme}://{host}:{settings.port}"


async def last_event_at(settings: HubSettings) -> float:
    """When the demo's data last saw something happen (0 for none): an earlier run's hall clock
    ran ahead of real time, and a new run starting behind it went back in time over its own
    records (the same day's 08:30 after an earlier run reached 16:59)."""
    database = open_database(settings.resolved_database_url())
    try:
        latest: float | None = await database.read(lambda conn: conn.execute(select(func.max(ticket_events.c.at))).scalar())
        return latest or 0.0
    except DBAPIError:  # a new database: no tables yet
        return 0.0
    finally:
        await database.close()


def demo_start(config: HallConfig, after: float) -> float:
    """The hall clock's start: `after`, or the next opening if the hall is closed then."""
    if issuing_state(config, after).open:
        return after
    opening = next_opening(config, local_now(config, after))
    return opening.timestamp() if opening else after


def demo_settings(settings: HubSettings) -> HubSettings:
    """The demo keeps its own data folder (data/demo) unless given a database: its simulated
    days must not mix with a hall's own under ./data."""
    return settings if settings.database_url else replace(settings, data_dir=settings.data_dir / "demo")


def build_demo_app(settings: HubSettings, speed: float, seed: int) -> web.Application:
    """The hub with simulated devices, citizens and staff on a fast hall clock. The caller binds
    the port first and serves it (server/cli.py); DemoRefused comes out of serving when the
    database holds a real hall's accounts."""
    config = load_hall_config(settings.config_dir)
    # The tickets' QR codes point at this hub, on whatever port the demo was given.
    config = config.model_copy(update={"hall": config.hall.model_copy(update={"status_base_url": f"{_demo_base_url(settings)}/t/"})})
    start = demo_start(config, max(SystemClock().now(), asyncio.run(last_event_at(settings))))
    clock = ScaledClock(start, speed)
    devices = load_demo_devices(settings, config)
    extensions = [*page_extensions(), simulators_extension(devices), device_extension(devices), voice.setup]
    app = create_app(settings, clock=clock, extensions=extensions, config=config)

    async def demo_ctx(app: web.Application) -> AsyncIterator[None]:
        await seed_demo_accounts(app[ACCOUNTS], clock.now())
        profile = load_profile(settings.config_dir / "traffic_profile.toml")
        hall = LiveHall(app[ENGINE], profile, clock, random.Random(seed))
        tasks = hall.tasks(spare=SPARE_WINDOWS)
        print(f"demo: hall clock starts {local_now(config, start):%Y-%m-%d %H:%M} and runs {speed:g}x", flush=True)
        print("demo accounts: " + ", ".join(f"{u}/{p} ({r.value})" for u, p, r, _ in DEMO_ACCOUNTS), flush=True)
        print_demo_pages(settings, config, *await demo_device_tokens(app[ACCOUNTS], clock.now()))
        if not settings.database_url:  # `hallq report` reads ./data by default, not the demo's folder
            day = local_now(config, start).date()
            print(f"demo data: {settings.data_dir / 'hallq.db'} (reports: {hallq_command()} report --data {settings.data_dir} "
                  f"--from {day} --to {day} --by zone --format html --out report.html --config {settings.config_dir.resolve()})", flush=True)
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    app.cleanup_ctx.append(demo_ctx)
    return app
