"""Kiosk touch-to-printed-bytes time through a real hub on loopback, with a dummy printer.

Run: .venv/bin/python bench/kiosk_issue.py [N]
Measures, per ticket, the time from the confirm touch (a pygame MOUSEBUTTONUP through the
kiosk's own event handling) to the ESC/POS bytes accepted by the dummy printer and the hub told
printed=true; prints p50/p90/p99 and bytes per ticket.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame  # noqa: E402
from aiohttp import web  # noqa: E402

from kiosk import flow as f  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from kiosk.printing import TicketPrinter  # noqa: E402
from kiosk.session import KioskSession  # noqa: E402
from printer_drivers import DummyBackend, TicketLayout, get_profile, open_printer  # noqa: E402
from server.accounts import Role  # noqa: E402
from server.api.keys import ACCOUNTS  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config.paths import default_config_dir  # noqa: E402
from server.engine.clock import ManualClock  # noqa: E402
from server.hub_client import HubClient  # noqa: E402
from server.settings import HubSettings  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@asynccontextmanager
async def loopback_kiosk(size: tuple[int, int] = (1280, 800)) -> AsyncIterator[tuple[KioskApp, DummyBackend, ManualClock]]:
    """A kiosk on the dummy SDL driver with an in-memory XP-80C printer, its catalogue loaded from
    the sample hall's hub on loopback (SQLite in a temporary folder), at 09:00 on a Thursday."""
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(HubSettings(config_dir=default_config_dir(), data_dir=Path(tmp)), clock=clock)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        token = await app[ACCOUNTS].add_device("bench-kiosk", Role.KIOSK, now=clock.now())
        pygame.display.init()
        surface = pygame.display.set_mode(size)
        backend = open_printer("dummy:")
        assert isinstance(backend, DummyBackend)
        profile = get_profile("XP-80C")
        printer = TicketPrinter(backend, profile, TicketLayout(header="欢迎光临", footer="请妥善保管此票"))
        hub = HubClient(f"http://127.0.0.1:{port}", token)
        kiosk = KioskApp(KioskSession(hub, printer, f"http://127.0.0.1:{port}/t/"), surface, f.Flow())
        kiosk.refresh()
        await kiosk.settle()
        await kiosk.step()
        try:
            yield kiosk, backend, clock
        finally:
            await hub.close()
            await runner.cleanup()


async def run(n: int) -> None:
    async with loopback_kiosk() as (kiosk, backend, clock):
        times: list[float] = []
        sizes: list[int] = []
        for i in range(n):
            kiosk.flow.tap(("zone", "C"), 0)
            kiosk.render()
            service = next(b for b in kiosk.painter.buttons if b.action[0] == "service")
            kiosk.flow.tap(service.action, 0)
            kiosk.render()
            confirm = next(b for b in kiosk.painter.buttons if b.action[0] == "confirm")
            before = len(backend.printed)
            pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=confirm.rect.center, button=1))
            t0 = time.perf_counter()
            await kiosk.step()
            await kiosk.settle()
            times.append(time.perf_counter() - t0)
            assert isinstance(kiosk.flow.screen, f.TicketOut), kiosk.flow.screen
            sizes.append(len(backend.printed) - before)
            kiosk.flow.tap(("home", ""), 0)
            clock.advance(5)
    ms = [t * 1000 for t in times]
    print(f"kiosk issue, {n} tickets, hub on loopback (SQLite), dummy printer XP-80C (native QR)")
    print(f"touch-to-printed  p50 {pct(ms, .5):.1f} ms  p90 {pct(ms, .9):.1f} ms  p99 {pct(ms, .99):.1f} ms  max {max(ms):.1f} ms")
    print(f"bytes per ticket  mean {statistics.mean(sizes):.0f}  min {min(sizes)}  max {max(sizes)}")


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
