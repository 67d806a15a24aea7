"""Web pages the hub serves (staff call-pad, boards, dashboard, ticket status).

Plain HTML, CSS and a little JavaScript from the hub itself: the hall's browsers need nothing from
the internet at run time. Each page module offers `setup(app)`; `server.extensions` picks them.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).with_name("static")


def setup_static(app: web.Application) -> None:
    """Shared assets under /static/ (hallq.js, hallq.css)."""
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=True)


def html_page(path: Path) -> web.FileResponse:
    """A page of the hub's own, never inside another site's frame (a page elsewhere framed the
    web pad's sign-in, clickjacking) and never naming its address to another site (a status
    page's address is the citizen's ticket token)."""
    response = web.FileResponse(path)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'")
    response.headers["X-Frame-Options"] = "DENY"  # browsers older than frame-ancestors
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
