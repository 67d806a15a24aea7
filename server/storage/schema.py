"""The database schema, as SQLAlchemy Core tables.

Times are epoch seconds (float, UTC) so that dwell arithmetic is a subtraction on every backend;
`hall_day` is the hall's local calendar day and leads every hot index, so issuing, calling and
today's figures touch only today's rows however long the history grows.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("unit", String(16)),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
)
# One account per name whatever its case (`admin`, `ADMIN`): sign-in matches any case (accounts.py).
Index("uq_users_username_lower", func.lower(users.c.username), unique=True)

devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("zone", String(8)),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
)

auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("token_hash", String(128), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

day_counters = Table(
    "day_counters",
    metadata,
    Column("hall_day", Date, primary_key=True),
    Column("prefix", String(8), primary_key=True),
    Column("last_seq", Integer, nullable=False),
)

# Running figures of each queue and day, kept by triggers on tickets (migration 0005), so issuing
# reads one row instead of counting: a ticket's people-ahead count and its wait estimate were
# counts over the queue's line and over the day's finished tickets, which grow through the day.
# Triggers rather than engine code, so that no path that changes a ticket (a bulk import, the
# end-of-day close, a technician's SQL) can leave the figures behind.
queue_day_counts = Table(
    "queue_day_counts",
    metadata,
    Column("hall_day", Date, primary_key=True),
    Column("queue", String(8), primary_key=True),
    Column("in_line", Integer, nullable=False),  # waiting in the queue's line (ix_tickets_queue_line)
    Column("finished", Integer, nullable=False),  # finished, with a service start
    Column("service_seconds", Float, nullable=False),  # their summed service time
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("hall_day", Date, nullable=False),
    Column("prefix", String(8), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("number", String(16), nullable=False),
    Column("queue", String(8), nullable=False),
    Column("zone", String(8), nullable=False),
    Column("item_code", String(32)),
    Column("status", String(16), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("priority_class", String(16)),
    Column("appointment_code", String(32)),
    Column("issued_at", Float, nullable=False),
    Column("queued_at", Float, nullable=False),
    Column("sort_key", Float, nullable=False),
    Column("leg", Integer, nullable=False, default=1),
    Column("target_window", String(16)),
    Column("window_id", String(16)),
    Column("staff_id", String(64)),
    Column("called_at", Float),
    Column("call_count", Integer, nullable=False, default=0),
    Column("served_at", Float),
    Column("finished_at", Float),
    Column("outcome", String(24)),
    Column("rating", Integer),
    Column("person_key", String(64)),
    Column("person_masked", String(32)),
    Column("idempotency_key", String(128), unique=True),
    Column("device", String(64)),
    Column("printed", Boolean),
    Column("auto_closed", Boolean, nullable=False, default=False),
    Column("status_token", String(32), nullable=False, unique=True),
    UniqueConstraint("hall_day", "prefix", "seq"),
    Index("ix_tickets_day_number", "hall_day", "number"),
)


def _only_where_set(name: str, column: str, *columns: str | ColumnElement[Any]) -> Index:
    """An index of the tickets that have `column` set. Every index a new ticket enters is one more
    page written by the commit that issues it (docs/benchmarks.md: a fifth of issuing's cost went
    to indexes of columns still empty then). Queries that compare the column (`column = ?`) use the
    index on both databases: the comparison implies IS NOT NULL."""
    where = text(f"{column} IS NOT NULL")
    keys = [tickets.c[key] if isinstance(key, str) else key for key in ("hall_day", column, *columns)]
    return Index(name, *keys, sqlite_where=where, postgresql_where=where)


_only_where_set("ix_tickets_day_person", "person_key")
_only_where_set("ix_tickets_day_item", "item_code")
# A window's tickets of the day in call order (the last one dealt with is the one a pad's rating is
# for). Not keyed by status: finishing a ticket, which changes only its status, leaves it alone.
_only_where_set("ix_tickets_day_window", "window_id", "called_at")
# In call order after the equalities, so the head of a window's own line needs no sort (a sort
# cost three quarters of the lookup, even when nobody waits for the window).
_only_where_set("ix_tickets_day_target", "target_window", "status", tickets.c.priority.desc(), "sort_key", "id")

# The line of a queue: only tickets waiting in it (not those sent to one window), in call order.
# Partial, so it holds the few hundred people waiting today rather than every ticket ever issued;
# status and target_window are repeated as columns so counting the people ahead of a ticket reads
# the index alone (SQLite needs every column the query names to treat an index as covering).
# Queries must spell the partial condition with literals (`WAITING_LINE`): neither SQLite nor
# PostgreSQL's generic plans match a bound parameter against an index's WHERE.
QUEUE_LINE_WHERE = text("status = 'waiting' AND target_window IS NULL")
Index(
    "ix_tickets_queue_line",
    tickets.c.hall_day,
    tickets.c.queue,
    tickets.c.priority.desc(),
    tickets.c.sort_key,
    tickets.c.id,
    tickets.c.status,
    tickets.c.target_window,
    sqlite_where=QUEUE_LINE_WHERE,
    postgresql_where=QUEUE_LINE_WHERE,
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("hall_day", Date, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("number", String(16)),
    Column("zone", String(8)),
    Column("queue", String(8)),
    Column("window_id", String(16)),
    Column("staff_id", String(64)),
    Column("payload", JSON, nullable=False, default=dict),
    Index("ix_ticket_events_ticket", "ticket_id", "seq"),
)

# The only events read by day and kind (a window's day: its logins and pauses, and the day's
# transfers) are indexed, and only they: the calls, finishes and issues that make up nearly all
# events write no page of this index (one page fewer in each of their commits). Queries spell
# the condition as `WINDOW_DAY_KINDS_WHERE`, the same text: SQLite uses a partial index only for a
# query whose WHERE contains the index's own condition.
WINDOW_DAY_KINDS = ("window.login", "window.logout", "window.paused", "window.resumed", "ticket.transferred")
WINDOW_DAY_KINDS_WHERE = text("kind IN (" + ", ".join(f"'{kind}'" for kind in WINDOW_DAY_KINDS) + ")")
Index(
    "ix_ticket_events_day_window_kinds",
    ticket_events.c.hall_day,
    ticket_events.c.kind,
    sqlite_where=WINDOW_DAY_KINDS_WHERE,
    postgresql_where=WINDOW_DAY_KINDS_WHERE,
)

ticket_intervals = Table(
    "ticket_intervals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("hall_day", Date, nullable=False),
    Column("leg", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("queue", String(8)),
    Column("window_id", String(16)),
    Column("staff_id", String(64)),
    Column("start_at", Float, nullable=False),
    Column("end_at", Float),
    Column("outcome", String(24)),
    Index("ix_ticket_intervals_ticket", "ticket_id", "end_at"),
    Index("ix_ticket_intervals_day_window", "hall_day", "window_id"),
)

window_states = Table(
    "window_states",
    metadata,
    Column("window_id", String(16), primary_key=True),
    Column("staff_id", String(64)),
    Column("logged_in_at", Float),
    Column("paused_reason", String(32)),
    Column("paused_at", Float),
    Column("current_ticket_id", Integer, ForeignKey("tickets.id")),
)

appointments = Table(
    "appointments",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("hall_day", Date, nullable=False),
    Column("queue", String(8), nullable=False),
    Column("item_code", String(32)),
    Column("slot_start", Float, nullable=False),
    Column("slot_end", Float, nullable=False),
    Column("person_key", String(64)),
    Column("person_masked", String(32)),
    Column("status", String(16), nullable=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("created_at", Float, nullable=False),
)

# ---------------------------------------------------------------- statistics (server/stats)
# Facts are derived from the ledger and events by server.stats.facts and can be rebuilt from them
# at any time; reports group these instead of scanning the history. Every index leads with
# hall_day so a month or a year is one range scan.

stat_watermarks = Table(
    "stat_watermarks",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("last_seq", Integer, nullable=False),
)

stat_ticket_facts = Table(
    "stat_ticket_facts",
    metadata,
    Column("ticket_id", Integer, primary_key=True),
    Column("hall_day", Date, nullable=False),
    Column("issue_hour", Integer, nullable=False),
    Column("weekday", Integer, nullable=False),
    Column("zone", String(8), nullable=False),
    Column("unit", String(16)),
    Column("queue", String(8), nullable=False),
    Column("item_code", String(32)),
    Column("first_window", String(16)),
    Column("last_window", String(16)),
    Column("first_staff", String(64)),
    Column("last_staff", String(64)),
    Column("legs", Integer, nullable=False),
    Column("transfers", Integer, nullable=False),
    Column("calls", Integer, nullable=False),
    Column("was_called", Boolean, nullable=False),
    Column("wait_s", Float),
    Column("walk_s", Float),
    Column("service_s", Float),
    Column("hold_s", Float),
    Column("dwell_s", Float),
    Column("final_status", String(16), nullable=False),
    Column("outcome", String(24)),
    Column("over_kpi", Boolean),
    Column("rating", Integer),
    Column("rating_staff", String(64)),
    Column("rating_window", String(16)),  # the window on the ticket.rated event (migration 0008)
    Column("rating_excluded", Boolean, nullable=False),
    Column("priority", Boolean, nullable=False),
    Column("appointment", Boolean, nullable=False),
    Column("auto_closed", Boolean, nullable=False),
    Index("ix_stat_ticket_facts_day_zone", "hall_day", "zone"),
    Index("ix_stat_ticket_facts_day_queue", "hall_day", "queue"),
)

stat_leg_facts = Table(
    "stat_leg_facts",
    metadata,
    Column("ticket_id", Integer, primary_key=True),
    Column("leg", Integer, primary_key=True),
    Column("hall_day", Date, nullable=False),
    Column("zone", String(8), nullable=False),
    Column("unit", String(16)),
    Column("queue", String(8), nullable=False),
    Column("item_code", String(32)),
    Column("target_window", String(16)),
    Column("window_id", String(16)),
    Column("staff_id", String(64)),
    Column("entered_at", Float, nullable=False),
    Column("last_call_at", Float),
    Column("started_at", Float),
    Column("ended_at", Float),
    Column("calls", Integer, nullable=False),
    Column("wait_s", Float),
    Column("walk_s", Float),
    Column("service_s", Float),
    Column("hold_s", Float),
    Column("outcome", String(24)),
    Column("auto_closed", Boolean, nullable=False),
    Index("ix_stat_leg_facts_day_staff", "hall_day", "staff_id"),
    Index("ix_stat_leg_facts_day_window", "hall_day", "window_id"),
)

stat_window_days = Table(
    "stat_window_days",
    metadata,
    Column("hall_day", Date, primary_key=True),
    Column("window_id", String(16), primary_key=True),
    Column("staff_id", String(64), primary_key=True),  # "" for the window's own row with no one logged in
    Column("zone", String(8), nullable=False),
    Column("unit", String(16)),
    Column("scheduled_s", Float, nullable=False),
    Column("logged_in_s", Float, nullable=False),
    Column("paused_s", Float, nullable=False),
    Column("available_s", Float, nullable=False),
    Column("busy_s", Float, nullable=False),
    Column("idle_waiting_s", Float, nullable=False),
    Index("ix_stat_window_days_day_staff", "hall_day", "staff_id"),
)

rating_appeals = Table(
    "rating_appeals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("hall_day", Date, nullable=False),
    Column("staff_id", String(64), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("filed_at", Float, nullable=False),
    Column("status", String(16), nullable=False),  # pending, accepted, rejected
    Column("decided_by", String(64)),
    Column("decided_at", Float),
    Column("decision_reason", String(500)),
    UniqueConstraint("ticket_id"),
    Index("ix_rating_appeals_status", "status", "filed_at"),
)

# A bad rating's follow-up (差评回访整改, migration 0010): one row per rating of 1 or 2, made from
# the `ticket.rated` events (server/stats/followups.py), carrying the citizen's call-back number
# only until it is closed. Each step is also a ticket event (rating.followup_*), the audit trail.
rating_followups = Table(
    "rating_followups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("hall_day", Date, nullable=False),  # the visit's day: the month it counts in
    Column("rated_day", Date, nullable=False),  # the rating's day: the deadlines count from it
    Column("rated_at", Float, nullable=False),
    Column("staff_id", String(64)),
    Column("window_id", String(16)),
    Column("rating", Integer, nullable=False),
    Column("contact_due", Date, nullable=False),
    Column("rectify_due", Date, nullable=False),
    Column("state", String(16), nullable=False),  # contact, rectify, closed
    Column("phone", String(20)),  # the citizen's call-back number, erased when closed
    Column("phone_left_at", Float),
    Column("new_number_at", Float),  # a number left after unreachable: the contact opened again, once
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_attempt_at", Float),  # the hall's last call: is the number left being called?
    Column("contact_result", String(16)),  # reached, unreachable
    Column("contacted_by", String(64)),
    Column("contacted_at", Float),
    Column("finding", String(16)),  # substantiated, partly, unfounded
    Column("finding_note", String(500)),
    Column("found_by", String(64)),
    Column("found_at", Float),
    Column("rectification", String(1000)),
    Column("rectified_by", String(64)),
    Column("rectified_at", Float),
    Column("closed_at", Float),
    UniqueConstraint("ticket_id"),
    Index("ix_rating_followups_state", "state", "rated_day"),
    Index("ix_rating_followups_day", "hall_day"),
)

# A month's assessment once the hall manager finalised it (考核归档, migration 0009): the whole
# result as it was published, so that the month reads the same later whatever changes in the facts,
# the rules, the roster or the accounts; the digest is printed on the exports to match a paper copy.
assessment_months = Table(
    "assessment_months",
    metadata,
    Column("month", String(7), primary_key=True),  # 2026-11
    Column("finalised_at", Float, nullable=False),
    Column("finalised_by", String(64), nullable=False),
    Column("note", String(500)),
    Column("snapshot", JSON, nullable=False),
    Column("digest", String(64), nullable=False),  # sha256 of the snapshot's canonical JSON
)
