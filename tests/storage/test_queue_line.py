"""The queue line: people ahead and the head of a queue read a small partial index.

Tried: a queue with ordinary and green-channel tickets, several issued in the same clock tick, one
sent to a particular window and one called away; counted again after history piles up.
Kept: every waiting ticket's people-ahead equals its place in the call order (priority, then FIFO,
then issue order), tickets sent to one window are not in the queue's line, and on SQLite the count
reads ix_tickets_queue_line alone, so it does not grow with history or with other queues.
"""
from __future__ import annotations

import sqlite3

from sqlalchemy.dialects import sqlite

from server.engine.views import IssueRequest
from server.storage import statements as sql
from server.storage.db import open_database, upgrade
from tests.conftest import at


async def test_people_ahead_is_the_place_in_the_call_order(engine, clock) -> None:
    plan = ["", "elderly", "", "", "pregnant", "", "elderly"]
    issued = []
    for i, priority in enumerate(plan):
        clock.set(at("09:00") + (i // 2))  # pairs share a clock tick
        issued.append(await engine.issue(IssueRequest(queue="A1", priority_class=priority or None)))
    await engine.login("W1", "s1")
    called = await engine.call_next("W1")  # the first green-channel ticket leaves the line
    await engine.login("W2", "s2")  # a case is sent only to a window someone is at
    await engine.pause("W2", "meeting")  # (paused: not counted as open)
    await engine.transfer("W1", "window", "W2", "needs window 2")  # sent to W2: out of A1's line

    waiting = [t.ticket for t in issued if t.ticket.id != called.id]
    order = sorted(waiting, key=lambda t: (-int(t.priority), t.issued_at, t.id))
    for place, ticket in enumerate(order):
        status = await engine.ticket_status(ticket.status_token)
        assert status.people_ahead == place, (ticket.number, place)


async def test_people_ahead_reads_only_the_queue_line_index(tmp_path) -> None:
    """The count's plan on a database built by the migrations: searches of the partial line index
    alone, never a scan of the table (the heads of lines: the test after the next ones)."""
    path = tmp_path / "plan.db"
    database = open_database(f"sqlite:///{path}")
    await upgrade(database)
    await database.close()
    conn = sqlite3.connect(path)
    text = str(sql.PEOPLE_AHEAD.compile(dialect=sqlite.dialect()))
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + text, [1] * text.count("?"))]
    searches = [step for step in plan if step.startswith(("SEARCH", "SCAN")) and step != "SCAN CONSTANT ROW"]
    assert searches and all(step.startswith("SEARCH tickets USING COVERING INDEX ix_tickets_queue_line") for step in searches), plan


async def test_no_hot_statement_scans_a_table(tmp_path) -> None:
    """Every prebuilt statement of the engine's hot path searches an index (on a database built by
    the migrations): none reads a whole table, so issuing and calling stay flat as history grows."""
    from sqlalchemy.sql.expression import Delete, Select, Update

    path = tmp_path / "plan.db"
    database = open_database(f"sqlite:///{path}")
    await upgrade(database)
    await database.close()
    conn = sqlite3.connect(path)
    checked = []
    for name in dir(sql):
        statement = getattr(sql, name)
        if not isinstance(statement, (Select, Update, Delete)):
            continue
        text = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True}))
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + text, [1] * text.count("?"))]
        scans = [step for step in plan if step.startswith("SCAN") and step != "SCAN CONSTANT ROW"]
        assert not scans, (name, plan)
        checked.append(name)
    assert {"PEOPLE_AHEAD", "TICKET_BY_IDEMPOTENCY_KEY", "BUMP_COUNTER", "LINE_BEHIND"} <= set(checked)


async def test_statements_read_the_partial_index_made_for_them(tmp_path) -> None:
    """Indexes that hold only some tickets (migration 0004) are still the ones their statements
    read: an equality on the column implies IS NOT NULL, and the literal conditions match. Were a
    statement to fall back to the day index, it would read every ticket of the day."""
    path = tmp_path / "plan.db"
    database = open_database(f"sqlite:///{path}")
    await upgrade(database)
    await database.close()
    conn = sqlite3.connect(path)
    expected = {
        "ISSUED_FOR_ITEM": "COVERING INDEX ix_tickets_day_item",
        "ISSUED_TO_PERSON": "COVERING INDEX ix_tickets_day_person",
        "LINE_BEHIND": "COVERING INDEX ix_tickets_queue_line",
        "LINE_SORT_KEYS": "COVERING INDEX ix_tickets_queue_line",
    }
    for name, index in expected.items():
        text = str(getattr(sql, name).compile(dialect=sqlite.dialect()))
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + text, [1] * text.count("?"))]
        assert any(step.startswith("SEARCH tickets USING " + index) for step in plan), (name, plan)
        # The heads of lines are read in call order off their index: a sort, even of no rows,
        # cost three times the lookup itself inside the hub's write transactions.
        assert not any("TEMP B-TREE" in step for step in plan), (name, plan)


