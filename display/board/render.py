"""Draw a :class:`BoardModel` on a pygame surface, readable from across the hall.

Every length is a fraction of the screen's short side, so the same layout fits 1920×1080 and
1280×720 (and any 16:9 TV); a TV hung upright (竖屏, 1080×1920) gets the panels stacked, the
recent calls above the queues. Text that would not fit its box is shrunk (the current call) or
shortened with an ellipsis (queue names), never clipped mid-glyph. Each drawn text is recorded in ``texts`` with
its box, so tests can prove the Chinese is real glyphs with ink where the text is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pygame
import pygame.freetype

from display.board.model import BoardModel

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


@dataclass(frozen=True)
class DrawnText:
    text: str
    rect: pygame.Rect
    color: tuple[int, int, int]


@dataclass
class BoardRenderer:
    """Draws one frame; ``title`` is the zone's name (or the hall's for a whole-hall board)."""

    surface: pygame.Surface
    font: pygame.freetype.Font
    title: str
    texts: list[DrawnText] = field(default_factory=list)

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
        self.texts = []
        width, height = self.surface.get_size()
        self.surface.fill(BG)
        self._header(now)
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
        footer = pygame.Rect(0, height - self.px(84), width, self.px(84))
        if online:
            self._notice(model.notice, footer, elapsed_s)
        else:  # in place of the notice, where it cannot cover a call; the calls shown stay
            self.surface.fill(ALERT, footer)
            text, size = (REFUSED_TEXT, 44) if refused else (UNTRUSTED_TEXT, 44) if untrusted else (OFFLINE_TEXT, 48)
            self._text(text, footer.center, size, WHITE, anchor="center")

    # -- parts -------------------------------------------------------------------------------

    def _header(self, now: datetime) -> None:
        width = self.surface.get_width()
        clock = f"{now.year}年{now.month}月{now.day}日 星期{WEEKDAYS[now.weekday()]} {now:%H:%M:%S}"
        if self.upright:  # two lines: side by side, the clock ran into the title
            bar = pygame.Rect(0, 0, width, self.px(150))
            self.surface.fill(HEADER, bar)
            self._text(self.title, (self.px(30), self.px(50)), 56, WHITE, anchor="midleft", max_width=width - self.px(60))
            self._text(clock, (self.px(30), self.px(112)), 44, WHITE, anchor="midleft")
            return
        bar = pygame.Rect(0, 0, width, self.px(96))
        self.surface.fill(HEADER, bar)
        self._text(self.title, (self.px(30), bar.centery), 56, WHITE, anchor="midleft", max_width=width // 2)
        self._text(clock, (width - self.px(30), bar.centery), 44, WHITE, anchor="midright")

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
        name_w = round(box.width * 0.5)
        count_x = box.x + name_w + round(box.width * 0.22)
        wait_x = box.right
        self._text("业务", (box.x, box.y), 52, GREEN)
        self._text("等候人数", (count_x, box.y), 44, GREEN, anchor="topright")
        self._text("预计等候", (wait_x, box.y), 44, GREEN, anchor="topright")
        row_h = self.px(60)
        y = box.y + self.px(80)
        lines = sorted(model.queues.values(), key=lambda q: q.prefix)
        fits = max(0, (box.bottom - y) // row_h)
        shown = lines if len(lines) <= fits else lines[: max(0, fits - 1)]
        for line in shown:
            mid = y + row_h // 2
            self._text(f"{line.prefix} {line.name}", (box.x, mid), 42, WHITE, anchor="midleft", max_width=name_w - self.px(10))
            self._text(f"{line.waiting}人", (count_x, mid), 46, YELLOW, anchor="midright")
            self._text(line.wait_text, (wait_x, mid), 42, WHITE, anchor="midright")
            y += row_h
        if len(shown) < len(lines):
            rest = sum(q.waiting for q in lines[len(shown):])
            self._text(f"另有{len(lines) - len(shown)}项业务，共{rest}人等候", (box.x, y + row_h // 2), 38, GREY, anchor="midleft")

    def _notice(self, notice: str, box: pygame.Rect, elapsed_s: float) -> None:
        self.surface.fill(PANEL, box)
        if not notice:
            return
        size = 44
        text_w = self.font.get_rect(notice, size=self.px(size)).width
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
        rect = self.font.get_rect(text, size=px)
        if max_width is not None and rect.width > max_width:
            shrunk = max(self.px(size * 0.6), int(px * max_width / rect.width))
            rect = self.font.get_rect(text, size=shrunk)
            px = shrunk
            while rect.width > max_width and len(text) > 1:
                text = text[:-2] + "…"  # drops one more character each round (or two, the first)
                rect = self.font.get_rect(text, size=px)
        box = pygame.Rect(0, 0, rect.width, rect.height)
        setattr(box, anchor, pos)
        drawn = self.font.render_to(self.surface, (box.x, box.y), text, color, size=px)
        self.texts.append(DrawnText(text, drawn, color))
        return drawn
