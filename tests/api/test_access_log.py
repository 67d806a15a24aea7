"""The hub's access log never records a token passed in a query string."""
from __future__ import annotations

import logging

import aiohttp
from aiohttp import web

from server.access_log import PathOnlyAccessLogger


async def test_query_strings_stay_out_of_the_access_log(caplog) -> None:
    async def ok(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/api/v1/events", ok)
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    runner = web.AppRunner(app, access_log_class=PathOnlyAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/api/v1/events?token=dev_secret-token-value") as r:
                assert r.status == 200
    finally:
        await runner.cleanup()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert lines and '"GET /api/v1/events"' in lines[0]
    assert all("secret-token" not in line and "token=" not in line for line in lines)
