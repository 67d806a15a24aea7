"""PostgreSQL unreachable under a running hub, and back.

Tried: a real `hallq serve` on PostgreSQL through a loopback proxy; the proxy cut (every open
connection closed, every new one accepted and dropped, as a failed switch or a stopped server
does) while a kiosk keeps issuing and a monitor polls the health check; then the proxy restored.
It was: 500 `internal` everywhere, /health included, and a traceback in the log per request.
Kept: each action answers 503 `database_unavailable` with the Chinese message, /health 503 with
status `database_down`; the log says it once (a WARNING, no traceback) however many requests
came, and once (INFO) that it is back; the next request after goes through; every ticket the
kiosk was told about (201) is in the database, no refused one is, and numbering runs on without
a gap.
"""
from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from server.errors import HallQError
from server.storage.db import open_database
from tests.conftest import PG_ADMIN_URL
from tests.hub_process import HubProcess
from tests.kiosk.proxy import FaultyProxy

pytestmark = pytest.mark.postgres
UNAVAILABLE_ZH = "数据库暂时无法连接，本次操作未保存，请稍后再试"


async def _post_issue(session: aiohttp.ClientSession, hub: HubProcess, token: str, key: str) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{hub.url}/api/v1/tickets", json={"queue": "A1"},
                            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}) as r:
        return r.status, await r.json()


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with session.get(url) as r:
        return r.status, await r.json()


async def _numbers_stored(name: str) -> list[str]:
    conn = await asyncpg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        return [row["number"] for row in await conn.fetch("SELECT number FROM tickets ORDER BY id")]
    finally:
        await conn.close()


async def test_an_unreachable_database_is_a_503_said_once_and_the_hub_carries_on_when_it_is_back(
        tmp_path: Path, pg_database: str) -> None:
    proxy = await FaultyProxy("127.0.0.1", 5432).start()
    hub = HubProcess(tmp_path, db=f"postgresql://postgres@127.0.0.1:{proxy.port}/{pg_database}")
    try:
        token = await asyncio.to_thread(hub.cli, "device", "add", "kiosk-1", "--role", "kiosk")
        await hub.start()
        async with aiohttp.ClientSession() as session:
            acknowledged = []
            for n in range(3):
                status, body = await _post_issue(session, hub, token, f"before-{n}")
                assert status == 201, body
                acknowledged.append(body["ticket"]["number"])
            lines_before = len(hub.log_lines())

            proxy.refuse = True
            proxy.cut_all()
            refused_keys = []
            for n in range(150):
                status, body = await _post_issue(session, hub, token, f"during-{n}")
                assert (status, body["error"]["code"], body["error"]["message"]) == (503, "database_unavailable", UNAVAILABLE_ZH)
                refused_keys.append(f"during-{n}")
                status, body = await _get(session, f"{hub.url}/api/v1/health")
                assert (status, body["status"], body["error"]["code"]) == (503, "database_down", "database_unavailable")
                status, body = await _get(session, f"{hub.url}/api/v1/queues")
                assert (status, body["error"]["code"]) == (503, "database_unavailable")
            during = hub.log_lines()[lines_before:]
            assert len(during) <= 5, "450 refused requests, a handful of lines:\n" + "\n".join(during)
            assert not any("Traceback" in line for line in during), during
            said = [line for line in during if "unreachable" in line]
            assert len(said) == 1 and " WARNING " in said[0], during

            proxy.refuse = False
            status, body = await _post_issue(session, hub, token, refused_keys[-1])
            assert status == 201, body
            acknowledged.append(body["ticket"]["number"])
            assert (await _get(session, f"{hub.url}/api/v1/health"))[0] == 200
            back = [line for line in hub.log_lines()[lines_before:] if "answers again:" in line]
            assert len(back) == 1 and " INFO " in back[0], back
            assert int(re.search(r"(\d+) actions refused meanwhile", back[0])[1]) >= 450, back  # type: ignore[index]

        assert await _numbers_stored(pg_database) == acknowledged
        assert [int(number[2:]) for number in acknowledged] == list(range(1, len(acknowledged) + 1))
    finally:
        await asyncio.to_thread(hub.stop)  # its shutdown goes through the proxy on this loop
        await proxy.stop()


async def test_a_refused_connection_is_database_unavailable_not_an_internal_error(pg_database: str) -> None:
    """Tried: the database's port closed (nothing listening: connection refused) under an open
    Database, a read and a write. Kept: both are the 503 refusal, which the API answers as such."""
    proxy = await FaultyProxy("127.0.0.1", 5432).start()
    database = open_database(f"postgresql://postgres@127.0.0.1:{proxy.port}/{pg_database}")
    try:
        assert await database.read(lambda conn: conn.exec_driver_sql("SELECT 1").scalar_one()) == 1
        await proxy.stop()
        for action in (database.read, database.write):
            with pytest.raises(HallQError) as refused:
                await action(lambda conn: conn.exec_driver_sql("SELECT 1").scalar_one())
            assert (refused.value.code, refused.value.status) == ("database_unavailable", 503)
    finally:
        await database.close()
