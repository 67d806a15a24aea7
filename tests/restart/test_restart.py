"""Restart safety: kill the hub process mid-load (SIGKILL), restart it, and lose nothing.

Tried: eight kiosks issue tickets as fast as they can against a real `hallq serve` process while a
staff member calls and serves at a window; the process is killed without warning in the middle.
Kept: every ticket the hub acknowledged is in the database after the restart, with its
`ticket.issued` event; no number repeats, and the numbers issued after the restart continue
where the acknowledged ones stopped; the window's called ticket is still at the window.
"""
from __future__ import annotations

import asyncio

import aiohttp

from tests.hub_process import HubProcess


async def test_kill_mid_load_loses_no_acknowledged_ticket(hub_process: HubProcess) -> None:
    kiosk = hub_process.cli("device", "add", "kiosk-1", "--role", "kiosk")
    hub_process.cli("user", "add", "staff01", "--role", "staff")
    await hub_process.start()
    acknowledged: dict[int, str] = {}
    kiosk_headers = {"Authorization": f"Bearer {kiosk}"}

    async with aiohttp.ClientSession() as session:
        async with session.post(f"{hub_process.url}/api/v1/auth/login", json={"username": "staff01", "password": "pass-1234"}) as r:
            staff = {"Authorization": f"Bearer {(await r.json())['token']}"}
        async with session.post(f"{hub_process.url}/api/v1/windows/W19/login", json={}, headers=staff) as r:
            assert r.status == 200
        async with session.post(f"{hub_process.url}/api/v1/tickets", json={"queue": "C1"}, headers=kiosk_headers) as r:
            assert r.status == 201
        async with session.post(f"{hub_process.url}/api/v1/windows/W19/call-next", headers=staff) as r:
            called = (await r.json())["ticket"]

        async def kiosk_loop(k: int) -> None:
            for i in range(10_000):
                try:
                    async with session.post(
                        f"{hub_process.url}/api/v1/tickets", json={"queue": "D1"},
                        headers=kiosk_headers | {"Idempotency-Key": f"k{k}-{i}"},
                    ) as r:
                        body = await r.json()
                        if r.status == 201:
                            acknowledged[body["ticket"]["id"]] = body["ticket"]["number"]
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    return

        loops = [asyncio.create_task(kiosk_loop(k)) for k in range(8)]
        while len(acknowledged) < 150:
            await asyncio.sleep(0.02)
        hub_process.kill()
        await asyncio.gather(*loops)

    assert len(acknowledged) >= 150
    await hub_process.start()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{hub_process.url}/api/v1/auth/login", json={"username": "staff01", "password": "pass-1234"}) as r:
            staff = {"Authorization": f"Bearer {(await r.json())['token']}"}
        async with session.get(f"{hub_process.url}/api/v1/tickets?queue=D1", headers=staff) as r:
            stored = {t["id"]: t["number"] for t in await r.json()}
        for ticket_id, number in list(acknowledged.items())[:: max(1, len(acknowledged) // 20)]:
            async with session.get(f"{hub_process.url}/api/v1/tickets/{ticket_id}/events", headers=staff) as r:
                assert (await r.json())[0]["kind"] == "ticket.issued", number
        async with session.get(f"{hub_process.url}/api/v1/windows/W19") as r:
            window = await r.json()
        async with session.post(f"{hub_process.url}/api/v1/tickets", json={"queue": "D1"}, headers=kiosk_headers) as r:
            after = (await r.json())["ticket"]["number"]

    for ticket_id, number in acknowledged.items():
        assert stored.get(ticket_id) == number, f"acknowledged {number} was lost"
    assert len(set(stored.values())) == len(stored), "a number repeats"
    assert int(after[2:]) == max(int(n[2:]) for n in stored.values()) + 1
    assert after not in stored.values()
    assert window["current_ticket"]["number"] == called["number"] and window["state"] == "called"
