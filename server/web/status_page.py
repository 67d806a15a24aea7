"""The citizen's ticket status page: the target of the QR code printed on every ticket.

GET /t/{token} serves a static, mobile-first page; its script reads the token from the address,
asks GET /api/v1/status/{token} and then listens on the event stream with ``?ticket=<token>``
(HallQ.subscribe), re-reading the status only when an event of the ticket's queue arrives:
nothing polls. The token is the only credential, so the page shows no personal data.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.web import html_page

STATUS_DIR = Path(__file__).with_name("status")


async def status_page(request: web.Request) -> web.StreamResponse:
    return html_page(STATUS_DIR / "status.html")


def setup(app: web.Application) -> None:
    """Add /t/{token} and the page's own script and style under /status-assets/."""
    app.router.add_get("/t/{token}", status_page, name="ticket_status_page")
    app.router.add_static("/status-assets/", STATUS_DIR, name="status_assets", append_version=True)
