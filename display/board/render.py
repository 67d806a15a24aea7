"""Draw a :class:`BoardModel` on a pygame surface, readable from across the hall.

Every length is a fraction of the screen's short side, so the same layout fits 1920×1080 and
1280×720 (and any 16:9 TV); a TV hung upright (竖屏, 1080×1920) gets the panels stacked, the
recent calls above the queues. Text that would not fit its box is shrunk (the current call);
a long queue name takes two lines in a taller row, broken between phrases by the ticket's and
kiosk's rule, and is shrunk a little and then shortened with an ellipsis only if two lines still
do not hold it; nothing is clipped mid-glyph. Each drawn text is recorded in ``texts`` with its
box and size, so tests can prove the Chinese is real glyphs with ink where the text is.

A frame is a scene (all but the clock and the scrolling notice) kept as a picture while what it
shows is unchanged, with the clock and the notice drawn over it: drawing everything 30 times a
second took 20-100 ms a frame, more than a frame has, and kept a board PC at full load all day.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime

import pygame
import pygame.freetype

from display.board.model import BoardModel
from display.memo import Memo
from printer_drivers.linebreak import break_lines, may_break

BG = (8, 28, 64)
PANEL = (16, 48, 96)
HEADER = (150, 20, 24)
WHITE = (255, 255, 255)
YELLOW = (255, 214, 0)
GREEN = (120, 230, 140)
GREY = (170, 185, 210)
ALERT = (255, 60, 60)
WEEKDAYS = "一二三四五六日"
OFFLINE_TEXT = "连接中断，正在重连…"
REFUSED_TEXT = "本屏未授权（显示设备令牌无效或已停用），请联系技术人员"
UNTRUSTED_TEXT = "无法验证取号服务的安全证书（--ca），请联系技术人员"
NOTICE_SPEED = 0.12
"""Scrolling speed of the notice in screen short sides per second (about 130 px/s at 1080 lines)."""
QUEUE_NAME_SIZE = 42
"""Layout size of a queue's prefix and name in its row."""
QUEUE_NAME_MIN_SCALE = 0.8
"""How far a name that two lines do not hold may shrink: at 60 % (once the only remedy) an 18 px
name stood beside 28 px rows and could not be read across the hall."""
LINE_PITCH = 1.1
"""Distance between the baselines of a two-line name, in font sizes."""


@dataclass(frozen=True)
class DrawnText:
    text: str
    rect: pygame.Rect
    color: tuple[int, int, int]
    size: int
    """The font size drawn at, in screen pixels."""


