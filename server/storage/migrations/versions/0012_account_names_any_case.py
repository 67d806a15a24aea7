"""account names unique whatever their case: `admin` and `ADMIN` were two accounts

Sign-in matches a staff id in any case (server/accounts.py), so two accounts whose names differ
only in case would be one name with two passwords. A unique index on lower(username) keeps them
apart from now on. A hall that already has such a pair is told which, and how to rename one,
instead of the start failing on the index with a database's own error.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

from server.errors import HallQError


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rows = op.get_bind().execute(sa.text(
        "SELECT username FROM users WHERE lower(username) IN "
        "(SELECT lower(username) FROM users GROUP BY lower(username) HAVING count(*) > 1) ORDER BY lower(username), username"
    )).scalars().all()
    if rows:
        names = ", ".join(rows)
        raise HallQError(
            "duplicate_accounts",
            f"数据库中有仅大小写不同的账号（{names}），工号现不区分大小写：请先将其中多余的账号改名"
            f"（例如 sqlite3 hallq.db \"UPDATE users SET username = 'admin-2' WHERE username = 'ADMIN'\"），再重新启动",
            f"the database has accounts whose names differ only in case ({names}); staff ids are now matched in any "
            f"case: rename all but one of each (e.g. sqlite3 hallq.db \"UPDATE users SET username = 'admin-2' "
            f"WHERE username = 'ADMIN'\"), then start again",
            409,
        )
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_username_lower", table_name="users")
