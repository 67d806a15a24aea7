"""The staff web call-pad: GET /pad, for staff at a window without a hardware call-pad.

The page is static (HTML, CSS, JS under server/web/callpad/) and does everything through the
public API and the event stream, exactly like any other client, so a browser can never do what a
hardware pad could not. The one thing the API does not yet tell a client is the hall's recall
limit, which the pad needs to disable 重呼 before the engine refuses it; /pad/settings.json serves
it from the hall configuration.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.api.keys import CONFIG
from server.web import html_page

PAGE_DIR = Path(__file__).with_name("callpad")


async def pad_page(_: web.Request) -> web.FileResponse:
    return html_page(PAGE_DIR / "index.html")


async def pad_settings(request: web.Request) -> web.Response:
    """Hall rules the pad enforces in its buttons (public: nothing personal, nothing secret)."""
    rules = request.app[CONFIG].rules
    response = web.json_response({"max_recalls": rules.max_recalls})
    response.headers["Cache-Control"] = "no-cache"
    return response


def setup(app: web.Application) -> None:
    """Add GET /pad, its settings and its assets under /pad/assets/."""
    app.router.add_get("/pad", pad_page, name="callpad")
    app.router.add_get("/pad/settings.json", pad_settings, name="callpad-settings")
    app.router.add_static("/pad/assets/", PAGE_DIR, name="callpad-assets", append_version=True)
