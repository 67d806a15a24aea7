"""assessment months: a finalised month's assessment, kept as published

After the appeal period the hall manager finalises (归档) a month: its ranking and every person's
lines are stored whole, appeals on its ratings are refused from then on, and the month's
assessment is read from here, not recomputed (server/stats/months.py).

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("finalised_at", sa.Float(), nullable=False),
        sa.Column("finalised_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_assessment_months")),
    )


def downgrade() -> None:
    op.drop_table("assessment_months")
