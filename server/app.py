"""The hub application factory: resources are opened and closed in cleanup contexts."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from aiohttp import web

from server.account_sweep import account_sweep_ctx
from server.accounts import Accounts
from server.api import admin_routes, event_stream, hall_routes, ticket_routes, window_routes
from server.api.keys import ACCOUNTS, BUS, CONFIG, DATABASE, ENGINE, SETTINGS
from server.api.openapi import openapi_route
from server.api.routing import Route, add_routes, error_middleware, nosniff
from server.devices import api as device_routes
from server.devices.keys import DEVICE_REPORTS
from server.devices.reports import DeviceReports
from server.stats import followup_routes, routes as stats_routes
from server.config.loader import load_hall_config
from server.config.models import HallConfig
from server.engine.clock import Clock, SystemClock
from server.engine.engine import QueueEngine
from server.engine.hours import local_now
from server.errors import HallQError
from server.events import EventBus
from server.settings import HubSettings
from server.storage.database_claim import claim_database, keep_claim, release_database
from server.storage.db import open_database, upgrade

log = logging.getLogger(__name__)
VERSION = "0.1.0"
Extension = Callable[[web.Application], None]


def api_routes() -> list[Route]:
    routes = [
        *hall_routes.ROUTES,
        *ticket_routes.ROUTES,
        *window_routes.ROUTES,
        *admin_routes.ROUTES,
        *event_stream.ROUTES,
        *stats_routes.ROUTES,
        *followup_routes.ROUTES,
        *device_routes.ROUTES,
    ]
    return [*routes, openapi_route(routes, "HallQ hub API", VERSION)]


def create_app(
    settings: HubSettings,
    clock: Clock | None = None,
    extensions: list[Extension] | None = None,
    config: HallConfig | None = None,
) -> web.Application:
    """Build the hub. `extensions` add pages, device supervisors and the like (see server.cli)."""
    app = web.Application(middlewares=[error_middleware], client_max_size=1024 * 1024)
    app.on_response_prepare.append(nosniff)
    app[SETTINGS] = settings
    app[CONFIG] = config or load_hall_config(settings.config_dir)
    app[BUS] = EventBus()

    async def storage_ctx(app: web.Application) -> AsyncIterator[None]:
        database = open_database(settings.resolved_database_url())
        claim = None
        try:  # claimed before migrating: a newer hub must not upgrade the schema under a running one
            claim = await claim_database(database.engine)
            await upgrade(database, claim=claim)
        except BaseException:
            await release_database(claim)
            await database.close()
            raise
        app[DATABASE] = database
        app[ACCOUNTS] = Accounts(database)
        app[ENGINE] = QueueEngine(database, app[CONFIG], clock or SystemClock(), app[BUS], settings.secret())
        app[DEVICE_REPORTS] = DeviceReports(app[ENGINE].record_device_state)
        watch = asyncio.create_task(keep_claim(database.engine, claim, _step_down))
        yield
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
        await release_database(claim)
        await database.close()

    app.cleanup_ctx.append(storage_ctx)
    app.cleanup_ctx.append(stats_routes.stats_ctx)
    app.cleanup_ctx.append(day_closer_ctx)
    app.cleanup_ctx.append(account_sweep_ctx)
    add_routes(app, api_routes())
    event_stream.setup(app)
    for extend in extensions or []:
        extend(app)
    return app


def _step_down(taken: HallQError) -> None:
    """Another hub claimed the database while this one's claim had lapsed (its connection lost):
    the hall's actions would be split between two hubs, each one's boards, pads and voice hearing
    only its own; or a newer `hallq` migrated the schema in that gap, and this hub does not know
    it. This one stops (as on SIGTERM: streams closed, devices released)."""
    log.critical("%s: this hub claimed the database before, lost its connection, and stops now "
                 "(%s；本 hub 已停止)", taken.message_en, taken.message_zh)
    signal.raise_signal(signal.SIGTERM)


async def day_closer_ctx(app: web.Application) -> AsyncIterator[None]:
    """Close yesterday's leftovers at start-up, and today's at the configured time."""
    engine = app[ENGINE]
    config = app[CONFIG]
    closed = await engine.close_day(engine.today() - timedelta(days=1))
    if closed:
        log.info("closed %d tickets left open from earlier days", closed)

    async def loop() -> None:
        closed_through = engine.today() - timedelta(days=1)  # the last day whose leftovers are closed
        while True:
            now = local_now(config, engine.clock.now())
            if closed_through < now.date() - timedelta(days=1):
                # The hub's process did not run at the closing time (a host suspended overnight, or
                # a clock that jumped): yesterday's tickets stayed open and its windows signed in
                # until today's closing, and yesterday's report counted none of them.
                closed_through = now.date() - timedelta(days=1)
                count = await engine.close_day(closed_through)
                log.info("closed %d tickets left open from %s and before (the hub was not running at the closing time)",
                         count, closed_through)
                continue
            close_at = datetime.combine(now.date(), config.hours.auto_close_at, now.tzinfo)
            if now >= close_at and closed_through != now.date():
                # Also a hub (re)started after the closing time: today's leftovers used to stay
                # open until the next start, and for good if the hub ran on past midnight.
                count = await engine.close_day(now.date())
                closed_through = now.date()
                log.info("end of day %s: %d open tickets closed", closed_through, count)
                continue
            if now >= close_at:
                close_at += timedelta(days=1)
            # Hall seconds to real ones: on the demo's clock (300x, say) a sleep of 300 hall
            # seconds taken as real ones was 25 hall hours, and the day closed a day late.
            rate = engine.clock.rate
            await asyncio.sleep(min((close_at - now).total_seconds() / rate, 300) if rate > 0 else 300)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
