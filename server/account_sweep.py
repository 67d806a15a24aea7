"""Windows still held by an account that was switched off from the command line.

The API's switch-off signs the person off their windows at once (server/api/admin_routes.py).
`hallq user disable` runs in another process with only the database: the hub stopped honouring
the account's sessions within Accounts.TOKEN_CACHE_SECONDS, but the person stayed logged in at
the window, and their call-pad went on calling, serving and finishing as them. So the hub looks
for such windows as often as it re-reads tokens and signs the person off there; a window with a
case still open stays theirs until the case is finished or transferred (as at any logout), and
is signed off at the first look after that.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from server.accounts import Accounts
from server.api.keys import ACCOUNTS, ENGINE
from server.engine.engine import QueueEngine

log = logging.getLogger(__name__)


async def sign_off_switched_off(accounts: Accounts, engine: QueueEngine, told: set[tuple[str, str]]) -> None:
    """One look. `told` holds the (staff, window) pairs already logged as kept, so a window
    waiting for its case to close is logged once, not at every look."""
    for staff_id in await accounts.switched_off_at_windows():
        before = {w.id for w in await engine.windows() if w.staff_id == staff_id}
        kept = set(await engine.sign_off(staff_id))
        for window_id in sorted(before - kept):
            log.info("account %s is switched off: logged out of %s", staff_id, window_id)
            told.discard((staff_id, window_id))
        for window_id in sorted(kept):
            if (staff_id, window_id) not in told:
                told.add((staff_id, window_id))
                log.warning("account %s is switched off but %s still has their open case: it stays theirs "
                            "until the case is finished or transferred", staff_id, window_id)


async def account_sweep_ctx(app: web.Application) -> AsyncIterator[None]:
    accounts, engine = app[ACCOUNTS], app[ENGINE]
    told: set[tuple[str, str]] = set()

    async def loop() -> None:
        while True:
            await asyncio.sleep(Accounts.TOKEN_CACHE_SECONDS)
            try:
                await sign_off_switched_off(accounts, engine, told)
            except Exception:  # noqa: BLE001 - a failed look (database away) is tried again next time
                log.exception("looking for windows of switched-off accounts failed")

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
