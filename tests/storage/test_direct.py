"""The SQLite direct path returns what SQLAlchemy returns, value for value and type for type.

Tried: every statement marked `direct()` in server/storage/statements.py, plus the engine's ticket
updates, on a day with issued, called, finished, transferred and no-show tickets; a duplicate key;
a missing parameter. Kept: identical rows (dates as dates, booleans as booleans, JSON decoded),
identical row counts, SQLAlchemy's own IntegrityError, and a missing parameter refused rather than
bound as NULL.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, exc
from sqlalchemy.engine import Connection
from sqlalchemy.sql.base import Executable

from server.engine.idempotency import stored_key
from server.engine.views import IssueRequest
from server.storage import statements as sql
from server.storage.direct import DirectConnection, direct
from server.storage.schema import tickets
from tests.conftest import THURSDAY, at


def rows_of(result: Any) -> list[list[tuple[str, Any, type]]]:
    return [[(k, v, type(v)) for k, v in row._mapping.items()] for row in result.all()]


@pytest.fixture
def database_url(tmp_path) -> str:
    """SQLite only: the direct path is SQLite's (PostgreSQL always goes through SQLAlchemy)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'hall.db'}"


@pytest.fixture
async def busy_day(engine, clock, database):
    for i, queue in enumerate(["A1", "A1", "A2", "B1", "A1"]):
        clock.set(at("09:00") + i)
        await engine.issue(IssueRequest(queue=queue, idempotency_key=f"k{i}", device="kiosk1", priority_class="elderly" if i == 4 else None))
    await engine.login("W1", "s1")
    await engine.call_next("W1")
    await engine.start("W1")
    finished = await engine.finish("W1")
    await engine.rate(finished.id, 5)
    await engine.call_next("W1")
    await engine.login("W2", "s2")  # a case is sent only to a window someone is at
    await engine.pause("W2", "meeting")  # (paused: not counted as open)
    await engine.transfer("W1", "window", "W2")
    await engine.login("W3", "s3")
    await engine.call_next("W3")
    await engine.no_show("W3")
    return database


PARAMS = {
    "TICKET_BY_ID": {"tid": 2},
    "TICKET_BY_NUMBER": {"day": THURSDAY, "number": "A1002"},
    "TICKET_BY_IDEMPOTENCY_KEY": {"key": stored_key("kiosk1", "k1"), "legacy": "kiosk1:k1"},
    "ISSUED_IN_QUEUE": {"day": THURSDAY, "prefix": "A1"},
    "ISSUED_FOR_ITEM": {"day": THURSDAY, "item": "430224000001"},
    "ISSUED_TO_PERSON": {"day": THURSDAY, "person": "nobody"},
    "WINDOW_STATE": {"window": "W1"},
    "LINE_SORT_KEYS": {"day": THURSDAY, "queue": "A1", "priority": 0, "n": 2},
    "PEOPLE_AHEAD": {"day": THURSDAY, "queue": "A1", "priority": 0, "sort_key": at("09:00") + 10, "tid": 99},
    "LINE_BEHIND": {"day": THURSDAY, "queue": "A1", "priority": 0, "sort_key": at("09:00") + 10, "tid": 99},
    "BUMP_COUNTER": {"b_day": THURSDAY, "b_prefix": "A1"},
    "SET_CURRENT_TICKET": {"window": "W3", "tid": 4},
    "INSERT_COUNTER": {"hall_day": THURSDAY, "prefix": "ZZ", "last_seq": 1},
    "INSERT_TICKET": {"hall_day": THURSDAY, "prefix": "A1", "seq": 90, "number": "A1090", "queue": "A1", "zone": "A",
                      "item_code": None, "status": "waiting", "priority": 1, "priority_class": "elderly",
                      "appointment_code": None, "issued_at": at("10:00"), "queued_at": at("10:00"), "sort_key": at("10:00"),
                      "leg": 1, "call_count": 0, "person_key": None, "person_masked": "4302**********1234",
                      "idempotency_key": "kiosk1:x", "device": "kiosk1", "auto_closed": False, "status_token": "tok"},
    "INSERT_EVENT": {"at": at("10:00"), "hall_day": THURSDAY, "kind": "ticket.test", "ticket_id": 1, "number": "A1001",
                     "zone": "A", "queue": "A1", "window_id": None, "staff_id": None, "payload": {"说明": "测试", "n": [1, 2]}},
}


def each_way(path: str, act: Callable[[Any, Connection], Any]) -> tuple[Any, Any]:
    """`act(connection, raw connection)` through SQLAlchemy, then through the direct path, each in
    a transaction rolled back: (SQLAlchemy's answer, the direct path's answer)."""
    engine = create_engine(f"sqlite:///{path}")
    answers = []
    try:
        for wrap in (lambda c: c, lambda c: DirectConnection(c, {})):
            with engine.connect() as conn:
                with conn.begin() as txn:
                    answers.append(act(wrap(conn), conn))
                    txn.rollback()
    finally:
        engine.dispose()
    return answers[0], answers[1]


