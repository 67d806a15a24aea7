"""The pygame board drawn headless at both TV sizes, with proof the Chinese is real glyphs.

The PNGs land in tmp_path; with HALLQ_DOCS_IMG=1 they are also copied to docs/img/ (that is how
docs/img/board-1080.png and board-720.png were made).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pygame
import pytest

from display.board.model import BoardModel
from display.board.render import ALERT, OFFLINE_TEXT, WHITE, YELLOW, BoardRenderer, DrawnText
from display.fonts import load_cjk_font, verify_renders_chinese
from server.hub_client import QueueInfo
from tests.board.test_board_model import Events
from tests.text_lines import consecutive_lines
from tests.conftest import publish_screenshot

NOTICE = "请留意屏幕与语音叫号，过号请到窗口咨询；请保管好随身物品，文明有序办事。"


def busy_model() -> BoardModel:
    model = BoardModel(notice=NOTICE)
    model.load(100, "2026-11-26", [
        QueueInfo("A1", "综合受理（一窗通办）", "A", 18, 4, 27, 60),
        QueueInfo("A2", "户籍与身份证业务", "A", 6, 2, 14, 22),
        QueueInfo("A3", "社会救助与民政业务", "A", 0, 1, 0, 8),
        QueueInfo("A4", "残疾人证与老年优待证办理", "A", 3, 0, None, 5),
    ])
    ev = Events()
    for n, window in ((31, 2), (32, 5), (33, 1), (34, 7), (35, 3), (36, 9), (37, 4)):
        model.apply(ev.call(f"A1{n}", window))
    model.apply(ev.call("A132", 5, kind="ticket.recalled", count=2))
    return model


def ink(surface: pygame.Surface, rect: pygame.Rect, color: tuple[int, int, int]) -> int:
    """Pixels of the text's own colour inside its box: the glyphs really were drawn there."""
    area = rect.clip(surface.get_rect())
    return pygame.mask.from_threshold(surface.subsurface(area), color, (8, 8, 8, 255)).count()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (1080, 1920)], ids=["1080", "720", "upright"])
def test_board_renders_chinese_at_tv_sizes(tmp_path: Path, size: tuple[int, int]) -> None:
    pygame.init()
    surface = pygame.Surface(size)
    renderer = BoardRenderer(surface, load_cjk_font(48), "A区 综合受理区（一窗通办）")
    renderer.draw(busy_model(), datetime(2026, 11, 26, 9, 42, 5), online=True, elapsed_s=4.0)
    # An upright TV (竖屏): the landscape layout, sized by the height, drew everything 1.8 times too
    # big and off the right edge.
    path = tmp_path / ("board-upright.png" if size[1] > size[0] else f"board-{size[1]}.png")
    pygame.image.save(surface, str(path))
    assert path.stat().st_size > 20_000
    texts = {t.text: t for t in renderer.texts}
    # The call being announced is the largest text, and spans a good part of the screen.
    current = texts["请 A132 号 到 5号窗口"]
    assert current.rect.height == max(t.rect.height for t in renderer.texts)
    assert current.rect.width > size[0] * 0.5 and current.rect.height > min(size) * 0.085
    assert "请 A137 号 到 4号窗口" in texts and "2026年11月26日 星期四 09:42:05" in texts
    assert {"约14分钟", "无需等候", "暂无窗口", "11人"} <= set(texts)
    for drawn in renderer.texts:
        assert surface.get_rect().contains(drawn.rect) or drawn.text == NOTICE, f"{drawn.text!r} off screen"
        visible = drawn.rect.clip(surface.get_rect())
        if visible.width and visible.height:
            assert ink(surface, visible, drawn.color) > visible.width * visible.height * 0.03, drawn.text
    chinese = "".join(t.text for t in renderer.texts).replace("…", "")
    check = verify_renders_chinese(renderer.font, chinese)  # raises if any glyph is a .notdef box
    assert {"请", "号", "窗", "口", "预", "计"} <= set(check.checked)
    # Readable from across the hall: recent calls at least 3.5 % of the short side.
    assert texts["请 A137 号 到 4号窗口"].rect.height >= min(size) * 0.035
    publish_screenshot(path)


def test_offline_marker_replaces_the_notice_and_keeps_the_calls(tmp_path: Path) -> None:
    pygame.init()
    surface = pygame.Surface((1280, 720))
    renderer = BoardRenderer(surface, load_cjk_font(48), "A区")
    model = busy_model()
    renderer.draw(model, datetime(2026, 11, 26, 9, 42), online=False)
    texts = {t.text: t for t in renderer.texts}
    marker = texts[OFFLINE_TEXT]
    assert surface.get_at((2, marker.rect.centery))[:3] == ALERT
    assert "请 A132 号 到 5号窗口" in texts and NOTICE not in texts
    renderer.draw(model, datetime(2026, 11, 26, 9, 42), online=True)
    assert OFFLINE_TEXT not in {t.text for t in renderer.texts}


