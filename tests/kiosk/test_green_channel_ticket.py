"""The screen after a green-channel ticket says it is one, as the paper's 【绿色通道】 does."""
from __future__ import annotations

import pygame
import pytest

from kiosk import flow as f
from kiosk.app import REFRESH_S
from kiosk.widgets import OK
from printer_drivers.escpos_reader import read
from tests.kiosk.test_kiosk_flow import issue_in_zone_c


async def take_ticket(kiosk, green: bool) -> None:  # type: ignore[no-untyped-def]
    await kiosk.start()
    if green:
        await kiosk.tap("绿色通道")
        await kiosk.tap("老年人")
    await issue_in_zone_c(kiosk)


def drawn_clear(app) -> bool:  # type: ignore[no-untyped-def]
    """No two texts outside buttons drawn over each other."""
    boxes = [t for t in app.painter.texts if not any(b.rect.contains(t.rect) for b in app.painter.buttons)]
    return not [(a.text, b.text) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.rect.colliderect(b.rect)]


@pytest.mark.parametrize("size", [(1280, 800), (1080, 1920)], ids=["landscape", "upright"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large_text"])
async def test_a_green_channel_ticket_screen_shows_the_channel_and_class(hub, make_kiosk, tmp_path, size, large):
    """Tried: an elderly citizen's 绿色通道 ticket, printed, on a kiosk lying down and upright, both
    text sizes. It was: the screen showed the number as any other (only the paper said
    【绿色通道】). Kept: a green badge reading 绿色通道 / 老年人, clear of the other lines."""
    kiosk = make_kiosk(large=large)
    kiosk.app.surface = pygame.display.set_mode(size)
    await take_ticket(kiosk, green=True)
    app = kiosk.app
    pygame.image.save(app.surface, str(tmp_path / f"green_ticket_{size[0]}x{size[1]}_{large}.png"))
    assert isinstance(app.flow.screen, f.TicketOut) and app.flow.screen.result.ticket.priority
    texts = [t.text for t in app.painter.texts]
    assert "绿色通道" in texts and "老年人" in texts, texts
    badge = next(t.rect for t in app.painter.texts if t.text == "绿色通道")
    assert app.surface.get_at((badge.left - 2, badge.centery))[:3] == OK, "drawn on the green badge"
    assert drawn_clear(app)


async def test_an_ordinary_ticket_screen_has_no_green_channel_mark(hub, make_kiosk):
    kiosk = make_kiosk()
    await take_ticket(kiosk, green=False)
    assert isinstance(kiosk.app.flow.screen, f.TicketOut)
    assert "请取走您的票" in kiosk.texts() and "绿色通道" not in kiosk.texts()


@pytest.mark.parametrize("green", [False, True], ids=["ordinary", "green"])
async def test_a_green_channel_ticket_that_did_not_print_says_so(hub, make_kiosk, tmp_path, green):
    """Tried: the paper running out during an elderly citizen's ticket. Kept: with no paper that
    says 【绿色通道】, the screen names the channel and class over the number; an ordinary
    ticket's screen says only 您的号码是."""
    kiosk = make_kiosk("dummy:?paper_bytes=100")
    await take_ticket(kiosk, green=green)
    app = kiosk.app
    pygame.image.save(app.surface, str(tmp_path / f"print_failed_{green}.png"))
    assert isinstance(app.flow.screen, f.PrintFailed), kiosk.texts()
    texts = [t.text for t in app.painter.texts]
    assert ("您的绿色通道（老年人）号码是" in texts) is green and ("您的号码是" in texts) is not green, texts
    assert drawn_clear(app)


async def refresh_after(kiosk, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """`seconds` with no touch, then one frame: the catalogue re-read (every REFRESH_S) if due."""
    kiosk.clock.now += seconds
    await kiosk.app.step()
    await kiosk.app.settle()
    await kiosk.app.step()


async def test_the_green_channel_choice_outlasts_the_kiosks_own_refresh(hub, make_kiosk, tmp_path):
    """Tried: an elderly citizen choosing 绿色通道 → 老年人 and 大字模式, then reading the zones for
    31 s (the kiosk re-reads the hub's catalogue every 30 s), then taking a ticket. It was: the
    re-read redrew the start screen as for a new citizen, the choice went without a word and
    the ticket printed ordinary. Kept: the choice and the text size stand through the re-read,
    the screen still says 绿色通道：老年人 and the ticket is a green-channel one; and a citizen who
    walks away is still forgotten 60 s after their last touch, re-reads or not."""
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap("绿色通道")
    await kiosk.tap("老年人")
    await kiosk.tap("大字模式")
    refreshes = kiosk.app._last_refresh
    await refresh_after(kiosk, REFRESH_S + 1)
    assert kiosk.app._last_refresh != refreshes, "the catalogue was read again"
    pygame.image.save(kiosk.app.surface, str(tmp_path / "green_after_refresh.png"))
    assert isinstance(kiosk.app.flow.screen, f.Start) and "绿色通道：老年人" in kiosk.texts(), kiosk.texts()
    assert kiosk.app.flow.large_text
    await issue_in_zone_c(kiosk)
    assert isinstance(kiosk.app.flow.screen, f.TicketOut) and kiosk.app.flow.screen.result.ticket.priority
    assert "【绿色通道】" in read(kiosk.printer.printed).text
    await kiosk.tap("完成")

    await kiosk.tap("绿色通道")
    await kiosk.tap("孕妇")
    await kiosk.tap("大字模式")
    await refresh_after(kiosk, REFRESH_S + 1)
    assert kiosk.app.flow.priority_class == "pregnant" and kiosk.app.flow.large_text
    await refresh_after(kiosk, kiosk.app.flow.idle_timeout_s - REFRESH_S)  # 61 s after the last touch
    assert kiosk.app.flow.priority_class is None and not kiosk.app.flow.large_text
    assert isinstance(kiosk.app.flow.screen, f.Start) and "绿色通道：" not in kiosk.texts()
