"""statistics: fact tables, watermark and rating appeals

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stat_watermarks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stat_watermarks")),
    )
    op.create_table(
        "stat_ticket_facts",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("hall_day", sa.Date(), nullable=False),
        sa.Column("issue_hour", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=8), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("queue", sa.String(length=8), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=True),
        sa.Column("first_window", sa.String(length=16), nullable=True),
        sa.Column("last_window", sa.String(length=16), nullable=True),
        sa.Column("first_staff", sa.String(length=64), nullable=True),
        sa.Column("last_staff", sa.String(length=64), nullable=True),
        sa.Column("legs", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("was_called", sa.Boolean(), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("walk_s", sa.Float(), nullable=True),
        sa.Column("service_s", sa.Float(), nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("dwell_s", sa.Float(), nullable=True),
        sa.Column("final_status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("over_kpi", sa.Boolean(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_staff", sa.String(length=64), nullable=True),
        sa.Column("rating_excluded", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("appointment", sa.Boolean(), nullable=False),
        sa.Column("auto_closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_stat_ticket_facts")),
    )
    op.create_index("ix_stat_ticket_facts_day_zone", "stat_ticket_facts", ["hall_day", "zone"])
    op.create_index("ix_stat_ticket_facts_day_queue", "stat_ticket_facts", ["hall_day", "queue"])
    op.create_table(
        "stat_leg_facts",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("hall_day", sa.Date(), nullable=False),
        sa.Column("zone", sa.String(length=8), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("queue", sa.String(length=8), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=True),
        sa.Column("target_window", sa.String(length=16), nullable=True),
        sa.Column("window_id", sa.String(length=16), nullable=True),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("entered_at", sa.Float(), nullable=False),
        sa.Column("last_call_at", sa.Float(), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("walk_s", sa.Float(), nullable=True),
        sa.Column("service_s", sa.Float(), nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("auto_closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "leg", name=op.f("pk_stat_leg_facts")),
    )
    op.create_index("ix_stat_leg_facts_day_staff", "stat_leg_facts", ["hall_day", "staff_id"])
    op.create_index("ix_stat_leg_facts_day_window", "stat_leg_facts", ["hall_day", "window_id"])
    op.create_table(
        "stat_window_days",
        sa.Column("hall_day", sa.Date(), nullable=False),
        sa.Column("window_id", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("zone", sa.String(length=8), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("scheduled_s", sa.Float(), nullable=False),
        sa.Column("logged_in_s", sa.Float(), nullable=False),
        sa.Column("paused_s", sa.Float(), nullable=False),
        sa.Column("available_s", sa.Float(), nullable=False),
        sa.Column("busy_s", sa.Float(), nullable=False),
        sa.Column("idle_waiting_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("hall_day", "window_id", "staff_id", name=op.f("pk_stat_window_days")),
    )
    op.create_index("ix_stat_window_days_day_staff", "stat_window_days", ["hall_day", "staff_id"])
    op.create_table(
        "rating_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("hall_day", sa.Date(), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("filed_at", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_rating_appeals_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_appeals")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_rating_appeals_ticket_id")),
    )
    op.create_index("ix_rating_appeals_status", "rating_appeals", ["status", "filed_at"])


def downgrade() -> None:
    op.drop_table("rating_appeals")
    op.drop_table("stat_window_days")
    op.drop_table("stat_leg_facts")
    op.drop_table("stat_ticket_facts")
    op.drop_table("stat_watermarks")
