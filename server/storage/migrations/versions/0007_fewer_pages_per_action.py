"""fewer pages per action: indexes that calls and finishes no longer write

Measured (docs/benchmarks.md, tests/storage/test_pages_per_action.py): every issue, call and
finish wrote a page of the events' (hall_day, kind) index, which only window-day figures read, for
window logins and pauses and the day's transfers; it now holds only those kinds. A finish rewrote
a page of the window's ticket index because its status was part of the key; the key is now the
call time, which is what its one reader (the last ticket a window dealt with) orders by.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WINDOW_DAY_KINDS = ("window.login", "window.logout", "window.paused", "window.resumed", "ticket.transferred")
KINDS_WHERE = sa.text("kind IN (" + ", ".join(f"'{kind}'" for kind in WINDOW_DAY_KINDS) + ")")
WINDOW_SET = sa.text("window_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_ticket_events_day_kind", table_name="ticket_events")
    op.create_index("ix_ticket_events_day_window_kinds", "ticket_events", ["hall_day", "kind"],
                    sqlite_where=KINDS_WHERE, postgresql_where=KINDS_WHERE)
    op.drop_index("ix_tickets_day_window", table_name="tickets")
    op.create_index("ix_tickets_day_window", "tickets", ["hall_day", "window_id", "called_at"],
                    sqlite_where=WINDOW_SET, postgresql_where=WINDOW_SET)


def downgrade() -> None:
    op.drop_index("ix_tickets_day_window", table_name="tickets")
    op.create_index("ix_tickets_day_window", "tickets", ["hall_day", "window_id", "status"],
                    sqlite_where=WINDOW_SET, postgresql_where=WINDOW_SET)
    op.drop_index("ix_ticket_events_day_window_kinds", table_name="ticket_events")
    op.create_index("ix_ticket_events_day_kind", "ticket_events", ["hall_day", "kind"])
