"""The web board: GET /board?zone=Z for smart TVs and any browser in the hall.

Same content as the pygame board (display/board): the call being announced, the recent calls, each
queue's waiting count and estimated wait, a scrolling notice and the clock. The page is static
(server/web/board/); it reads /api/v1/state once and then follows the event stream with
HallQ.subscribe from that state's last_seq, so a reconnect replays what it missed and nothing
polls. The stream needs a display token: the page takes ``?token=`` once, keeps it in
sessionStorage and removes it from the address bar (docs/boards.md). It never shows staff ids.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.web import html_page

BOARD_DIR = Path(__file__).with_name("board")


async def board_page(_: web.Request) -> web.FileResponse:
    return html_page(BOARD_DIR / "index.html")


def setup(app: web.Application) -> None:
    """Add GET /board and its assets under /board-assets/."""
    app.router.add_get("/board", board_page, name="board")
    app.router.add_static("/board-assets/", BOARD_DIR, name="board_assets", append_version=True)