async def test_the_heads_of_a_windows_lines_are_read_off_their_covering_indexes(tmp_path) -> None:
    """The one statement that finds the heads of all a window's lines: every arm a search of its
    line's covering index, read in call order (no sort), whatever the number of queues."""
    path = tmp_path / "plan.db"
    database = open_database(f"sqlite:///{path}")
    await upgrade(database)
    await database.close()
    conn = sqlite3.connect(path)
    for queues in (["A1"], ["A1", "A2", "B1"]):
        text = str(sql.heads_of_lines(queues).compile(dialect=sqlite.dialect()))
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + text, [1] * text.count("?"))]
        searches = [step for step in plan if step.startswith("SEARCH")]
        assert searches == ["SEARCH tickets USING COVERING INDEX ix_tickets_queue_line (hall_day=? AND queue=?)"] * len(queues) + [
            "SEARCH tickets USING COVERING INDEX ix_tickets_day_target (hall_day=? AND target_window=? AND status=?)"
        ], plan
        # Other steps only walk the one-row subqueries.
        assert all(step.startswith(("SEARCH", "SCAN line_", "CO-ROUTINE line_", "COMPOUND", "LEFT-MOST", "UNION ALL")) for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan


async def test_a_waiting_ticket_enters_only_the_indexes_it_has_values_for(tmp_path) -> None:
    """What 0004 is for: a ticket issued by queue, with no person, item or window yet, is in the
    day, number, unique and line indexes and in none of the partial ones until it has the value."""
    path = tmp_path / "entries.db"
    database = open_database(f"sqlite:///{path}")
    await upgrade(database)
    await database.close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO tickets (hall_day, prefix, seq, number, queue, zone, status, priority, issued_at, queued_at,"
        " sort_key, leg, call_count, auto_closed, status_token) VALUES"
        " ('2026-11-26', 'A1', 1, 'A1001', 'A1', 'A', 'waiting', 0, 1, 1, 1, 1, 0, 0, 't1')"
    )

    def entries(index: str) -> int:
        # INDEXED BY makes SQLite read that index (or refuse the query), so the count is its own.
        where = {"ix_tickets_day_person": "person_key IS NOT NULL", "ix_tickets_day_item": "item_code IS NOT NULL",
                 "ix_tickets_day_window": "window_id IS NOT NULL", "ix_tickets_day_target": "target_window IS NOT NULL",
                 }[index]
        return conn.execute(f"SELECT count(*) FROM tickets INDEXED BY {index} WHERE hall_day = '2026-11-26' AND {where}").fetchone()[0]

    partial = ["ix_tickets_day_person", "ix_tickets_day_item", "ix_tickets_day_window", "ix_tickets_day_target"]
    assert [entries(ix) for ix in partial] == [0, 0, 0, 0]
    conn.execute("UPDATE tickets SET window_id = 'W1', status = 'finished', served_at = 2, finished_at = 3")
    assert [entries(ix) for ix in partial] == [0, 0, 1, 0]


def test_no_hot_statement_binds_a_value_a_partial_index_condition_names() -> None:
    """SQLite compares a bound value with a partial index's condition while planning, and then
    plans the statement again at every execution (measured: a lookup of an empty index cost 70 us
    instead of 8). Statuses are therefore spelled as literals in the prebuilt statements."""
    import re

    from sqlalchemy.sql.base import Executable

    offenders = []
    for name in dir(sql):
        statement = getattr(sql, name)
        if isinstance(statement, Executable):
            text = str(statement.compile(dialect=sqlite.dialect()))
            if re.search(r"tickets\.status\s*(=|IN|!=|<>)\s*\(?\?", text):
                offenders.append(name)
    assert offenders == []


async def test_the_queues_view_reads_lines_not_the_days_tickets(tmp_path) -> None:
    """Call-pads and boards read the queues view after every event: it counts the queues' lines
    and the tickets sent to one window through their partial indexes (a scan of the day's tickets
    made call-next twice as slow once a busy day had 30,000 of them)."""
    path = tmp_path / "plan.db"
    database = open_database(f"sqlite:///{path}")
    await upgrade(database)
    await database.close()
    conn = sqlite3.connect(path)
    for name, index in (("WAITING_IN_LINES", "ix_tickets_queue_line"), ("WAITING_FOR_WINDOWS", "ix_tickets_day_target")):
        text = str(getattr(sql, name).compile(dialect=sqlite.dialect()))
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + text, [1] * text.count("?"))]
        assert plan[0].startswith(f"SEARCH tickets USING INDEX {index}") or plan[0].startswith(
            f"SEARCH tickets USING COVERING INDEX {index}"
        ), (name, plan)