def both_ways(path: str, statement: Any, params: dict[str, Any]) -> tuple[Any, Any]:
    """Rows and row count of `statement` both ways."""

    def answer(conn: Any, _: Connection) -> tuple[Any, Any]:
        result = conn.execute(statement, params)
        returns_rows = bool(statement.exported_columns)
        # Row counts of DML with RETURNING differ: SQLAlchemy reads sqlite3's before the rows are
        # stepped through (0), the direct path counts the rows returned.
        counted = result.rowcount if not (returns_rows and not hasattr(statement, "selected_columns")) else None
        return (rows_of(result) if returns_rows else [], counted)

    return each_way(path, answer)


@pytest.mark.parametrize("name", sorted(PARAMS))
async def test_direct_statement_answers_like_sqlalchemy(busy_day, name: str) -> None:
    statement = getattr(sql, name)
    path = busy_day.sync_engine.url.database
    expected, got = both_ways(path, statement, PARAMS[name])
    assert got == expected
    if name in ("TICKET_BY_ID", "TICKET_BY_IDEMPOTENCY_KEY", "LINE_SORT_KEYS"):
        assert expected[0], "a statement that finds its row (else the comparison proves little)"


@pytest.mark.parametrize("windows", [["W1", "W2", "W3"], ["W2"], []])
async def test_queue_figures_answer_like_sqlalchemy(busy_day, windows: list[str]) -> None:
    """The per-queue statement the engine builds for each queue (windows spelled out, or none)."""
    path = busy_day.sync_engine.url.database
    expected, got = both_ways(path, sql.queue_figures(windows), {"day": THURSDAY, "queue": "A1"})
    assert got == expected
    in_line, finished, _, open_windows = (value for _, value, _ in expected[0][0])
    assert finished >= 1 and open_windows == (2 if windows == ["W1", "W2", "W3"] else 0), expected


@pytest.mark.parametrize("queues", [["A1"], ["A1", "A2", "B1"], []])
async def test_heads_of_lines_answer_like_sqlalchemy(busy_day, queues: list[str]) -> None:
    """The per-window statement the engine builds (queues as literal-valued parameters): the same
    heads both ways, one per line that has one, the window's own line last."""
    path = busy_day.sync_engine.url.database
    expected, got = both_ways(path, sql.heads_of_lines(queues), {"day": THURSDAY, "window": "W2"})
    assert got == expected
    arms = [dict((k, v) for k, v, _ in row)["arm"] for row in expected[0]]
    # busy_day leaves A1 and A2 waiting and one ticket sent to W2; B1's only ticket was called.
    assert arms == {1: [0, 1], 3: [0, 1, 3], 0: [0]}[len(queues)], expected


async def test_dates_bind_as_sqlalchemy_binds_them(busy_day) -> None:
    """Dates bind through date.isoformat() on the direct path; a datetime (a date subclass) still
    goes through SQLAlchemy's own processor, and both find the same ticket."""
    from datetime import datetime

    path = busy_day.sync_engine.url.database
    for day in (THURSDAY, datetime.combine(THURSDAY, datetime.min.time())):
        expected, got = both_ways(path, sql.TICKET_BY_NUMBER, {"day": day, "number": "A1002"})
        assert got == expected and len(expected[0]) == 1, day


def test_every_marked_statement_has_a_comparison() -> None:
    marked = {n for n in dir(sql) if isinstance(getattr(sql, n), Executable)
              and getattr(sql, n).get_execution_options().get("hallq_direct")}
    assert marked == set(PARAMS)


async def test_ticket_update_with_returning_answers_like_sqlalchemy(busy_day) -> None:
    from sqlalchemy import bindparam, update

    statement = direct(
        update(tickets).where(tickets.c.id == bindparam("_tid"))
        .values(status=bindparam("_v_status"), printed=bindparam("_v_printed")).returning(*tickets.c)
    )
    expected, got = both_ways(busy_day.sync_engine.url.database, statement, {"_tid": 2, "_v_status": "cancelled", "_v_printed": True})
    assert got == expected
    assert dict((k, v) for k, v, _ in expected[0][0])["printed"] is True


async def test_driver_errors_keep_sqlalchemys_types_and_missing_parameters_are_refused(busy_day) -> None:
    def duplicate_counter(conn: Connection) -> None:
        conn.execute(sql.INSERT_COUNTER, {"hall_day": THURSDAY, "prefix": "A1", "last_seq": 1})

    with pytest.raises(exc.IntegrityError):
        await busy_day.write(duplicate_counter)
    with pytest.raises(KeyError, match="tid"):
        await busy_day.write(lambda conn: conn.execute(sql.TICKET_BY_ID, {}).first())
    # The writer carries on after both.
    count = await busy_day.write(lambda conn: conn.execute(sql.ISSUED_IN_QUEUE, {"day": THURSDAY, "prefix": "A1"}).scalar())
    assert count == 3


async def test_a_null_json_payload_is_stored_as_sqlalchemy_stores_it(busy_day) -> None:
    """Bind processors run for None too (JSON's turns None into 'null' unless told otherwise)."""
    params = dict(PARAMS["INSERT_EVENT"], payload=None, kind="ticket.null")

    def store(conn: Any, raw: Connection) -> list[Any]:
        conn.execute(sql.INSERT_EVENT, params)
        return raw.exec_driver_sql("SELECT payload FROM ticket_events WHERE kind = 'ticket.null'").all()

    expected, got = each_way(busy_day.sync_engine.url.database, store)
    assert got == expected and len(expected) == 1
