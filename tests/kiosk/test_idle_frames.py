"""A kiosk draws a frame only when it would differ from the one on screen, and then draws it whole."""
from __future__ import annotations

import pygame
import pytest

from kiosk import flow as f
from kiosk.app import FRAME_S, REFRESH_S
from server.engine.views import IssueRequest
from tests.kiosk.test_frame_memo import calls, fresh_frame, pixels

POKED = (1, 2, 3)  # a color no screen uses, put in a corner: it stays until the kiosk draws


def poke(surface: pygame.Surface) -> tuple[int, int]:
    corner = (surface.get_width() - 1, surface.get_height() - 1)
    surface.set_at(corner, POKED)
    return corner


async def idle(kiosk, frames: int = 60) -> None:  # type: ignore[no-untyped-def]
    """``frames`` frames of nobody at the kiosk, the clock moving a frame at a time."""
    for _ in range(frames):
        kiosk.clock.now += FRAME_S
        await kiosk.app.step()


async def test_an_idle_kiosk_draws_its_screen_once(hub, make_kiosk, monkeypatch):
    """Tried: a kiosk on its start screen with nobody at it for 60 frames, then a re-read of the
    catalogue and counts from the hub that finds nothing changed, then 60 frames more, with a
    pixel in a corner changed behind its back after the first frame. It was: every frame was
    drawn and flipped (30 a second, 10-30 ms each, all day). Kept: after the first frame nothing
    is drawn on the surface (the poked pixel stays) and nothing is flipped."""
    kiosk = make_kiosk()
    app = kiosk.app
    flips = calls(monkeypatch, pygame.display, "flip")
    await kiosk.start()
    assert isinstance(app.flow.screen, f.Start)
    assert len(flips) == 1
    corner = poke(app.surface)
    await idle(kiosk)
    kiosk.clock.now += REFRESH_S  # the counts are read again: the same numbers
    await app.step()
    await app.settle()
    await idle(kiosk)
    assert app.surface.get_at(corner)[:3] == POKED
    assert len(flips) == 1 and app.frames_drawn == 1


async def test_what_changes_the_screen_is_drawn_whole(hub, make_kiosk, monkeypatch):
    """Tried: an idle start screen, then each of: another ticket in a zone's queue read from the
    hub (等候 0 人 -> 1 人), a touch on a zone (its items), 大字模式, the idle timeout back to the
    start screen, the display set up again at the same size (set_mode blanks it), and the window
    exposed (another window had covered it); idle frames after each. Kept: each change draws
    and flips one frame, pixel for pixel what a fresh painter draws of the same state, and none
    is drawn after it; an exposed window is flipped again without drawing."""
    kiosk = make_kiosk()
    app = kiosk.app
    await kiosk.start()
    flips = calls(monkeypatch, pygame.display, "flip")

    async def counts() -> None:
        await hub.engine.issue(IssueRequest(queue="C1"))
        kiosk.clock.now += REFRESH_S
        await app.step()
        await app.settle()
        await app.step()
        assert "C区 · 等候 1 人" in kiosk.texts()

    async def zone() -> None:
        await kiosk.tap("不动产登记区")
        assert isinstance(app.flow.screen, f.Services)

    async def large_text() -> None:
        await kiosk.tap("大字模式")
        assert app.flow.large_text

    async def timeout() -> None:
        kiosk.clock.now += app.flow.idle_timeout_s + 1
        await app.step()
        assert isinstance(app.flow.screen, f.Start) and not app.flow.large_text

    async def set_mode_again() -> None:
        app.surface = pygame.display.set_mode(app.surface.get_size())
        await app.step()

    changes = (counts, zone, large_text, timeout, set_mode_again)
    for change in changes:
        await idle(kiosk, 10)
        flipped = len(flips)
        corner = poke(app.surface)
        await change()
        assert len(flips) == flipped + 1, change.__name__
        assert app.surface.get_at(corner)[:3] != POKED, change.__name__
        assert pixels(app.surface) == fresh_frame(app), change.__name__
        corner = poke(app.surface)
        await idle(kiosk, 10)
        assert len(flips) == flipped + 1 and app.surface.get_at(corner)[:3] == POKED, change.__name__
    assert app.frames_drawn == 1 + len(changes)  # the start screen, then one frame a change

    pygame.event.post(pygame.event.Event(pygame.WINDOWEXPOSED))
    await app.step()
    assert app.frames_drawn == 1 + len(changes) and len(flips) == len(changes) + 1


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large_text"])
async def test_a_recorded_frame_paints_what_was_drawn_at_once(hub, make_kiosk, large):
    """Tried: every kiosk screen, recorded by the app and drawn by it, beside the same screen
    drawn by a painter of its own (screens.draw: record, then paint at once). Kept: equal pixels,
    and the app's frame is drawn again only when another screen comes."""
    from tests.kiosk.test_screens_render import screens

    kiosk = make_kiosk(large=large)
    app = kiosk.app
    await kiosk.start()
    for name, screen in screens(app.flow.catalogue).items():
        app.flow.screen = screen
        drawn = app.frames_drawn
        assert app.render() and not app.render(), name
        assert app.frames_drawn == drawn + 1, name
        assert pixels(app.surface) == fresh_frame(app), name
