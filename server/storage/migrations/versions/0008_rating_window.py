"""rating window: the window a rating was given for, on the ticket's facts

Reports by window credit a rating to the window on its `ticket.rated` event (the front window
the citizen met last, not a back office that concluded the case); reading that event for every
rated ticket of a month doubled the report's time (docs/benchmarks.md). Existing facts are filled
from their events once, here.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stat_ticket_facts", sa.Column("rating_window", sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE stat_ticket_facts SET rating_window = (SELECT e.window_id FROM ticket_events e"
        " WHERE e.ticket_id = stat_ticket_facts.ticket_id AND e.kind = 'ticket.rated'"
        " ORDER BY e.seq DESC LIMIT 1) WHERE rating IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("stat_ticket_facts") as batch:
        batch.drop_column("rating_window")
