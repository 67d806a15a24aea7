"""The dashboard in a quiet hall: waits shown go on growing, and an alert comes on time.

The hub here runs on a hall clock 300 times faster than real time (the demo's kind of clock), and
after the page has loaded nothing happens in the hall: no ticket, no call, no event on the stream.
Before, the page showed the wait it read at its last event, for as long as the hall stayed quiet,
and a queue passing the service level raised no alert until somebody somewhere took a ticket.
"""
from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from server.api.keys import CONFIG
from server.engine.clock import ScaledClock
from tests.conftest import Hub
from tests.dashboard.conftest import post, sign_in

SPEED = 300.0


def seconds_of(text: str) -> int:
    """'4小时41分' / '19分11秒' / '42秒' back to seconds (the page's HallQ.formatDuration)."""
    parts = dict((unit, int(n)) for n, unit in re.findall(r"(\d+)(小时|分|秒)", text))
    assert parts, f"not a duration: {text!r}"
    return parts.get("小时", 0) * 3600 + parts.get("分", 0) * 60 + parts.get("秒", 0)


@pytest.mark.browser
@pytest.mark.parametrize("clock", [SPEED], indirect=True)
async def test_waits_grow_and_the_level_alert_comes_without_an_event(page: Page, web_hub: Hub, clock: ScaledClock) -> None:
    level_s = web_hub.app[CONFIG].hall.service_level_min * 60
    await post(web_hub, "/windows/W19/login", "staff01")
    await post(web_hub, "/windows/W19/pause", "staff01", {"reason": "break"})
    await post(web_hub, "/tickets", "kiosk", {"queue": "C1"})
    issued_at = clock.now()
    await sign_in(page, web_hub, "/dashboard")
    cell = page.locator("tr[data-queue='C1'] td.longest")
    zone_fact = page.locator(".zone[data-zone='C'] .zone-longest")
    await expect(cell).not_to_have_text("—")
    over = page.locator("#alerts li[data-kind='over_level'][data-queue='C1']")
    await expect(over).to_have_count(0)
    assert clock.now() - issued_at < level_s, "the page loaded before the wait reached the level"

    # Two readings of the cell two and a half real seconds apart (two or more of the page's 1 s
    # ticks, even on a loaded machine): the wait grew by ~750 hall seconds
    # with no event in between (it used to stand still).
    first = seconds_of(await cell.text_content() or "")
    await page.wait_for_timeout(2500)
    second = seconds_of(await cell.text_content() or "")
    assert second - first >= 250, (first, second)
    # ... and matches the hall's own clock within a tick of the page (1 s real = 300 s hall).
    assert abs(second - (clock.now() - issued_at)) <= 2 * SPEED, (second, clock.now() - issued_at)
    assert abs(seconds_of(await zone_fact.text_content() or "") - second) <= 2 * SPEED

    # The wait passes the service level while the hall stays quiet: the alert shows by itself.
    real_left = (level_s - (clock.now() - issued_at)) / SPEED
    await expect(over).to_contain_text("超过服务标准", timeout=(real_left + 5) * 1000)
    await expect(page.locator("tr[data-queue='C1']")).to_have_class("late")
    response = await web_hub.client.get("/api/v1/stats/today", headers=web_hub.auth("manager"))
    data = await response.json()
    assert data["clock_rate"] == SPEED
    assert ("over_level", "C1") in {(a["kind"], a["queue"]) for a in data["alerts"]}
