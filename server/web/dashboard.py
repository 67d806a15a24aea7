"""The live dashboard for hall managers: GET /dashboard.

A static page (server/web/dashboard/) that signs in with HallQ.login, reads one aggregated document
(GET /api/v1/stats/today) and reads it again, debounced, whenever the event stream reports
something, so it follows the hall live without polling and every figure comes from one place on the
hub. The sign-in script is shared with the report page, which is why it is served here too.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.web import html_page

DASHBOARD_DIR = Path(__file__).with_name("dashboard")
SIGN_IN_SCRIPT = DASHBOARD_DIR / "signin.js"


async def dashboard_page(_: web.Request) -> web.FileResponse:
    return html_page(DASHBOARD_DIR / "index.html")


def setup(app: web.Application) -> None:
    """Add GET /dashboard and its assets under /dashboard/assets/."""
    app.router.add_get("/dashboard", dashboard_page, name="dashboard")
    app.router.add_static("/dashboard/assets/", DASHBOARD_DIR, name="dashboard-assets", append_version=True)