def test_notice_scrolls_and_long_names_are_shortened() -> None:
    pygame.init()
    surface = pygame.Surface((1280, 720))
    renderer = BoardRenderer(surface, load_cjk_font(48), "A区")
    model = busy_model()
    model.queues["A4"].name = "非常长的业务名称用来检验省略号是否会在列宽不足时正确出现在末尾"
    positions = []
    for t in (0.0, 1.0, 2.0):
        renderer.draw(model, datetime(2026, 11, 26, 9, 42), online=True, elapsed_s=t)
        notice = next(d for d in renderer.texts if d.text == NOTICE)
        positions.append(notice.rect.x)
    assert positions[0] > positions[1] > positions[2]  # right to left
    name = queue_rows(renderer, model)["A4"][1:-2]
    assert len(name) == 2 and name[-1].text.endswith("…")


LONG_NAMES = {
    "B5": "工业和信息化业务",  # the sample hall's longest queue name (config/zones.toml)
    "C1": "政务服务好差评投诉受理（补证）",  # an item of config/items.csv named as a queue
    "C2": "株洲市生态环境局茶陵分局",  # a department of config/zones.toml, no phrase to break at
    "C3": "综合受理（一窗通办）",
    "C4": "残疾人证与老年优待证办理",
}
EXTREME = "非常长的业务名称用来检验省略号是否会在列宽不足时正确出现在末尾"
MIN_NAME_HEIGHT = 0.029
"""A name's glyphs are at least this part of the short side (about 31 px on a 1080-line TV, where
a full-size name is 41): at the old 60 % they were 25, beside 41 px rows."""


def queue_rows(renderer: BoardRenderer, model: BoardModel) -> dict[str, list[DrawnText]]:
    """Each shown queue's texts, as drawn: its prefix, its name's lines, its count and its wait."""
    texts = renderer.texts
    starts = {q.prefix: i for i, t in enumerate(texts) for q in model.queues.values() if t.text == q.prefix}
    rows = {}
    for prefix, start in starts.items():
        end = next(i for i in range(start + 1, len(texts)) if texts[i].color == YELLOW)  # the count
        rows[prefix] = texts[start:end + 2]
    return rows


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (1080, 1920)], ids=["1080", "720", "upright"])
def test_long_queue_names_wrap_in_their_cell_readable(tmp_path: Path, size: tuple[int, int]) -> None:
    """Tried: real names of the sample hall's config (a queue, an item, a department) and a made-up
    one of 31 characters, on both TV sizes and upright. It was: any name wider than its column was
    shrunk to 60 % and cut with …, 18 px text beside 28 px rows on a 720-line TV. Kept: a name that
    two lines hold is shown whole (its lines join to it), broken between phrases where it has any;
    the made-up one is two lines, the second cut with …; no name's glyphs are smaller than
    MIN_NAME_HEIGHT; no text overlaps another or reaches the count column; each row's figures are
    centred on its name."""
    pygame.init()
    surface = pygame.Surface(size)
    renderer = BoardRenderer(surface, load_cjk_font(48), "C区 综合受理区")
    model = BoardModel(notice=NOTICE)
    names = {**LONG_NAMES, "C5": EXTREME}
    model.load(100, "2026-11-26", [QueueInfo(prefix, name, "C", 3 * i, 1, 4 * i, 5) for i, (prefix, name) in enumerate(names.items())])
    renderer.draw(model, datetime(2026, 11, 26, 9, 42, 5), online=True, elapsed_s=4.0)
    pygame.image.save(surface, str(tmp_path / f"long-names-{size[0]}x{size[1]}.png"))
    rows = queue_rows(renderer, model)
    assert set(rows) == set(names), [t.text for t in renderer.texts]
    column = next(t for t in renderer.texts if t.text == "等候人数").rect
    for prefix, row in rows.items():
        lines = row[1:-2]
        assert 1 <= len(lines) <= 2, [t.text for t in lines]
        if prefix in LONG_NAMES:
            assert consecutive_lines([t.text for t in lines], names[prefix])
        else:
            assert len(lines) == 2 and lines[1].text.endswith("…") and EXTREME.startswith("".join(t.text for t in lines)[:-1])
        if names[prefix] == "政务服务好差评投诉受理（补证）":
            assert lines[-1].text == "（补证）"  # the phrase, not 理（补证）
        for line in lines:
            assert line.rect.height >= min(size) * MIN_NAME_HEIGHT, (line.text, line.rect)
            assert line.rect.right <= column.left and line.rect.left > row[0].rect.right, (line.text, line.rect)
            assert ink(surface, line.rect, WHITE) > line.rect.width * line.rect.height * 0.03, line.text
        name = lines[0].rect.unionall([t.rect for t in lines[1:]])
        for figure in row[-2:]:
            assert abs(figure.rect.centery - name.centery) <= min(size) * 0.01, (figure.text, name)
    shown = [t for t in renderer.texts if t.text != NOTICE]
    for i, one in enumerate(shown):
        assert surface.get_rect().contains(one.rect), one.text
        for other in shown[i + 1:]:
            assert not one.rect.colliderect(other.rect), (one.text, other.text)
