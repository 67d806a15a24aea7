"""queue line: a partial index of the tickets waiting in each queue, in call order

Counting the people ahead of a ticket and finding a queue's head read only this small index, so
issuing and calling stay flat however deep today's queues and however long the history.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WHERE = sa.text("status = 'waiting' AND target_window IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_tickets_queue_line",
        "tickets",
        ["hall_day", "queue", sa.literal_column("priority DESC"), "sort_key", "id", "status", "target_window"],
        unique=False,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_queue_line", table_name="tickets")
