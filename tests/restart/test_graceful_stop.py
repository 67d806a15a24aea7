"""A hub told to stop (SIGTERM, as systemd does) with boards and pads listening.

Tried: a real `hallq serve` with two zone boards' event streams and a staff pad's stream open and
quiet, then SIGTERM. Kept: each stream is closed by the hub with 1001 going away and the message
that tells the client to reconnect with `since` (aiohttp's graceful shutdown waited instead for
each quiet handler to end by itself, 30 s turns, and the hub took 45 s and more to stop, with no
hall service meanwhile); the process exits with status 0; after a restart a board reconnecting
with `since` gets the call it missed while the hub was down.
"""
from __future__ import annotations

import json
import signal

import aiohttp

from server.api.event_stream import SHUTDOWN_MESSAGE
from tests.hub_process import HubProcess



async def test_sigterm_closes_open_streams_and_a_board_catches_up_after_the_restart(hub_process: HubProcess) -> None:
    board = {"Authorization": f"Bearer {hub_process.cli('device', 'add', 'board-C', '--role', 'display', '--zone', 'C')}"}
    kiosk = {"Authorization": f"Bearer {hub_process.cli('device', 'add', 'kiosk-1', '--role', 'kiosk')}"}
    hub_process.cli("user", "add", "staff01", "--role", "staff")
    await hub_process.start()
    url = hub_process.url
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/api/v1/auth/login", json={"username": "staff01", "password": "pass-1234"}) as r:
            staff = {"Authorization": f"Bearer {(await r.json())['token']}"}
        streams = [
            await session.ws_connect(f"{url}/api/v1/events?zone=C", headers=board),
            await session.ws_connect(f"{url}/api/v1/events?zone=C", headers=board),
            await session.ws_connect(f"{url}/api/v1/events?window=W19", headers=staff),
        ]
        hellos = [json.loads((await ws.receive()).data) for ws in streams]
        assert [h["type"] for h in hellos] == ["hello"] * 3
        last_seq = hellos[0]["last_seq"]

        assert hub_process.process is not None
        hub_process.process.send_signal(signal.SIGTERM)
        closes = [await ws.receive(timeout=60) for ws in streams]
        assert [(c.type, c.data, c.extra) for c in closes] == [
            (aiohttp.WSMsgType.CLOSE, aiohttp.WSCloseCode.GOING_AWAY, SHUTDOWN_MESSAGE.decode())] * 3
        assert hub_process.process.wait(timeout=60) == 0
        for ws in streams:
            await ws.close()

        await hub_process.start()  # restarted; the board was away when this was called
        async with session.post(f"{url}/api/v1/windows/W19/login", json={}, headers=staff) as r:
            assert r.status == 200
        async with session.post(f"{url}/api/v1/tickets", json={"queue": "C1"}, headers=kiosk) as r:
            number = (await r.json())["ticket"]["number"]
        async with session.post(f"{url}/api/v1/windows/W19/call-next", headers=staff) as r:
            assert (await r.json())["ticket"]["number"] == number
        async with session.ws_connect(f"{url}/api/v1/events?zone=C&since={last_seq}", headers=board) as ws:
            replayed = []
            while (message := json.loads((await ws.receive(timeout=30)).data))["type"] != "hello":
                replayed.append(message)
        assert [(e["number"], e["window_id"]) for e in replayed if e["kind"] == "ticket.called"] == [(number, "W19")]
