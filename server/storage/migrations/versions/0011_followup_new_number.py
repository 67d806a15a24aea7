"""rating follow-ups: a new number from a citizen the hall could not reach

After the set calls found nobody (unreachable), the citizen may leave a number that answers, once:
the contact opens again for it (server/stats/followups.py). `new_number_at` says when, and that
the one chance was used.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rating_followups", sa.Column("new_number_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rating_followups") as batch:
        batch.drop_column("new_number_at")
