"""What each hall action writes: the tables and indexes whose pages its commit puts in the WAL.

On SQLite a commit writes every changed page to the WAL, two system calls each, and that was the
largest single cost of a call (docs/benchmarks.md). Wall-clock limits have no place in tests on
these machines, but the set of b-trees an action changes is exact: this test fails when a change
makes issuing, calling or finishing write a table or index it did not write before (a new index on
tickets or events, a table written in the hot path), so the cost is a decision, not an accident.

Tried: issue, call-next and finish on a database with a few hundred tickets, the WAL read frame by
frame after each and every frame's page named through SQLite's dbstat table.
Kept: exactly the b-trees listed below; the ledger of intervals is not among them (derived later).
"""
from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import pytest

from server.engine.views import IssueRequest
from server.engine.engine import QueueEngine
from server.events import EventBus
from server.storage.db import open_database, upgrade
from tests.conftest import at

EVENT = {"ticket_events", "ix_ticket_events_ticket"}  # not the index of window-day kinds (0007)
EXPECTED = {
    "issue": {"tickets", "sqlite_autoindex_tickets_1", "sqlite_autoindex_tickets_2", "sqlite_autoindex_tickets_3",
              "ix_tickets_day_number", "ix_tickets_queue_line", "day_counters", "queue_day_counts"} | EVENT,
    "call": {"tickets", "ix_tickets_queue_line", "ix_tickets_day_window", "queue_day_counts", "window_states"} | EVENT,
    "finish": {"tickets", "queue_day_counts", "window_states"} | EVENT,  # the window index keys the call, not the status
}


def wal_pages(wal: Path) -> list[int]:
    """Page numbers of the WAL's current frames, in order (the WAL format: a 32-byte header, then
    frames of a 24-byte header, whose first field is the page number, and one page). Frames left
    from before the WAL last restarted carry other salts and are not counted."""
    data = wal.read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    pages, offset = [], 32
    while offset + 24 + page_size <= len(data) and data[offset + 8 : offset + 16] == salts:
        pages.append(struct.unpack(">I", data[offset : offset + 4])[0])
        offset += 24 + page_size
    return pages


async def test_each_action_writes_only_its_own_tables_and_indexes(tmp_path, hall_config, clock) -> None:
    path = tmp_path / "hall.db"
    database = open_database(f"sqlite:///{path}")
    database.checkpoint_every_s = 3600  # no checkpoint may restart the WAL between two readings
    await upgrade(database)
    engine = QueueEngine(database, hall_config, clock, EventBus(), secret=b"pages")
    try:
        clock.set(at("09:00"))
        await engine.login("W1", "s1")
        for i in range(300):  # a day under way: the b-trees span several pages
            await engine.issue(IssueRequest(queue="A1"))
            if i % 3 == 0:
                await engine.call_next("W1")
                await engine.finish("W1")
        names = {}
        with sqlite3.connect(path) as conn:
            try:
                names = dict(conn.execute("SELECT pageno, name FROM dbstat"))
            except sqlite3.OperationalError:
                pytest.skip("this SQLite has no dbstat table")
        wal = Path(f"{path}-wal")
        written = {}
        for action, act in (("issue", lambda: engine.issue(IssueRequest(queue="A1"))),
                            ("call", lambda: engine.call_next("W1")), ("finish", lambda: engine.finish("W1"))):
            before = len(wal_pages(wal))
            await act()
            pages = wal_pages(wal)[before:]
            assert pages, f"{action} committed nothing"
            with sqlite3.connect(path) as conn:  # new pages of a growing file are named too
                names.update(conn.execute("SELECT pageno, name FROM dbstat"))
            # Page 1 (sqlite_schema) holds the file's size: written whenever the file grows.
            written[action] = {names.get(page, f"page {page}") for page in pages} - {"sqlite_schema"}
        assert written == EXPECTED
    finally:
        await database.close()
