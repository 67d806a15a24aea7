"""account names unique whatever their case: `admin` and `ADMIN` were two accounts

Sign-in matches a staff id in any case (server/accounts.py), so two accounts whose names differ
only in case would be one name with two passwords. A unique index on lower(username) keeps them
apart from now on. A hall that already has such a pair is told which, and how to rename one,
instead of the start failing on the index with a database's own error.

Revision ID: 0012
Revises: 0011
"""
import shlex

from alembic import op
import sqlalchemy as sa

from server.errors import HallQError


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT username FROM users WHERE lower(username) IN "
        "(SELECT lower(username) FROM users GROUP BY lower(username) HAVING count(*) > 1) ORDER BY lower(username), username"
    )).scalars().all()
    if rows:
        names = ", ".join(rows)
        fix = rename_command(bind.engine.url, rows[0], f"{rows[0].lower()}-2")
        raise HallQError(
            "duplicate_accounts",
            f"数据库中有仅大小写不同的账号（{names}），工号现不区分大小写：请先将其中多余的账号改名"
            f"（例如 {fix}），再重新启动",
            f"the database has accounts whose names differ only in case ({names}); staff ids are now matched in any "
            f"case: rename all but one of each (e.g. {fix}), then start again",
            409,
        )
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)


def rename_command(url: sa.engine.URL, old: str, new: str) -> str:
    """The command that renames account `old` in this very database: the advice named sqlite3
    and hallq.db whatever the hall ran on, and a hall on PostgreSQL has neither (its tool is
    psql). No `hallq user` command can do it: each opens the database through this upgrade.
    The password is never part of it (psql asks, or reads ~/.pgpass)."""
    def quoted(name: str) -> str:
        return "'" + name.replace("'", "''") + "'"

    update = f"UPDATE users SET username = {quoted(new)} WHERE username = {quoted(old)}"
    if url.get_backend_name() == "sqlite":
        return f'sqlite3 {shlex.quote(url.database or "hallq.db")} "{update}"'
    if url.get_backend_name() == "postgresql":
        options = [f"{flag} {shlex.quote(str(value))}" for flag, value in
                   (("-h", url.host), ("-p", url.port), ("-U", url.username), ("-d", url.database)) if value]
        return f'psql {" ".join(options)} -c "{update}"'
    return update


def downgrade() -> None:
    op.drop_index("uq_users_username_lower", table_name="users")
