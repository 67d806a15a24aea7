"""The report page for hall managers: GET /reports.

Period and grouping in a form; the hub draws the table and its SVG charts
(GET /api/v1/stats/report.html) so the browser needs no chart library and nothing from the
internet. CSV and Excel come from /api/v1/stats/report.csv and .xlsx, fetched with the session
token. The page also shows the monthly assessment with each person's score lines and the
pending rating appeals, decided through the existing appeals API.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.web import html_page
from server.web.dashboard import SIGN_IN_SCRIPT

REPORTS_DIR = Path(__file__).with_name("reports")


async def reports_page(_: web.Request) -> web.FileResponse:
    return html_page(REPORTS_DIR / "index.html")


async def sign_in_script(_: web.Request) -> web.FileResponse:
    """The manager sign-in shared with the dashboard, served here so either page stands alone."""
    response = web.FileResponse(SIGN_IN_SCRIPT)
    response.headers["Cache-Control"] = "no-cache"
    return response


def setup(app: web.Application) -> None:
    """Add GET /reports, its sign-in script and its assets under /reports/assets/."""
    app.router.add_get("/reports", reports_page, name="reports")
    app.router.add_get("/reports/signin.js", sign_in_script, name="reports-signin")
    app.router.add_static("/reports/assets/", REPORTS_DIR, name="reports-assets", append_version=True)
