"""The board keeps its scene as a picture between frames: proof it shows what a fresh draw shows.

Each frame of a board that lives through a morning's changes (a new call, a recall, counts
moving, the clock's second and minute, the connection lost and refused and back) is compared
pixel for pixel with the same frame drawn by a renderer that has kept nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pygame
import pytest

from display.board.model import BoardModel
from display.board.render import BoardRenderer
from display.fonts import load_cjk_font
from tests.board.test_board_model import Events
from tests.board.test_board_render import busy_model

TITLE = "A区 综合受理区（一窗通办）"
START = datetime(2026, 11, 26, 9, 42, 58)


@dataclass(frozen=True)
class Step:
    name: str
    change: Callable[[BoardModel, Events], object]
    seconds: float
    """Board time since the first frame."""
    online: bool = True
    refused: bool = False
    new_scene: bool = True
    """Whether the step changes what the kept scene shows (all but the clock and the notice)."""


def nothing(model: BoardModel, ev: Events) -> None:
    return None


STEPS = [
    Step("first frame", nothing, 0.0),
    Step("next frame: the notice moves", nothing, 1 / 30, new_scene=False),
    Step("the clock's second", nothing, 1.0, new_scene=False),
    Step("a new call", lambda m, ev: m.apply(ev.call("A138", 6)), 1.1),
    Step("a recall", lambda m, ev: m.apply(ev.call("A133", 1, kind="ticket.recalled", count=2)), 1.5),
    Step("a count changes", lambda m, ev: m.apply(ev.make("ticket.issued", "A2015")), 1.6),
    Step("the clock's minute", nothing, 2.0, new_scene=False),
    Step("offline banner", nothing, 2.5, online=False),
    Step("offline, a second later", nothing, 3.5, online=False, new_scene=False),
    Step("refused", nothing, 3.6, online=False, refused=True),
    Step("back online", nothing, 3.7),
    Step("a call while the clock's second changes", lambda m, ev: m.apply(ev.call("A139", 2)), 4.0),
]


def frame(renderer: BoardRenderer, model: BoardModel, step: Step) -> bytes:
    renderer.draw(model, START + timedelta(seconds=step.seconds), step.online, elapsed_s=step.seconds,
                  refused=step.refused)
    return pygame.image.tostring(renderer.surface, "RGB")


@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920)], ids=["720", "upright"])
def test_a_kept_scene_draws_the_frame_a_fresh_renderer_draws(size: tuple[int, int]) -> None:
    pygame.init()
    font = load_cjk_font(48)
    model, ev = busy_model(), Events(start=200)
    kept = BoardRenderer(pygame.Surface(size), font, TITLE)
    previous = b""
    for step in STEPS:
        step.change(model, ev)
        shown = frame(kept, model, step)
        fresh = BoardRenderer(pygame.Surface(size), font, TITLE)
        assert shown == frame(fresh, model, step), f"{step.name}: the kept scene differs from a fresh draw"
        assert [(t.text, tuple(t.rect), t.color, t.size) for t in kept.texts] == \
               [(t.text, tuple(t.rect), t.color, t.size) for t in fresh.texts], step.name
        assert shown != previous, f"{step.name}: the change does not show"
        previous = shown
    # Only the steps that change the scene redrew it: the others were the kept picture, with the
    # clock and the notice drawn over it.
    assert kept.scenes_drawn == sum(step.new_scene for step in STEPS)
