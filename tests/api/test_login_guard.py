"""Sign-in throttling on a real hub, with clients on different loopback addresses.

Linux routes all of 127.0.0.0/8 to loopback, so a client bound to 127.0.0.2 is, to the hub,
another PC in the hall: what one PC does to the throttle must not lock out the people at another.
"""
from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
import pytest

from server.accounts import Role
from server.api.keys import ACCOUNTS
from server.errors import HallQError
from server.login_guard import LoginGuard
from tests.conftest import HUB_PASSWORD, Hub


async def sign_in(hub: Hub, username: str, password: str, source: str = "127.0.0.1") -> int:
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(f"{hub.base_url}/api/v1/auth/login", json={"username": username, "password": password}) as r:
            return r.status


async def test_wrong_passwords_from_one_pc_do_not_lock_the_account_elsewhere(hub: Hub) -> None:
    """Tried: five wrong passwords for admin from one PC (a prank, or a guess). Kept: that PC
    waits, even with the right password; the admin at their own PC signs in."""
    for _ in range(5):
        assert await sign_in(hub, "admin", "wrong-guess", source="127.0.0.2") == 401
    assert await sign_in(hub, "admin", HUB_PASSWORD, source="127.0.0.2") == 429
    assert await sign_in(hub, "admin", HUB_PASSWORD, source="127.0.0.1") == 200


async def test_one_pin_tried_on_every_staff_id_is_stopped(hub: Hub) -> None:
    """Tried: the common PIN on staff id after staff id from one PC (20 ids, each wrong once:
    the old per-id lock-out never fired). Kept: that PC is refused from then on, even for a
    real account and password, before any hashing; another PC is not."""
    for n in range(20):
        assert await sign_in(hub, f"clerk{n:02d}", "1234", source="127.0.0.3") == 401
    assert await sign_in(hub, "staff01", HUB_PASSWORD, source="127.0.0.3") == 429
    assert await sign_in(hub, "staff01", HUB_PASSWORD, source="127.0.0.1") == 200


async def test_concurrent_guesses_cannot_outrun_the_count(hub: Hub) -> None:
    """Tried: 40 guesses at staff03's PIN at once from one PC. Kept: only five were checked
    (401); the other 35 were refused (429) without a look at the password."""
    statuses = Counter(await asyncio.gather(*(sign_in(hub, "staff03", f"{n:04d}", source="127.0.0.4") for n in range(40))))
    assert statuses == Counter({401: 5, 429: 35})


async def test_a_switched_off_account_is_refused_like_a_wrong_password(hub: Hub) -> None:
    """Tried: the right password of an account an admin switched off, and of a staff id that
    does not exist. Kept: both 401 with the same answer as a wrong password (nothing tells which
    ids exist or are off)."""
    await hub.app[ACCOUNTS].set_user_active("staff02", False)
    answers = []
    for username, password in (("staff02", HUB_PASSWORD), ("nobody", HUB_PASSWORD), ("staff01", "wrong-pin")):
        r = await hub.client.post("/api/v1/auth/login", json={"username": username, "password": password})
        answers.append((r.status, (await r.json())["error"]))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 401


@pytest.mark.parametrize("role, short, long_enough", [
    (Role.STAFF, "123", "4071"), (Role.CHIEF, "123", "4071"),
    (Role.MANAGER, "1234567", "sable-lamp-42"), (Role.TECHNICIAN, "1234567", "sable-lamp-42"), (Role.ADMIN, "1234567", "sable-lamp-42"),
])
async def test_accounts_that_run_the_hall_need_longer_passwords(hub: Hub, role: Role, short: str, long_enough: str) -> None:
    """A PIN of 4 digits is what a clerk types on a pad; an admin with one fell to one guess."""
    accounts = hub.app[ACCOUNTS]
    with pytest.raises(HallQError) as refused:
        await accounts.add_user(f"new-{role}", short, role, now=hub.engine.clock.now())
    assert refused.value.status == 400 and "密码至少" in refused.value.message_zh
    await accounts.add_user(f"new-{role}", long_enough, role, now=hub.engine.clock.now())
    with pytest.raises(HallQError):
        await accounts.set_password(f"new-{role}", short)


def test_the_guard_forgets_old_failures_and_never_a_lock_out_in_a_flood() -> None:
    guard = LoginGuard(per_account=2, per_source=100, window_s=60, max_tracked=10)
    for now in (0.0, 1.0):
        guard.begin("a", "pc1", now)
    with pytest.raises(HallQError):
        guard.begin("a", "pc1", 2.0)
    # A flood of fresh staff ids from many sources (one try each) overflows the table: what it
    # drops are the least failed, not the lock-out (the old table was cleared at 10,000 ids).
    for n in range(30):
        guard.begin(f"x{n}", f"pc-{n}", 3.0)
    with pytest.raises(HallQError):
        guard.begin("a", "pc1", 4.0)
    guard.begin("a", "pc1", 61.0)  # the first failure left the window: one more try
    # A right password forgives that id from that source.
    other = LoginGuard(per_account=2)
    other.begin("b", "pc1", 0.0)
    other.succeeded("b", "pc1", 0.0)
    other.begin("b", "pc1", 1.0)
    other.begin("b", "pc1", 2.0)
    with pytest.raises(HallQError):
        other.begin("b", "pc1", 3.0)


async def test_guesses_through_a_hand_over_count_with_the_sign_in(hub: Hub) -> None:
    """Tried: five wrong PINs for staff02 through 交接 (POST /windows/W19/hand-over) on staff01's
    pad, then the sign-in page from the same PC. Seen: five more guesses allowed there (each route
    counted its own), ten tries at a 4-digit PIN. Kept: the sign-in is refused (429) with the wait
    in whole minutes as the hub will keep it (5分钟, not 6)."""
    staff01 = hub.auth("staff01")
    assert (await hub.client.post("/api/v1/windows/W19/login", json={}, headers=staff01)).status == 200
    for n in range(5):
        wrong = await hub.client.post("/api/v1/windows/W19/hand-over", json={"staff_id": "staff02", "password": f"99{n:02d}"},
                                      headers=staff01)
        assert wrong.status == 403
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{hub.base_url}/api/v1/auth/login", json={"username": "staff02", "password": HUB_PASSWORD}) as r:
            error = (await r.json())["error"]
            assert (r.status, error["code"]) == (429, "locked_out")
    assert error["message"] == "密码错误次数过多，请5分钟后再试" and 290 <= error["details"]["retry_after_s"] <= 301
