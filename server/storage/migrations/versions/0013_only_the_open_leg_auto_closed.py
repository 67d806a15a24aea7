"""leg facts: only the leg still open at day end is auto-closed

The ledger flagged every leg of an auto-closed ticket, so a window that accepted a case and
transferred it on (受理, 转) lost that leg's wait and service, and its clerk the case from their
办件量, whenever the back office did not conclude it that day. The ledger now flags the last leg
only (server/stats/ledger.py); this clears the flag on the earlier legs already stored, the same
rows a rebuild would write. Months already archived for the assessment keep their frozen figures.

Revision ID: 0013
Revises: 0012
"""
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE stat_leg_facts SET auto_closed = false WHERE auto_closed "
        "AND leg < (SELECT max(f.leg) FROM stat_leg_facts f WHERE f.ticket_id = stat_leg_facts.ticket_id)"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE stat_leg_facts SET auto_closed = true WHERE NOT auto_closed "
        "AND ticket_id IN (SELECT ticket_id FROM stat_ticket_facts WHERE auto_closed)"
    )
