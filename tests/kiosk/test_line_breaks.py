"""Chinese wrapped on the kiosk's screens breaks between phrases, never inside a word.

The rule's own cases, which need no screen, are in tests/printer/test_line_breaks.py."""
from __future__ import annotations

import pygame
import pytest

from kiosk import flow as f
from kiosk.screens import QR_ABOVE_RIGHT, QR_BELOW, QR_BELOW_RIGHT, unprinted_advice
from kiosk.session import IssueResult, Outcome
from printer_drivers.gbtext import text_columns
from printer_drivers.linebreak import NO_LINE_START, break_lines
from tests.kiosk.test_screens_render import JOB, TICKET
from tests.text_lines import consecutive_lines, split_words

WORDS = ("号码", "叫号", "窗口", "办理", "手机", "扫描", "二维码", "查看", "进度", "通知", "工作", "人员", "处理",
         "打印机", "故障", "19-26号", "右上方", "右下方", "下方", "老年人", "残疾人", "孕妇", "军人", "优先", "类别", "出示",
         "相关", "证件", "身份证", "取号机", "读卡区", "自动", "出票", "11月26日", "14:00")
"""Words of the texts below: a line boundary inside one splits it (打印|机, 19-2|6号)."""

GREEN = "老年人、残疾人、孕妇、军人等可优先办理。请选择类别，并向窗口工作人员出示相关证件。"
ID_NEEDED = ("按大厅规定，办理该业务须本人身份证取号：请将身份证放在取号机的读卡区，读取后自动出票。"
             "身份证号码仅用于每人每日取号次数限制，不会显示或打印完整号码。")
CLOSED = "午间休息，下次取号时间：11月26日 14:00"
ADVICE = tuple(unprinted_advice("19-26号", where) for where in (QR_ABOVE_RIGHT, QR_BELOW, QR_BELOW_RIGHT, None))
TEXTS = (*ADVICE, unprinted_advice(None, QR_BELOW), GREEN, ID_NEEDED, CLOSED)


def within(columns: int):  # type: ignore[no-untyped-def]
    return lambda line: text_columns(line) <= columns


@pytest.mark.parametrize("text", TEXTS, ids=["advice_lying", "advice_upright", "advice_beside_button", "advice_no_qr",
                                        "advice_no_window", "green", "id_needed", "closed"])
def test_the_screens_texts_break_between_phrases_at_every_width(text: str) -> None:
    """Tried: each text at every width from the longest phrase's (19 characters) to all on one
    line. Kept: no word split, no line too wide, none starting with a closing mark, nothing lost."""
    for columns in range(38, text_columns(text) + 2):
        lines = break_lines(text, within(columns))
        assert "".join(lines) == text
        assert all(text_columns(line) <= columns for line in lines), (columns, lines)
        assert not split_words(lines, WORDS), (columns, lines)
        assert not [line for line in lines[1:] if line[0] in NO_LINE_START], (columns, lines)


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768), (1920, 1080), (1080, 1920)], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large_text"])
async def test_no_line_of_the_unprinted_ticket_screen_starts_inside_a_word(hub, make_kiosk, tmp_path, size, large):
    """Tried: the 号票未能打印 screen, with its window numbers, on four kiosk screens, both text
    sizes. It was: 处|理 and 19-2|6号 on an upright one, 打印|机故障 on a 1920x1080 one. Kept:
    each line the screen draws of its advice starts at a phrase, and none is wider than the text
    area."""
    kiosk = make_kiosk(large=large)
    app = kiosk.app
    app.surface = pygame.display.set_mode(size)
    await kiosk.start()
    app.flow.screen = f.PrintFailed(IssueResult(Outcome.PRINT_FAILED, JOB, TICKET, status_url="https://hall.example.cn/t/tok",
                                                zone_name="不动产登记区", window_hint="19-26号"))
    app.render()
    pygame.image.save(app.surface, str(tmp_path / f"print_failed_{size[0]}x{size[1]}_{large}.png"))
    drawn = "".join(t.text for t in app.painter.texts)
    advice, = (advice for advice in ADVICE if advice in drawn)
    lines = consecutive_lines([t.text for t in app.painter.texts], advice)
    assert not split_words(lines, WORDS), lines
    assert not [line for line in lines if line[0] in NO_LINE_START], lines
    boxes = [t.rect for t in app.painter.texts if t.text in lines]
    assert all(box.width <= app.surface.get_width() - app.painter.unit(0.12) for box in boxes)
