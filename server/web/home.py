"""The hub's front page: GET / names the pages and who each is for.

The hub's address is what `hallq serve` and `hallq demo` print last, and the first thing anyone
opens; it answered 404 Not Found, the pages' addresses only in the lines above it.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.web import html_page

HOME_PAGE = Path(__file__).with_name("home") / "index.html"


async def home_page(_: web.Request) -> web.FileResponse:
    return html_page(HOME_PAGE)


def setup(app: web.Application) -> None:
    """Add GET /."""
    app.router.add_get("/", home_page, name="home")
