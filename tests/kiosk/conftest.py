"""A real kiosk on the dummy SDL driver, against the real hub, with an in-memory printer."""
from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from dataclasses import dataclass  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402

from kiosk.app import KioskApp  # noqa: E402
from kiosk.flow import Flow  # noqa: E402
from kiosk.printing import TicketPrinter  # noqa: E402
from kiosk.session import KioskSession  # noqa: E402
from printer_drivers import DummyBackend, TicketLayout, get_profile, open_printer  # noqa: E402
from server.hub_client import HubClient, RetryPolicy  # noqa: E402

FAST = RetryPolicy(attempts=3, first_delay_s=0.01, max_delay_s=0.05, timeout_s=5)
SIZE = (1280, 800)


@dataclass
class TestClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Kiosk:
    app: KioskApp
    printer: DummyBackend
    clock: TestClock

    async def start(self) -> None:
        self.app.refresh()
        await self.app.settle()
        await self.app.step()

    def button(self, label: str):
        found = [b for b in self.app.painter.buttons if b.label == label]
        assert found, f"no button {label!r} on {type(self.app.flow.screen).__name__}: {[b.label for b in self.app.painter.buttons]}"
        return found[0]

    async def tap(self, label: str, finger: bool = False) -> None:
        """A real touch: pygame events through the app's own event handling."""
        x, y = self.button(label).rect.center
        if finger:
            w, h = SIZE
            for kind in (pygame.FINGERDOWN, pygame.FINGERUP):
                pygame.event.post(pygame.event.Event(kind, x=x / w, y=y / h, dx=0.0, dy=0.0, touch_id=1, finger_id=0, pressure=1.0))
        else:
            pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1))
            pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(x, y), button=1))
        await self.app.step()
        await self.app.settle()
        await self.app.step()

    def texts(self) -> str:
        return " ".join(t.text for t in self.app.painter.texts)


@pytest.fixture
async def make_kiosk(hub):
    made: list[Kiosk] = []
    pygame.display.init()
    surface = pygame.display.set_mode(SIZE)

    def factory(printer_spec: str = "dummy:", base_url: str | None = None, zone: str | None = None, large: bool = False) -> Kiosk:
        backend = open_printer(printer_spec)
        assert isinstance(backend, DummyBackend)
        profile = get_profile("XP-80C")
        printer = TicketPrinter(backend, profile, TicketLayout(header="欢迎光临", footer="请妥善保管此票"))
        client = HubClient(base_url or hub.base_url, hub.tokens["kiosk"], FAST)
        session = KioskSession(client, printer, "https://hall.example.cn/t/")
        clock = TestClock()
        kiosk = Kiosk(KioskApp(session, surface, Flow(large_text=large), zone, clock=clock), backend, clock)
        made.append(kiosk)
        return kiosk

    yield factory
    pygame.event.clear()
    for kiosk in made:
        await kiosk.app.settle()
        await kiosk.app.session.hub.close()
