"""derived intervals: the ledger of states is written by the statistics' catch-up, not by each action

From this revision the engine no longer writes ticket_intervals in its transactions; the catch-up
derives them from the events after the `intervals` watermark (server/stats/intervals.py). Every
event already stored had its intervals written by the engine, so the watermark starts after them.
Downgrading first derives the intervals still outstanding (an older hub expects every event's
intervals to be there, as its engine wrote them) and keeps all derived rows: they are the rows
that engine would have written.

Revision ID: 0006
Revises: 0005
"""
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM stat_watermarks WHERE name = 'intervals'")
    op.execute(
        "INSERT INTO stat_watermarks (name, last_seq) SELECT 'intervals', COALESCE(MAX(seq), 0) FROM ticket_events"
    )


def downgrade() -> None:
    from server.stats.intervals import derive_intervals

    derive_intervals(op.get_bind())
    op.execute("DELETE FROM stat_watermarks WHERE name = 'intervals'")