@dataclass
class BoardRenderer:
    """Draws one frame; ``title`` is the zone's name (or the hall's for a whole-hall board)."""

    surface: pygame.Surface
    font: pygame.freetype.Font
    title: str
    texts: list[DrawnText] = field(default_factory=list)
    measured: Memo = field(default_factory=Memo)
    """Text boxes already measured, by text and pixel size: a scene measured each text two or
    three times, the larger part of drawing it. Also queue names already fitted, by name, width
    and screen size: measuring a long name at each size took 170 ms a frame."""
    scenes_drawn: int = 0
    """How many times the scene was drawn in full (not taken from :attr:`_scene`)."""
    _scene: pygame.Surface | None = None
    _scene_key: Hashable = None
    _scene_texts: list[DrawnText] = field(default_factory=list)

    @property
    def unit(self) -> float:
        """One thousand-and-eightieth of the short side: layout sizes are written for 1080 lines
        (or, upright, 1080 columns)."""
        return min(self.surface.get_size()) / 1080

    @property
    def upright(self) -> bool:
        width, height = self.surface.get_size()
        return height > width

    def px(self, value: float) -> int:
        return max(1, round(value * self.unit))

    def draw(self, model: BoardModel, now: datetime, online: bool, elapsed_s: float = 0.0, refused: bool = False,
             untrusted: bool = False) -> None:
        """One full frame; ``elapsed_s`` drives the notice's scrolling; ``refused``: the hub refused
        the board's token, ``untrusted``: the hub's certificate is not trusted here (no or the
        wrong --ca): no reconnecting mends either (said instead of "reconnecting")."""
        key = self._key(model, online, refused, untrusted)
        if self._scene is None or key != self._scene_key:
            self._draw_scene(model, online, refused, untrusted)
            self._scene, self._scene_key, self._scene_texts = self.surface.copy(), key, self.texts
            self.scenes_drawn += 1
        else:
            self.surface.blit(self._scene, (0, 0))
        self.texts = list(self._scene_texts)
        self._clock(now)
        if online:
            self._notice(model.notice, self._footer(), elapsed_s)

    def _key(self, model: BoardModel, online: bool, refused: bool, untrusted: bool) -> Hashable:
        """All the scene shows, read from the model as :meth:`_draw_scene` reads it: a key built
        from the same reads as the drawing cannot miss a change the way a version counter that
        some change forgot to bump would."""
        current = model.current.text if model.current is not None else None
        queues = tuple((q.prefix, q.name, q.waiting, q.wait_text) for q in model.queues.values())
        footer = None if online else (refused, untrusted)
        return (self.surface.get_size(), self.title, current, tuple(c.text for c in model.recent), queues, footer)

    def _draw_scene(self, model: BoardModel, online: bool, refused: bool, untrusted: bool) -> None:
        """Everything but the clock and the scrolling notice, drawn anew."""
        self.texts = []
        width, height = self.surface.get_size()
        self.surface.fill(BG)
        self._header()
        bottom = height - self.px(100)
        if self.upright:  # stacked: the width is the short side, the height has room for both lists
            self._current(model, pygame.Rect(0, self.px(160), width, self.px(300)))
            middle = self.px(1050)
            self._recent(model, pygame.Rect(self.px(30), self.px(480), width - self.px(60), middle - self.px(500)))
            self._queues(model, pygame.Rect(self.px(30), middle, width - self.px(60), bottom - middle))
        else:
            self._current(model, pygame.Rect(0, self.px(110), width, self.px(300)))
            top = self.px(430)
            split = round(width * 0.46)
            self._recent(model, pygame.Rect(self.px(30), top, split - self.px(45), bottom - top))
            self._queues(model, pygame.Rect(split + self.px(15), top, width - split - self.px(45), bottom - top))
        footer = self._footer()
        if not online:  # in place of the notice, where it cannot cover a call; the calls shown stay
            self.surface.fill(ALERT, footer)
            text, size = (REFUSED_TEXT, 44) if refused else (UNTRUSTED_TEXT, 44) if untrusted else (OFFLINE_TEXT, 48)
            self._text(text, footer.center, size, WHITE, anchor="center")

    def _footer(self) -> pygame.Rect:
        width, height = self.surface.get_size()
        return pygame.Rect(0, height - self.px(84), width, self.px(84))

    # -- parts -------------------------------------------------------------------------------

    def _header(self) -> None:
        """The bar and the title; the clock is drawn over it each frame (:meth:`_clock`)."""
        width = self.surface.get_width()
        if self.upright:  # two lines: side by side, the clock ran into the title
            self.surface.fill(HEADER, pygame.Rect(0, 0, width, self.px(150)))
            self._text(self.title, (self.px(30), self.px(50)), 56, WHITE, anchor="midleft", max_width=width - self.px(60))
            return
        bar = pygame.Rect(0, 0, width, self.px(96))
        self.surface.fill(HEADER, bar)
        self._text(self.title, (self.px(30), bar.centery), 56, WHITE, anchor="midleft", max_width=width // 2)

    def _clock(self, now: datetime) -> None:
        """The date and time, on the header bar: under the title upright, at the right otherwise."""
        width = self.surface.get_width()
        clock = f"{now.year}年{now.month}月{now.day}日 星期{WEEKDAYS[now.weekday()]} {now:%H:%M:%S}"
        if self.upright:
            self._text(clock, (self.px(30), self.px(112)), 44, WHITE, anchor="midleft")
        else:
            self._text(clock, (width - self.px(30), self.px(96) // 2), 44, WHITE, anchor="midright")

    def _current(self, model: BoardModel, box: pygame.Rect) -> None:
        call = model.current
        size = 110 if self.upright else 170  # upright, the width holds about ten characters of 110
        inner = box.inflate(-self.px(60), -self.px(40))
        pygame.draw.rect(self.surface, PANEL, inner, border_radius=self.px(24))
        if call is None:
            self._text("欢迎光临 请留意叫号", inner.center, size * 0.65, GREY, anchor="center", max_width=inner.width - self.px(40))
            return
        self._text(call.text, inner.center, size, YELLOW, anchor="center", max_width=inner.width - self.px(60))

    def _recent(self, model: BoardModel, box: pygame.Rect) -> None:
        self._text("最近呼叫", (box.x, box.y), 52, GREEN)
        rows = model.recent[1:] if len(model.recent) > 1 else []
        row_h = self.px(66)
        y = box.y + self.px(80)
        for call in rows:
            if y + row_h > box.bottom:
                break
            self._text(call.text, (box.x + self.px(10), y + row_h // 2), 50, WHITE, anchor="midleft", max_width=box.width)
            y += row_h
        if not rows:
            self._text("暂无", (box.x + self.px(10), y + row_h // 2), 46, GREY, anchor="midleft")

    def _queues(self, model: BoardModel, box: pygame.Rect) -> None:
        """One row a queue: prefix and name, people waiting, expected wait. A name too long for
        one line takes two, and its row the room for them; the figures stay centred on it."""
        name_w = round(box.width * 0.5)
        count_x = box.x + name_w + round(box.width * 0.22)
        wait_x = box.right
        self._text("业务", (box.x, box.y), 52, GREEN)
        self._text("等候人数", (count_x, box.y), 44, GREEN, anchor="topright")
        self._text("预计等候", (wait_x, box.y), 44, GREEN, anchor="topright")
        row_h = self.px(60)
        y = box.y + self.px(80)
        lines = sorted(model.queues.values(), key=lambda q: q.prefix)
        px = self.px(QUEUE_NAME_SIZE)
        indent = max((self._measure(f"{q.prefix} ", px).width for q in lines), default=0)
        name_x = box.x + indent  # every row's name starts at the same x, a wrapped one's second line too
        names = [self._name_lines(q.name, max(1, name_w - self.px(10) - indent)) for q in lines]
        heights = [row_h if len(name) == 1 else row_h + round(size * LINE_PITCH) for name, size in names]
        room = box.bottom - y
        shown = len(lines)
        if sum(heights) > room:  # the last row says how many more there are
            shown = 0
            while shown < len(lines) and sum(heights[:shown + 1]) <= room - row_h:
                shown += 1
        for line, (name, size), height in zip(lines[:shown], names, heights):
            mid = y + height // 2
            pitch = round(size * LINE_PITCH)
            first = mid - (len(name) - 1) * pitch // 2
            self._draw(line.prefix, (box.x, first), px, WHITE, anchor="midleft")
            for i, text in enumerate(name):
                self._draw(text, (name_x, first + i * pitch), size, WHITE, anchor="midleft")
            self._text(f"{line.waiting}人", (count_x, mid), 46, YELLOW, anchor="midright")
            self._text(line.wait_text, (wait_x, mid), 42, WHITE, anchor="midright")
            y += height
        if shown < len(lines):
            rest = sum(q.waiting for q in lines[shown:])
            self._text(f"另有{len(lines) - shown}项业务，共{rest}人等候", (box.x, y + row_h // 2), 38, GREY, anchor="midleft")

    def _name_lines(self, name: str, max_width: int) -> tuple[list[str], int]:
        """A queue's name in one or two lines of ``max_width`` and the pixel size to draw them at
        (remembered in :attr:`measured`): see :meth:`_fit_name`."""
        key = ("queue name", name, max_width, min(self.surface.get_size()))
        return self.measured.get(key, lambda: self._fit_name(name, max_width))

    def _fit_name(self, name: str, max_width: int) -> tuple[list[str], int]:
        """The largest size down to :data:`QUEUE_NAME_MIN_SCALE` at which two lines hold the
        name broken between phrases (综合受理|（一窗通办）) by the rule the ticket and the kiosk
        use; failing that, the largest at which two lines hold it at all (a name with no phrase
        to break at, broken between characters); failing that, the smallest size, the second
        line shortened with an ellipsis."""
        def fitting(size: int) -> list[str]:
            return break_lines(name, lambda line: self.font.get_rect(line, size=size).width <= max_width)

        smallest = self.px(QUEUE_NAME_SIZE * QUEUE_NAME_MIN_SCALE)
        sizes = range(self.px(QUEUE_NAME_SIZE), smallest - 1, -1)
        broken = [(size, fitting(size)) for size in sizes]
        two = [(size, lines) for size, lines in broken if len(lines) <= 2]
        for size, lines in two:
            if len(lines) == 1 or may_break(name, len(lines[0])):
                return lines, size
        if two:
            return two[0][1], two[0][0]
        first, *rest = broken[-1][1]
        second = "".join(rest)
        while second and self.font.get_rect(second + "…", size=smallest).width > max_width:
            second = second[:-1]
        return [first, second + "…"], smallest

    def _notice(self, notice: str, box: pygame.Rect, elapsed_s: float) -> None:
        self.surface.fill(PANEL, box)
        if not notice:
            return
        size = 44
        text_w = self._measure(notice, self.px(size)).width
        travel = box.width + text_w
        offset = (elapsed_s * NOTICE_SPEED * min(self.surface.get_size())) % travel
        x = box.right - offset
        previous = self.surface.get_clip()
        self.surface.set_clip(box)
        self._text(notice, (round(x), box.centery), size, WHITE, anchor="midleft")
        self.surface.set_clip(previous)

    # -- text --------------------------------------------------------------------------------

    def _text(self, text: str, pos: tuple[int, int], size: float, color: tuple[int, int, int],
              anchor: str = "topleft", max_width: int | None = None) -> pygame.Rect:
        """Draw ``text`` at a layout size (in 1080-line pixels), fitted to ``max_width``."""
        px = self.px(size)
        rect = self._measure(text, px)
        if max_width is not None and rect.width > max_width:
            shrunk = max(self.px(size * 0.6), int(px * max_width / rect.width))
            rect = self._measure(text, shrunk)
            px = shrunk
            while rect.width > max_width and len(text) > 1:
                text = text[:-2] + "…"  # drops one more character each round (or two, the first)
                rect = self._measure(text, px)
        return self._draw(text, pos, px, color, anchor)

    def _draw(self, text: str, pos: tuple[int, int], px: int, color: tuple[int, int, int],
              anchor: str = "topleft") -> pygame.Rect:
        """Draw ``text`` as it is at ``px`` screen pixels, its box's ``anchor`` at ``pos``, and record it."""
        rect = self._measure(text, px)
        box = pygame.Rect(0, 0, rect.width, rect.height)
        setattr(box, anchor, pos)
        drawn = self.font.render_to(self.surface, (box.x, box.y), text, color, size=px)
        self.texts.append(DrawnText(text, drawn, color, px))
        return drawn

    def _measure(self, text: str, px: int) -> pygame.Rect:
        """``text``'s box at ``px`` screen pixels (kept in :attr:`measured`; a copy, as a Rect can
        be changed)."""
        return pygame.Rect(self.measured.get((text, px), lambda: tuple(self.font.get_rect(text, size=px))))
