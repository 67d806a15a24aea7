"""A search at the kiosk that finds nothing: a ticket for the hall's assisted service (帮代办)."""
from __future__ import annotations

import pygame

from kiosk import flow as f


async def test_a_search_that_finds_nothing_offers_a_ticket_for_assisted_service(hub, make_kiosk, tmp_path):
    """Tried: 查找事项, then letters no item's initials have. Kept: besides 换个关键词, a button
    takes a ticket for the hall's 帮代办 queue (hall.assisted_queue = K2), through the confirm
    screen, in zone K (the screen said only 咨询工作人员 and the citizen had no number to wait with)."""
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap("查找事项")
    for key in ("Q", "X", "Z", "Q"):
        await kiosk.tap(key)
    assert not [b for b in kiosk.app.painter.buttons if b.action[0] == "service"]
    pygame.image.save(kiosk.app.surface, str(tmp_path / "search_found_nothing.png"))
    button = kiosk.button("取号：帮办代办与咨询")
    assert kiosk.app.surface.get_rect().contains(button.rect)
    await kiosk.tap("取号：帮办代办与咨询")
    assert isinstance(kiosk.app.flow.screen, f.Confirm) and "帮办代办与咨询" in kiosk.texts()
    await kiosk.tap("返回上一步")  # back to the search as it was
    assert isinstance(kiosk.app.flow.screen, f.Services) and kiosk.app.flow.screen.search == "QXZQ"
    await kiosk.tap("取号：帮办代办与咨询")
    await kiosk.tap("确认取号")
    assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
    assert "请到帮代办与综合咨询区等候" in kiosk.texts()
    [ticket] = await hub.engine.tickets_today()
    assert (ticket.queue, ticket.zone, ticket.item_code) == ("K2", "K", None)
