"""Frames after the first reuse what it measured, and never show a stale screen."""
from __future__ import annotations

from dataclasses import replace

import pygame
import pytest
import qrcode

from kiosk import flow as f
from kiosk import screens as kiosk_screens
from kiosk import widgets
from kiosk.app import KioskApp
from kiosk.session import IssueResult, Outcome
from tests.kiosk.test_screens_render import JOB, TICKET, screens

URL = "https://hall.example.cn/t/AbCdEfGhIjKlMnOp"
RESULT = IssueResult(Outcome.PRINT_FAILED, JOB, TICKET, status_url=URL, zone_name="不动产登记区", window_hint="19-26号")


def pixels(surface: pygame.Surface) -> bytes:
    return pygame.image.tobytes(surface, "RGB")


def fresh_frame(app: KioskApp, *spies: list[int]) -> bytes:
    """The app's screen drawn by a painter of its own onto a surface of its own: nothing kept
    from an earlier frame. The calls it makes are taken off the ``spies``: they count the app's."""
    counts = [len(spy) for spy in spies]
    surface = pygame.Surface(app.surface.get_size())
    kiosk_screens.draw(widgets.Painter(surface, app.font, app.flow.large_text), app.flow)
    for spy, count in zip(spies, counts):
        del spy[count:]
    return pixels(surface)


def calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """A list that grows by one at each call of ``owner.name`` (which still does its work)."""
    made: list[int] = []
    original = getattr(owner, name)

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return made


def change_ticket(app: KioskApp) -> None:
    app.flow.screen = f.PrintFailed(replace(RESULT, ticket=replace(TICKET, number="C1008", people_ahead=7)))


def change_size(app: KioskApp) -> None:
    app.surface = pygame.display.set_mode((768, 1024))


def change_text_mode(app: KioskApp) -> None:
    app.flow.large_text = not app.flow.large_text


CHANGES = {"ticket": change_ticket, "size": change_size, "text_mode": change_text_mode}


@pytest.mark.parametrize("change", CHANGES)
async def test_the_unprinted_screen_is_laid_out_once_until_what_it_shows_changes(hub, make_kiosk, monkeypatch, change):
    """Tried: the 号票未能打印 screen at 1024x768 in 大字模式, drawn frame after frame, then with
    another ticket, another screen size or the other text size, then back. It was: every frame
    tried its candidate layouts again and fitted the QR code again (about four times the time of
    the 请取走您的票 screen). Kept: the second frame tries no layout and makes no QR code, and is
    the first one pixel for pixel; a change lays the screen out anew, drawn as a fresh painter
    draws it (never the old layout); going back needs no new layout."""
    kiosk = make_kiosk(large=True)
    app = kiosk.app
    app.surface = pygame.display.set_mode((1024, 768))
    await kiosk.start()
    tries = calls(monkeypatch, kiosk_screens, "_unprinted_try")
    codes = calls(monkeypatch, qrcode.QRCode, "make")
    original = app.flow.screen = f.PrintFailed(RESULT)
    app.render()
    first, first_tries = pixels(app.surface), len(tries)
    assert first_tries >= 1 and len(codes) == 1
    app.render()
    assert (len(tries), len(codes)) == (first_tries, 1)
    assert pixels(app.surface) == first == fresh_frame(app, tries, codes)

    CHANGES[change](app)
    app.render()
    assert len(tries) > first_tries
    changed = pixels(app.surface)
    assert changed != first and changed == fresh_frame(app, tries, codes)
    if change == "ticket":
        assert "C1008" in [t.text for t in app.painter.texts] and TICKET.number not in [t.text for t in app.painter.texts]

    laid_out = len(tries)
    app.flow.screen, app.flow.large_text = original, True
    app.surface = pygame.display.set_mode((1024, 768))
    app.render()
    assert len(tries) == laid_out and len(codes) == 1
    assert pixels(app.surface) == first


@pytest.mark.parametrize("size", [(1280, 800), (1080, 1920)], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large_text"])
async def test_every_screen_drawn_again_breaks_no_line_again_and_looks_the_same(hub, make_kiosk, monkeypatch,
                                                                                size, large):
    """Tried: each kiosk screen drawn three times in a row, at a lying and an upright size, both
    text sizes. Kept: after the first frame no text is broken into lines again (the breaking
    measures every phrase), and the third frame is a fresh painter's, pixel for pixel."""
    kiosk = make_kiosk(large=large)
    app = kiosk.app
    app.surface = pygame.display.set_mode(size)
    await kiosk.start()
    breaks = calls(monkeypatch, widgets, "break_lines")
    wrapping = 0
    for name, screen in screens(app.flow.catalogue).items():
        app.flow.screen = screen
        before = len(breaks)
        app.render()
        wrapping += len(breaks) > before
        after_first = len(breaks)
        app.render()
        app.render()
        assert len(breaks) == after_first, name
        assert pixels(app.surface) == fresh_frame(app, breaks), name
    assert wrapping >= 5  # green, id_needed, closed, offline, notices, print_failed: lines to break


def test_a_memo_keeps_the_newest_results_only() -> None:
    """A kiosk shows hundreds of tickets a day, each its own layout: the oldest result goes, and
    is computed again when asked for; a result asked for again stays among the newest."""
    memo = widgets.Memo(entries=2)
    computed: list[str] = []

    def compute(key: str) -> str:
        computed.append(key)
        return key.upper()

    for key in ("a", "b", "a", "c", "a", "b"):
        assert memo.get(key, lambda: compute(key)) == key.upper()
    assert computed == ["a", "b", "c", "b"]
