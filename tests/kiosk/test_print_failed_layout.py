"""The 号票未能打印 screen at every kiosk resolution: nothing drawn on it covers anything else, and
its advice names where the QR code is."""
from __future__ import annotations

import itertools

import pygame
import pytest
import zxingcpp
from PIL import Image

from kiosk import flow as f
from kiosk.session import IssueResult, Outcome
from kiosk.widgets import TextBox
from tests.kiosk.test_screens_render import GREEN_JOB, GREEN_TICKET, JOB, TICKET

SIZES = [(800, 600), (1024, 768), (1280, 1024), (1280, 800), (1366, 768), (1920, 1080), (1080, 1920), (768, 1024)]
URL = "https://hall.example.cn/t/AbCdEfGhIjKlMnOp"  # as long as a hub's status token (16 characters)


def results() -> dict[str, IssueResult]:
    return {
        "plain": IssueResult(Outcome.PRINT_FAILED, JOB, TICKET, status_url=URL, zone_name="不动产登记区",
                             window_hint="19-26号"),
        "green": IssueResult(Outcome.PRINT_FAILED, GREEN_JOB, GREEN_TICKET, status_url=URL, zone_name="不动产登记区",
                             window_hint="19-26号"),
        "no_status_url": IssueResult(Outcome.PRINT_FAILED, JOB, TICKET, zone_name="不动产登记区", window_hint="19-26号"),
    }


def seen_from(text: pygame.Rect, qr: pygame.Rect) -> str:
    """Where ``qr`` lies seen from ``text``, in the advice's words: 下方 below it and across its
    middle, 右下方 below it and right of its middle, 右侧 right of it at its height, and so on."""
    vertical = "下" if qr.top >= text.bottom else "上" if qr.bottom <= text.top else ""
    side = "右" if qr.left >= text.centerx else "左" if qr.right <= text.centerx else ""
    return side + vertical + "方" if vertical else side + "侧"


def advice_lines(texts: list[TextBox]) -> list[TextBox]:
    """The lines of the advice as drawn: from 请记住此号码 to the line that ends it."""
    first = next(i for i, t in enumerate(texts) if t.text.startswith("请记住此号码"))
    last = next(i for i, t in enumerate(texts) if i >= first and t.text.endswith("处理打印机故障。"))
    return texts[first:last + 1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large_text"])
async def test_nothing_on_the_unprinted_ticket_screen_covers_anything_else(hub, make_kiosk, tmp_path, size, large):
    """Tried: the 号票未能打印 screen (a plain and a green-channel ticket, with windows and zone,
    and one without a status page) at each kiosk resolution, both text sizes. It was: on 4:3 and
    5:4 screens the QR code beside the number, or its caption, lay over the number or the service
    line (1024x768 and 1280x1024 in 大字模式; 1280x1024 even in normal size); the advice said
    扫描下方二维码 on every upright screen, 右侧 on every lying one, wherever the code was (at
    768x1024 in 大字模式 right of the button; lying down above the advice), and asked to scan a
    code not drawn when there was no status page. Kept: no two texts, buttons and the QR code
    overlap, all lie inside the screen, the number keeps its full size (the screen's shorter side
    sets it), a phone reads the QR code off the screen, and the advice names where the code lies
    seen from it, or no code when none is drawn."""
    kiosk = make_kiosk(large=large)
    app = kiosk.app
    app.surface = pygame.display.set_mode(size)
    await kiosk.start()
    for name, result in results().items():
        app.flow.screen = f.PrintFailed(result)
        app.render()
        pygame.image.save(app.surface, str(tmp_path / f"print_failed_{name}_{size[0]}x{size[1]}_{large}.png"))
        painter = app.painter
        # Button labels lie inside their buttons: the button stands for both.
        labels = {b.label for b in painter.buttons}
        drawn = [(t.text, t.rect) for t in painter.texts if t.text not in labels]
        drawn += [(b.label, b.rect) for b in painter.buttons] + [("QR", qr) for _, qr in painter.qr_codes]
        screen = app.surface.get_rect()
        for text, rect in drawn:
            assert screen.contains(rect), (name, text, rect)
            assert not text.endswith("…"), (name, text)  # the intro's column beside the code cut no word
        for (one, a), (other, b) in itertools.combinations(drawn, 2):
            assert not a.colliderect(b), (name, one, a, other, b)
        number = next(rect for text, rect in drawn if text == TICKET.number)
        assert number.size == painter.font.get_rect(TICKET.number, size=painter.px(0.2)).size, (name, number)
        image = Image.frombytes("RGB", app.surface.get_size(), pygame.image.tobytes(app.surface, "RGB"))
        assert [code.text for code in zxingcpp.read_barcodes(image)] == [URL] * bool(result.status_url), name
        lines = advice_lines(painter.texts)
        advice = "".join(t.text for t in lines)
        box = lines[0].rect.unionall([t.rect for t in lines])
        if painter.qr_codes:
            (_, qr), = painter.qr_codes
            assert f"扫描{seen_from(box, qr)}二维码" in advice, (name, advice, box, qr)
        else:
            assert "二维码" not in advice, (name, advice)
