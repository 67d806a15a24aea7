"""A full disk under the hub's SQLite database.

Tried: the database's room used up while a kiosk issues tickets through the API (SQLite's
max_page_count on every writer connection: SQLite then answers SQLITE_FULL, "database or disk is
full", exactly as when the file system is full), a window calling while it is full, then room
again, without restarting the hub; the kiosk's retry with the same idempotency key.
Kept: every ticket the kiosk was told about (201) is in the database with its event; each refused
request answers 503 `storage_full` with a Chinese message, and nothing of it is stored (no ticket,
no event, the day's numbering not advanced); the technician's log names the database; once there
is room the retried request gets the next number (once: a later request gets the one after), so
no number is skipped or repeated.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import event, func, select

from server.api.keys import DATABASE
from server.hub_client import HubClient, HubError, IssueSpec, RetryPolicy
from server.storage.schema import ticket_events, tickets
from tests.board.hall_actions import issue


async def counts(database) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return await database.read(lambda c: (
        c.execute(select(func.count()).select_from(tickets)).scalar_one(),
        c.execute(select(func.count()).select_from(ticket_events).where(ticket_events.c.kind == "ticket.issued")).scalar_one(),
    ))


async def test_a_full_disk_refuses_the_action_keeps_the_rest_and_the_hub_recovers(hub, caplog) -> None:
    database = hub.app[DATABASE]
    assert database.sync_engine is not None
    room = {"pages": None}

    def limit(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        if room["pages"] is not None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {room['pages']}")

    event.listen(database.sync_engine, "connect", limit)
    first = await issue(hub, "A1")
    pages = await database.read(lambda c: c.exec_driver_sql("PRAGMA page_count").scalar_one())
    room["pages"] = pages + 2
    await database.write(lambda c: c.exec_driver_sql(f"PRAGMA max_page_count = {room['pages']}"))

    issued, refused = [first], None
    caplog.set_level(logging.INFO, logger="server.storage.db")
    for n in range(2000):
        response = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers={
            **hub.auth("kiosk"), "Idempotency-Key": f"full-{n}"})
        body = await response.json()
        if response.status == 201:
            issued.append(body["ticket"]["number"])
            continue
        refused = (response.status, body["error"])
        break
    assert refused is not None, "the disk never filled up"
    status, error = refused
    assert (status, error["code"]) == (503, "storage_full")
    assert error["message"] == "服务器存储空间已满，本次操作未保存，请联系工作人员"
    assert any("disk full" in r.getMessage() and "hallq.db" in r.getMessage() for r in caplog.records)
    assert await counts(database) == (len(issued), len(issued)), "every acknowledged ticket, nothing of the refused one"

    # Still full: the kiosk's retry (same idempotency key) is refused again, as nothing was kept;
    # the kiosk's own client, after its retries, says what the hub said rather than "unreachable".
    retry = {**hub.auth("kiosk"), "Idempotency-Key": f"full-{len(issued) - 1}"}
    response = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=retry)
    assert (response.status, (await response.json())["error"]["code"]) == (503, "storage_full")
    policy = RetryPolicy(attempts=3, first_delay_s=0.01, max_delay_s=0.02, timeout_s=5)
    async with HubClient(hub.base_url, hub.tokens["kiosk"], policy) as kiosk:
        with pytest.raises(HubError) as refused_to_kiosk:
            await kiosk.issue(IssueSpec(queue="A1"), f"full-{len(issued) - 1}")
    assert (refused_to_kiosk.value.status, refused_to_kiosk.value.code) == (503, "storage_full")
    assert refused_to_kiosk.value.message_zh == error["message"]

    # A monitor learns it: health said ok (its reads went on) while every write was refused.
    health = await hub.client.get("/api/v1/health")
    assert (health.status, (await health.json())["status"]) == (503, "storage_full")

    room["pages"] = None  # room again: new writer connections have no limit
    await database.write(lambda c: c.exec_driver_sql("PRAGMA max_page_count = 1073741823"))
    response = await hub.client.post("/api/v1/tickets", json={"queue": "A1"}, headers=retry)
    assert response.status == 201
    after = (await response.json())["ticket"]["number"]
    assert int(after[2:]) == int(issued[-1][2:]) + 1, (issued[-1], after)
    assert await counts(database) == (len(issued) + 1, len(issued) + 1)
    assert await issue(hub, "A1") == f"A1{int(after[2:]) + 1:03d}"
    assert (await hub.client.get("/api/v1/health")).status == 200  # a write went through: over

    # Said once, not per refused write (an ERROR each was ~600 lines a second), and once that it is over.
    said = [r for r in caplog.records if r.name == "server.storage.db"]
    assert [r.levelno for r in said] == [logging.ERROR, logging.INFO], [r.getMessage() for r in said]
    assert "has room again" in said[1].getMessage() and "5 actions refused" in said[1].getMessage(), said[1].getMessage()
