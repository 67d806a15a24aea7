"""Drawing primitives for a touch screen: text that fits, buttons that remember their action.

One FreeType face (Noto Sans CJK SC, see display/fonts.py) drawn at any size; every size is
multiplied by the large-text factor so the elderly mode scales the whole screen consistently.

A :class:`Painter` records a frame as a list of drawing operations (:data:`Op`) and draws them
on its surface only when told (:meth:`Painter.paint`): the kiosk compares a frame with the one
on screen and draws only one that differs (see ``KioskApp.render``). It drew each of 30 frames a
second of a screen that changes a few times a minute, a large share of a small PC's core all day.
"""
from __future__ import annotations

from dataclasses import dataclass

import pygame
import pygame.freetype
import qrcode

from display.memo import Memo
from kiosk.flow import Action
from printer_drivers.linebreak import break_lines

INK = (29, 39, 51)
MUTED = (91, 107, 124)
ACCENT = (200, 16, 46)
OK = (31, 122, 58)
WARN = (179, 92, 0)
BG = (244, 246, 248)
CARD = (255, 255, 255)
LINE = (197, 206, 216)
WHITE = (255, 255, 255)
LARGE_TEXT_FACTOR = 1.4
Color = tuple[int, int, int]
RectTuple = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Fill:
    """The whole surface in one color."""

    color: Color

    def paint(self, surface: pygame.Surface, font: pygame.freetype.Font) -> None:
        surface.fill(self.color)


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle (x, y, w, h): filled (``width`` 0) or its outline, corners rounded by ``radius``."""

    color: Color
    rect: RectTuple
    width: int = 0
    radius: int = 0

    def paint(self, surface: pygame.Surface, font: pygame.freetype.Font) -> None:
        pygame.draw.rect(surface, self.color, self.rect, width=self.width, border_radius=self.radius)


@dataclass(frozen=True, slots=True)
class Line:
    color: Color
    start: tuple[int, int]
    end: tuple[int, int]
    width: int = 1

    def paint(self, surface: pygame.Surface, font: pygame.freetype.Font) -> None:
        pygame.draw.line(surface, self.color, self.start, self.end, self.width)


@dataclass(frozen=True, slots=True)
class Text:
    """A text as drawn: its final string (fitted, cut), size, color and box."""

    text: str
    size: int
    color: Color
    rect: RectTuple

    def paint(self, surface: pygame.Surface, font: pygame.freetype.Font) -> None:
        font.render_to(surface, pygame.Rect(self.rect), self.text, fgcolor=self.color, size=self.size)


@dataclass(frozen=True, slots=True)
class Modules:
    """A QR code: white square at (x, y), a black ``module``-pixel square for each dark module."""

    matrix: tuple[tuple[bool, ...], ...]
    x: int
    y: int
    module: int

    def paint(self, surface: pygame.Surface, font: pygame.freetype.Font) -> None:
        side = self.module * len(self.matrix)
        pygame.draw.rect(surface, WHITE, (self.x, self.y, side, side))
        for row, cells in enumerate(self.matrix):
            for col, dark in enumerate(cells):
                if dark:
                    surface.fill((0, 0, 0), (self.x + col * self.module, self.y + row * self.module,
                                             self.module, self.module))


Op = Fill | Box | Line | Text | Modules
"""One drawing operation of a frame: everything its pixels depend on but the painter's font and
surface size. Two frames of the same font and size with equal lists of ops have equal pixels."""


def _rect_tuple(rect: pygame.Rect | RectTuple) -> RectTuple:
    r = pygame.Rect(rect)
    return r.x, r.y, r.width, r.height


@dataclass(frozen=True)
class Button:
    rect: pygame.Rect
    label: str
    action: Action

    def hit(self, pos: tuple[int, int]) -> bool:
        return bool(self.rect.collidepoint(pos))


@dataclass(frozen=True)
class TextBox:
    """Where a text was drawn, and what: tests look at these pixels to prove glyphs rendered."""

    rect: pygame.Rect
    text: str


class Painter:
    """Records one frame in :attr:`ops`; :meth:`paint` draws them on ``surface``. ``memo``: the
    app's, so that what a frame measured serves the next ones (it must belong to this ``font``);
    without one, everything is computed for this frame only. Layout (sizes, fitting, wrapping,
    buttons, texts, QR codes) is known as soon as a frame is recorded, before anything is drawn."""

    def __init__(self, surface: pygame.Surface, font: pygame.freetype.Font, large_text: bool = False,
                 memo: Memo | None = None) -> None:
        self.surface = surface
        self.font = font
        self.scale = LARGE_TEXT_FACTOR if large_text else 1.0
        self.memo = memo if memo is not None else Memo()
        self.buttons: list[Button] = []
        self.texts: list[TextBox] = []
        self.qr_codes: list[tuple[str, pygame.Rect]] = []
        self.ops: list[Op] = []

    def paint(self) -> None:
        """Draw the recorded frame on the surface."""
        for op in self.ops:
            op.paint(self.surface, self.font)

    def fill(self, color: Color) -> None:
        """The whole surface in ``color``."""
        self.ops.append(Fill(color))

    def rect(self, color: Color, rect: pygame.Rect | RectTuple, width: int = 0, border_radius: int = 0) -> None:
        """``pygame.draw.rect``, recorded."""
        self.ops.append(Box(color, _rect_tuple(rect), width, border_radius))

    def line(self, color: Color, start: tuple[int, int], end: tuple[int, int], width: int = 1) -> None:
        """``pygame.draw.line``, recorded."""
        self.ops.append(Line(color, start, end, width))

    @property
    def width(self) -> int:
        return self.surface.get_width()

    @property
    def height(self) -> int:
        return self.surface.get_height()

    @property
    def size(self) -> tuple[int, int]:
        return self.surface.get_size()

    def unit(self, fraction: float) -> int:
        """A length as a fraction of the screen height, so layouts work at any resolution."""
        return max(1, int(self.height * fraction))

    @property
    def portrait(self) -> bool:
        """A standing kiosk's screen turned upright (1080x1920): layouts take fewer columns."""
        return self.height > self.width

    def across(self, fraction: float) -> int:
        """A length as a fraction of the screen's shorter side (the width, upright)."""
        return max(1, int(min(self.height, self.width) * fraction))

    def px(self, size: float) -> int:
        """A font size (fraction of the screen's shorter side) in pixels, with the large-text
        factor. The height alone made an upright 1080x1920 screen's letters 1.8 times those of the
        same screen lying down, and zone and item names were cut to 综合受… and 国有建设用地…"""
        return max(8, int(self.across(size) * self.scale))

    def measure(self, text: str, size: int) -> pygame.Rect:
        """``font.get_rect`` of ``text`` at ``size``, a fresh Rect each time (callers move it),
        kept in the memo: with frames only drawn when they change, measuring the screen's texts
        again (about 30 on the start screen) was three quarters of an unchanged frame's cost."""
        return pygame.Rect(self.memo.get(("rect", text, size), lambda: tuple(self.font.get_rect(text, size=size))))

    def fit(self, text: str, size: int, max_width: int) -> tuple[str, int]:
        """Shrink to at most 70 % of ``size``, then cut with an ellipsis: never overflow a button.
        Kept in the memo: measured up to four times, for each label, in every frame."""
        return self.memo.get(("fit", text, size, max_width), lambda: self._fit(text, size, max_width))

    def _fit(self, text: str, size: int, max_width: int) -> tuple[str, int]:
        """:meth:`fit` computed."""
        for candidate in (size, int(size * 0.85), int(size * 0.7)):
            if self.font.get_rect(text, size=candidate).width <= max_width:
                return text, candidate
        small = int(size * 0.7)
        while text and self.font.get_rect(text + "…", size=small).width > max_width:
            text = text[:-1]
        return text + "…", small

    def text(self, text: str, size: int, color: tuple[int, int, int] = INK, *, center: tuple[int, int] | None = None,
             topleft: tuple[int, int] | None = None, max_width: int | None = None) -> pygame.Rect:
        if not text:
            return pygame.Rect(0, 0, 0, 0)
        if max_width is not None:
            text, size = self.fit(text, size, max_width)
        rect = self.measure(text, size)
        if center is not None:
            rect.center = center
        elif topleft is not None:
            rect.topleft = topleft
        self.ops.append(Text(text, size, color, _rect_tuple(rect)))
        self.texts.append(TextBox(rect.copy(), text))
        return rect

    def button(self, rect: pygame.Rect, label: str, action: Action, *, size: int | None = None,
               fill: tuple[int, int, int] = CARD, ink: tuple[int, int, int] = INK, sub: str | None = None) -> Button:
        self.rect(fill, rect, border_radius=12)
        self.rect(LINE, rect, width=2, border_radius=12)
        size = size or self.px(0.035)
        pad = max(6, rect.width // 20)
        if sub:
            self.text(label, size, ink, center=(rect.centerx, rect.centery - size // 2), max_width=rect.width - 2 * pad)
            self.text(sub, int(size * 0.6), MUTED if fill == CARD else ink,
                      center=(rect.centerx, rect.centery + size // 2 + 4), max_width=rect.width - 2 * pad)
        else:
            self.text(label, size, ink, center=rect.center, max_width=rect.width - 2 * pad)
        button = Button(rect, label, action)
        self.buttons.append(button)
        return button

    def qr(self, payload: str, box: pygame.Rect) -> pygame.Rect:
        """A QR code of ``payload`` fitted into ``box`` (black modules on a white quiet zone), for
        a phone to scan from the screen; returns where it was drawn."""
        matrix = self.memo.get(("qr", payload), lambda: _qr_matrix(payload))
        module = max(1, min(box.width, box.height) // len(matrix))
        side = module * len(matrix)
        drawn = pygame.Rect(box.centerx - side // 2, box.y, side, side)
        self.ops.append(Modules(matrix, drawn.x, drawn.y, module))
        self.qr_codes.append((payload, drawn))
        return drawn

    def wrapped(self, text: str, size: int, color: tuple[int, int, int], top: int, max_width: int) -> int:
        """Centered lines broken by width at phrase boundaries, by the paper ticket's rule (see
        :func:`printer_drivers.linebreak.break_lines`: breaking anywhere split 打印|机 and 19-2|6号
        across lines); returns the bottom."""
        lines, bottom = self._wrapped_lines(text, size, top, max_width)
        for text_line, center in lines:
            self.text(text_line, size, color, center=center)
        return bottom

    def wrapped_height(self, text: str, size: int, max_width: int) -> int:
        """How far :meth:`wrapped` moves down, without drawing: a screen that must fit its lines
        above a button chooses its spacing before it draws anything."""
        return self._wrapped_lines(text, size, 0, max_width)[1]

    def _wrapped_lines(self, text: str, size: int, top: int,
                       max_width: int) -> tuple[tuple[tuple[str, tuple[int, int]], ...], int]:
        """Each line of :meth:`wrapped` with the center it is drawn at, and the bottom."""
        return self.memo.get(("wrapped", text, size, top, max_width, self.width),
                             lambda: self._break_lines(text, size, top, max_width))

    def _break_lines(self, text: str, size: int, top: int,
                     max_width: int) -> tuple[tuple[tuple[str, tuple[int, int]], ...], int]:
        """:meth:`_wrapped_lines` computed: each line measured as it is broken, then again."""
        placed: list[tuple[str, tuple[int, int]]] = []
        for text_line in break_lines(text, lambda line: self.font.get_rect(line, size=size).width <= max_width):
            rect = self.font.get_rect(text_line, size=size)
            rect.center = (self.width // 2, top + size // 2 + 4)
            placed.append((text_line, rect.center))
            top = rect.bottom + size // 3
        return tuple(placed), top


def _qr_matrix(payload: str) -> tuple[tuple[bool, ...], ...]:
    """The modules of ``payload``'s QR code with a 2-module quiet zone: the ``qrcode`` library
    tries each version and mask in pure Python, the larger part of a frame that draws one."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())

