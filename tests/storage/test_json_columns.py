"""Event payloads (JSON columns) written and read through orjson, on both databases.

Tried: a payload with Chinese text, nested lists, None and an integer key; a payload written the
way the stdlib's json wrote them before (Chinese as \\u escapes), straight into the table.
Kept: both read back as the same Python values (the integer key as a string, as json.dumps
did); the new one is stored as readable UTF-8 on SQLite.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select, text

from server.storage.db import Database
from server.storage.schema import ticket_events

DAY = date(2026, 11, 26)


def event_row(kind: str, payload: object) -> dict:
    return {"at": 0.0, "hall_day": DAY, "kind": kind, "ticket_id": None, "number": None, "zone": "A",
            "queue": None, "window_id": None, "staff_id": None, "payload": payload}


async def test_payloads_round_trip_and_old_escaped_ones_read_the_same(database: Database) -> None:
    payload = {"说明": "过号重排", "legs": [1, [2, None]], 3: "three", "ok": True}
    await database.write(lambda c: c.execute(insert(ticket_events), [event_row("new", payload)]))
    await database.write(lambda c: c.execute(
        text("INSERT INTO ticket_events (at, hall_day, kind, zone, payload) VALUES (0, :day, 'old', 'A', :payload)"),
        {"day": DAY, "payload": '{"\\u8bf4\\u660e": "\\u8fc7\\u53f7\\u91cd\\u6392"}'},
    ))
    rows = await database.read(lambda c: dict(c.execute(select(ticket_events.c.kind, ticket_events.c.payload)).all()))
    assert rows["new"] == {"说明": "过号重排", "legs": [1, [2, None]], "3": "three", "ok": True}
    assert rows["old"] == {"说明": "过号重排"}
    if database.is_sqlite:
        stored = await database.read(lambda c: c.execute(text("SELECT payload FROM ticket_events WHERE kind = 'new'")).scalar_one())
        assert "过号重排" in stored
