"""lean ticket indexes: a new ticket enters only the indexes it has values for

Issuing a ticket wrote one page per index of the tickets table in its commit, and the commit was
the largest single cost of issuing. Indexes of columns a waiting ticket does not have yet (person,
item, window, target window) now hold only the tickets that have them, and the wide waiting index,
which every status change moved, is gone (the queue line of 0003 serves calling and counting; the
mean service time comes from migration 0005's running figures).

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence
from typing import Any

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PARTIAL = {
    "ix_tickets_day_person": ["hall_day", "person_key"],
    "ix_tickets_day_item": ["hall_day", "item_code"],
    "ix_tickets_day_window": ["hall_day", "window_id", "status"],
    "ix_tickets_day_target": ["hall_day", "target_window", "status"],
}
# The window's own line is read in call order: the index gives it, so no sort is needed.
TARGET_IN_CALL_ORDER: list[str | sa.ColumnElement[Any]] = [
    "hall_day", "target_window", "status", sa.literal_column("priority DESC"), "sort_key", "id"
]


def upgrade() -> None:
    for name, columns in PARTIAL.items():
        where = sa.text(f"{columns[1]} IS NOT NULL")
        op.drop_index(name, table_name="tickets")
        keys: Sequence[str | sa.ColumnElement[Any]] = (
            TARGET_IN_CALL_ORDER if name == "ix_tickets_day_target" else columns
        )
        op.create_index(name, "tickets", keys, sqlite_where=where, postgresql_where=where)
    op.drop_index("ix_tickets_waiting", table_name="tickets")


def downgrade() -> None:
    op.create_index(
        "ix_tickets_waiting",
        "tickets",
        ["hall_day", "queue", "status", sa.literal_column("priority DESC"), "sort_key", "id"],
    )
    for name, columns in PARTIAL.items():
        op.drop_index(name, table_name="tickets")
        op.create_index(name, "tickets", columns)
