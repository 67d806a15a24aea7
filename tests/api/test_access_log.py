"""The hub's access log never records a token passed in a query string; routine successes are
DEBUG, refusals and failures INFO."""
from __future__ import annotations

import logging

import aiohttp
from aiohttp import web

from server.access_log import PathOnlyAccessLogger


async def serve_and_get(paths: list[str]) -> None:
    async def ok(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/api/v1/events", ok)
    runner = web.AppRunner(app, access_log_class=PathOnlyAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            for path in paths:
                async with session.get(f"http://127.0.0.1:{port}{path}") as r:
                    assert r.status == (200 if path.startswith("/api/v1/events") else 404)
    finally:
        await runner.cleanup()


async def test_query_strings_stay_out_of_the_access_log(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp.access")
    await serve_and_get(["/api/v1/events?token=dev_secret-token-value"])
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert lines and '"GET /api/v1/events"' in lines[0]
    assert all("secret-token" not in line and "token=" not in line for line in lines)


async def test_only_refusals_and_failures_are_logged_at_info(caplog) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    await serve_and_get(["/api/v1/events", "/api/v1/nowhere?token=dev_secret-token-value"])
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 1 and '"GET /api/v1/nowhere" 404' in lines[0], lines
    assert "secret-token" not in lines[0]


async def test_citizens_status_tokens_stay_out_of_the_access_log(caplog) -> None:
    """Tried: a citizen's status page and its API, read and rated (the token in the path is the
    ticket's credential), here answered 404 so they log at INFO. Kept: the paths, not the token."""
    caplog.set_level(logging.DEBUG, logger="aiohttp.access")
    token = "1jn1aX9icMLS4wnk"
    await serve_and_get([f"/t/{token}", f"/api/v1/status/{token}", f"/api/v1/status/{token}/rating"])
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 3 and all(token not in line for line in lines), lines
    assert '"GET /t/…" 404' in lines[0] and '"GET /api/v1/status/…/rating" 404' in lines[2]
