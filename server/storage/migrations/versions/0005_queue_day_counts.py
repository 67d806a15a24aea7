"""queue day counts: each queue's line length and finished service per day, kept by triggers

Issuing quoted the people ahead and the expected wait from counts over the queue's line and the
day's finished tickets, which grow through the day (a deep morning queue made every ticket slower
to issue). Triggers on tickets keep those figures in one row per queue and day, whatever changes a
ticket; the existing history is counted once here.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def in_line(t: str) -> str:
    return f"(CASE WHEN {t}.status = 'waiting' AND {t}.target_window IS NULL THEN 1 ELSE 0 END)"


def finished(t: str) -> str:
    return f"(CASE WHEN {t}.status = 'finished' AND {t}.served_at IS NOT NULL AND {t}.finished_at IS NOT NULL THEN 1 ELSE 0 END)"


def service(t: str) -> str:
    return f"(CASE WHEN {finished(t)} = 1 THEN {t}.finished_at - {t}.served_at ELSE 0 END)"


def add(t: str) -> str:
    """Add ticket `t`'s share to its queue's row (creating the row)."""
    return (
        "INSERT INTO queue_day_counts (hall_day, queue, in_line, finished, service_seconds) "
        f"VALUES ({t}.hall_day, {t}.queue, {in_line(t)}, {finished(t)}, {service(t)}) "
        "ON CONFLICT (hall_day, queue) DO UPDATE SET in_line = queue_day_counts.in_line + excluded.in_line, "
        "finished = queue_day_counts.finished + excluded.finished, "
        "service_seconds = queue_day_counts.service_seconds + excluded.service_seconds"
    )


def subtract(t: str) -> str:
    return (
        f"UPDATE queue_day_counts SET in_line = in_line - {in_line(t)}, finished = finished - {finished(t)}, "
        f"service_seconds = service_seconds - {service(t)} WHERE hall_day = {t}.hall_day AND queue = {t}.queue"
    )


COUNTED = "status, target_window, queue, hall_day, served_at, finished_at"
# An update that moves no share (most: a call, a start, a rating) leaves the row alone.
CHANGES_SHARE = (
    f"{in_line('OLD')} <> {in_line('NEW')} OR {finished('OLD')} <> {finished('NEW')} "
    f"OR {service('OLD')} <> {service('NEW')} "
    f"OR (({in_line('OLD')} = 1 OR {finished('OLD')} = 1) AND (OLD.queue <> NEW.queue OR OLD.hall_day <> NEW.hall_day))"
)
HAS_SHARE = f"{in_line('NEW')} = 1 OR {finished('NEW')} = 1"
HAD_SHARE = f"{in_line('OLD')} = 1 OR {finished('OLD')} = 1"


def upgrade() -> None:
    op.create_table(
        "queue_day_counts",
        sa.Column("hall_day", sa.Date(), nullable=False),
        sa.Column("queue", sa.String(length=8), nullable=False),
        sa.Column("in_line", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("service_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("hall_day", "queue", name=op.f("pk_queue_day_counts")),
    )
    op.execute(
        "INSERT INTO queue_day_counts (hall_day, queue, in_line, finished, service_seconds) "
        f"SELECT t.hall_day, t.queue, SUM({in_line('t')}), SUM({finished('t')}), SUM({service('t')}) "
        f"FROM tickets t GROUP BY t.hall_day, t.queue HAVING SUM({in_line('t')}) + SUM({finished('t')}) > 0"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION hallq_queue_day_counts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {subtract('OLD')}; END IF; "
            f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {add('NEW')}; END IF; "
            "RETURN NULL; END $$"
        )
        run = "FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION hallq_queue_day_counts()"
        op.execute(f"CREATE TRIGGER tr_tickets_counts_insert AFTER INSERT ON tickets {run.format(when=HAS_SHARE)}")
        op.execute(f"CREATE TRIGGER tr_tickets_counts_update AFTER UPDATE OF {COUNTED} ON tickets {run.format(when=CHANGES_SHARE)}")
        op.execute(f"CREATE TRIGGER tr_tickets_counts_delete AFTER DELETE ON tickets {run.format(when=HAD_SHARE)}")
    else:
        op.execute(f"CREATE TRIGGER tr_tickets_counts_insert AFTER INSERT ON tickets WHEN {HAS_SHARE} BEGIN {add('NEW')}; END")
        op.execute(
            f"CREATE TRIGGER tr_tickets_counts_update AFTER UPDATE OF {COUNTED} ON tickets WHEN {CHANGES_SHARE} "
            f"BEGIN {subtract('OLD')}; {add('NEW')}; END"
        )
        op.execute(f"CREATE TRIGGER tr_tickets_counts_delete AFTER DELETE ON tickets WHEN {HAD_SHARE} BEGIN {subtract('OLD')}; END")


def downgrade() -> None:
    for name in ("tr_tickets_counts_insert", "tr_tickets_counts_update", "tr_tickets_counts_delete"):
        op.execute(f"DROP TRIGGER {name} ON tickets" if op.get_bind().dialect.name == "postgresql" else f"DROP TRIGGER {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION hallq_queue_day_counts()")
    op.drop_table("queue_day_counts")
