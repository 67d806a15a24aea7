"""The queues view (kiosks' waiting counts, call-pads' 等候人数, boards, the manager's dashboard).

Tried, on SQLite and PostgreSQL: ordinary and green-channel tickets in two queues, one called
and sent to another window (it waits for that window, still of its queue, from the transfer on),
one window open. Kept: waiting counts include the ticket sent to a window, the green channel is
counted apart, the longest wait runs from the oldest waiting ticket's queueing time, the wait
estimate follows the open windows, and a queue nobody waits in says so.
"""
from __future__ import annotations

import math

import pytest

from server.engine.engine import DEFAULT_SERVICE_MIN
from server.engine.views import IssueRequest
from tests.conftest import at


async def test_queues_view_counts_lines_and_tickets_sent_to_a_window(engine, clock) -> None:
    clock.set(at("09:00"))
    await engine.issue(IssueRequest(queue="A1"))
    await engine.issue(IssueRequest(queue="A1"))
    clock.set(at("09:01"))
    green = await engine.issue(IssueRequest(queue="A1", priority_class="elderly"))
    clock.set(at("09:02"))
    await engine.issue(IssueRequest(queue="A2"))
    await engine.login("W1", "s1")
    await engine.login("W2", "s2")
    await engine.pause("W2", "meeting")  # logged in, not open: A1 counts one open window
    clock.set(at("09:05"))
    assert (await engine.call_next("W1")).id == green.ticket.id
    await engine.transfer("W1", "window", "W2", "窗口2办理")
    clock.set(at("09:10"))

    views = {v.prefix: v for v in await engine.queues()}
    a1, a2, b1 = views["A1"], views["A2"], views["B1"]
    assert (a1.waiting, a1.waiting_priority, a1.issued_today, a1.open_windows) == (3, 1, 3, 1)
    assert a1.longest_wait_s == 600.0, "from the first ticket's issue at 09:00"
    assert a1.estimated_wait_min == 3 * DEFAULT_SERVICE_MIN
    assert (a2.waiting, a2.waiting_priority, a2.longest_wait_s) == (1, 0, 480.0)
    assert (b1.waiting, b1.longest_wait_s, b1.estimated_wait_min, b1.open_windows) == (0, None, 0, 0)
    assert [v.prefix for v in await engine.queues(["B1", "A2"])] == ["A2", "B1"], "in the hall's order"


async def test_queues_view_follows_pauses_and_todays_service_times(engine, clock) -> None:
    """A paused window does not count as open (no estimate without an open window); once a
    ticket has been served, the estimate uses today's mean service time instead of the default."""
    clock.set(at("09:00"))
    for _ in range(3):
        await engine.issue(IssueRequest(queue="A1"))
    await engine.login("W1", "s1")
    await engine.pause("W1", "break")
    a1 = (await engine.queues(["A1"]))[0]
    assert (a1.open_windows, a1.estimated_wait_min) == (0, None)
    await engine.resume("W1")
    await engine.call_next("W1")
    clock.set(at("09:01"))
    await engine.start("W1")
    clock.set(at("09:13"))  # 12 minutes of service
    await engine.finish("W1")
    a1 = (await engine.queues(["A1"]))[0]
    # One 12-minute service counts as one of six beside five at the default 8: 2 x 8.67 -> 18.
    assert (a1.waiting, a1.open_windows, a1.estimated_wait_min) == (2, 1, math.ceil(2 * (12 + 5 * DEFAULT_SERVICE_MIN) / 6))
    assert a1.estimated_wait_min == 18 and a1.service_min == pytest.approx(8.67)


async def test_one_quick_service_does_not_collapse_the_estimate(engine, clock) -> None:
    """Tried: the day's first service at A1 lasting one second (a quick 咨询), four people behind
    it. Kept: an estimate near the default (it read 约1分钟 for four people); twenty ordinary
    services later the day's own times dominate."""
    clock.set(at("09:00"))
    for _ in range(25):
        await engine.issue(IssueRequest(queue="A1"))
    await engine.login("W1", "s1")
    await engine.call_next("W1")
    await engine.start("W1")
    clock.advance(1)
    await engine.finish("W1")
    a1 = (await engine.queues(["A1"]))[0]
    assert a1.service_min > 0.8 * DEFAULT_SERVICE_MIN and a1.estimated_wait_min >= 24 * 0.8 * DEFAULT_SERVICE_MIN
    for _ in range(20):
        await engine.call_next("W1")
        await engine.start("W1")
        clock.advance(120)
        await engine.finish("W1")
    a1 = (await engine.queues(["A1"]))[0]
    assert 2.0 < a1.service_min < 4.0  # mostly today's 2 minutes, no longer the default 8


async def test_a_case_held_for_a_back_office_is_not_in_the_windows_count(engine, clock) -> None:
    """Tried: two B1 tickets, the first accepted at W3 and sent to the back office BO, then sent
    back to W3 after BO handled it. Kept: while BO holds it, B1 counts only the ticket its windows
    will call (it counted both: boards and kiosks said 2 waiting where the next ticket was told 1
    ahead); once it is sent back to W3 it counts again."""
    clock.set(at("09:00"))
    await engine.issue(IssueRequest(queue="B1"))
    await engine.issue(IssueRequest(queue="B1"))
    await engine.login("W3", "s3")
    await engine.login("BO", "s9")
    await engine.call_next("W3")
    await engine.transfer("W3", "back_office", "BO")
    (b1,) = await engine.queues(["B1"])
    assert (b1.waiting, (await engine.issue(IssueRequest(queue="B1"))).people_ahead) == (1, 1)
    await engine.call_next("BO")
    await engine.transfer("BO", "window", "W3")
    (b1,) = await engine.queues(["B1"])
    assert b1.waiting == 3  # two in the line and the case waiting for W3 again


async def test_a_wait_past_todays_closing_is_flagged(engine, clock) -> None:
    """Tried: five A1 tickets at one open window, read at 09:00 and at 17:00 (closing 17:30), and
    during lunch with the afternoon still to come. Kept: flagged only when the estimate (5 x 8 min
    = 40) is more than the opening time left today (30 min at 17:00), so a kiosk can say so
    before the ticket is taken (the dashboard showed 460分钟 at 14:00, the kiosk nothing)."""
    clock.set(at("09:00"))
    for _ in range(5):
        await engine.issue(IssueRequest(queue="A1"))
    await engine.login("W1", "s1")
    (a1,) = await engine.queues(["A1"])
    assert (a1.estimated_wait_min, a1.beyond_today) == (40, False)
    clock.set(at("12:10"))  # lunch: the afternoon's three hours are still to come
    assert not (await engine.queues(["A1"]))[0].beyond_today
    clock.set(at("17:00"))
    (a1,) = await engine.queues(["A1"])
    assert (a1.estimated_wait_min, a1.beyond_today) == (40, True)
    (a2,) = await engine.queues(["A2"])
    assert not a2.beyond_today  # nobody waiting: nothing to be late for
