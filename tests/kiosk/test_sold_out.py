"""A queue or an item whose numbers for the day are gone (its daily cap): the kiosk says so before
确认取号, and only for that queue or item."""
from __future__ import annotations

import pygame
import pytest

from kiosk import flow as f
from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from tests.conftest import THURSDAY, at, start_hub
from tests.kiosk.test_kiosk_flow import confirm_in_zone_c, issue_in_zone_c


@pytest.fixture
async def hub(request, aiohttp_client, tmp_path, clock):
    """The sample hall with 不动产登记 (C1) capped at one ticket a day; parametrized "items": each
    of its items capped at one instead (items.csv daily_cap), the queue not."""
    config = load_hall_config(default_config_dir())
    if getattr(request, "param", "queue") == "items":
        items = [i.model_copy(update={"daily_cap": 1}) if i.queue == "C1" else i for i in config.items]
        config = config.model_copy(update={"items": items})
    else:
        queues = [q.model_copy(update={"daily_cap": 1}) if q.prefix == "C1" else q for q in config.queues]
        config = config.model_copy(update={"queues": queues})
    return await start_hub(aiohttp_client, tmp_path / "data", clock, config=config)


async def test_a_sold_out_queue_is_refused_on_the_confirm_screen_not_after_it(hub, make_kiosk, clock, tmp_path):
    """Tried: C1's one ticket of the day taken, then a citizen choosing 不动产登记区 and its item
    on a Friday. It was: the confirm screen showed the people waiting and 确认取号 as usual, and
    only the touch on it said 今日该业务号已取完. Kept: the confirm screen says it, with the day to
    come back (the Monday), and offers nothing to confirm; other queues are untouched."""
    clock.set(at("09:00", THURSDAY.replace(day=27)))  # a Friday
    kiosk = make_kiosk()
    await kiosk.start()
    await issue_in_zone_c(kiosk)
    assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
    await kiosk.tap("完成")
    await confirm_in_zone_c(kiosk)
    pygame.image.save(kiosk.app.surface, str(tmp_path / "sold_out_confirm.png"))
    assert "今日该业务号已取完，请于11月30日再来" in kiosk.texts()
    assert "确认取号" not in [b.label for b in kiosk.app.painter.buttons]
    assert {"返回上一步", "返回首页"} <= {b.label for b in kiosk.app.painter.buttons}
    r = await hub.client.get("/api/v1/queues", headers=hub.auth("kiosk"))
    sold_out = {q["prefix"]: q["sold_out"] for q in await r.json()}
    assert sold_out["C1"] == "今日该业务号已取完，请于11月30日再来" and sold_out["D1"] is None


@pytest.mark.parametrize("hub", ["items"], indirect=True)
async def test_a_sold_out_item_is_refused_on_the_confirm_screen_and_its_queue_is_not(hub, make_kiosk, clock, tmp_path):
    """Tried: the first C1 item's one ticket of the day taken at the kiosk on a Friday, then the
    same item chosen again. It was: 确认取号 offered as usual, and only the touch on it said
    今日该事项号已取完. Kept: the confirm screen says it, with the Monday to come back, and offers
    nothing to confirm; the queue itself and its other items are still offered."""
    clock.set(at("09:00", THURSDAY.replace(day=27)))  # a Friday
    kiosk = make_kiosk()
    await kiosk.start()
    await issue_in_zone_c(kiosk)
    assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
    taken = (await hub.engine.tickets_today())[0].item_code
    await kiosk.tap("完成")
    await confirm_in_zone_c(kiosk)
    assert kiosk.app.flow.screen.service.code == taken
    pygame.image.save(kiosk.app.surface, str(tmp_path / "item_sold_out_confirm.png"))
    assert "今日该事项号已取完，请于11月30日再来" in kiosk.texts()
    assert "确认取号" not in [b.label for b in kiosk.app.painter.buttons]
    r = await hub.client.get("/api/v1/queues", headers=hub.auth("kiosk"))
    c1 = next(q for q in await r.json() if q["prefix"] == "C1")
    assert c1["sold_out"] is None
    assert c1["sold_out_items"] == {taken: "今日该事项号已取完，请于11月30日再来"}
    other = next(i for i in hub.engine.config.items if i.queue == "C1" and i.code != taken)
    r = await hub.client.post("/api/v1/tickets", json={"item_code": other.code}, headers=hub.auth("kiosk"))
    assert r.status == 201, await r.text()
