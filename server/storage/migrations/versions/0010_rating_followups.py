"""rating follow-ups: a bad rating's call-back, finding and rectification (差评回访整改)

Every rating of 1 or 2 must be followed up with the citizen within working-day deadlines and its
rectification recorded (HALL.md; server/stats/followups.py). The rows are made from the
`ticket.rated` events after this upgrade: the watermark starts at the last event written before
it, so bad ratings given before the hall had the feature do not all turn up overdue at once.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rating_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("hall_day", sa.Date(), nullable=False),
        sa.Column("rated_day", sa.Date(), nullable=False),
        sa.Column("rated_at", sa.Float(), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("window_id", sa.String(length=16), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("contact_due", sa.Date(), nullable=False),
        sa.Column("rectify_due", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_left_at", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.Float(), nullable=True),
        sa.Column("contact_result", sa.String(length=16), nullable=True),
        sa.Column("contacted_by", sa.String(length=64), nullable=True),
        sa.Column("contacted_at", sa.Float(), nullable=True),
        sa.Column("finding", sa.String(length=16), nullable=True),
        sa.Column("finding_note", sa.String(length=500), nullable=True),
        sa.Column("found_by", sa.String(length=64), nullable=True),
        sa.Column("found_at", sa.Float(), nullable=True),
        sa.Column("rectification", sa.String(length=1000), nullable=True),
        sa.Column("rectified_by", sa.String(length=64), nullable=True),
        sa.Column("rectified_at", sa.Float(), nullable=True),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_rating_followups_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_followups")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_rating_followups_ticket_id")),
    )
    op.create_index("ix_rating_followups_state", "rating_followups", ["state", "rated_day"])
    op.create_index("ix_rating_followups_day", "rating_followups", ["hall_day"])
    op.execute(
        "INSERT INTO stat_watermarks (name, last_seq) SELECT 'followups', MAX(seq) FROM ticket_events"
        " HAVING MAX(seq) IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_rating_followups_day", table_name="rating_followups")
    op.drop_index("ix_rating_followups_state", table_name="rating_followups")
    op.drop_table("rating_followups")
    op.execute("DELETE FROM stat_watermarks WHERE name = 'followups'")
