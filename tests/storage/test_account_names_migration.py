"""Migration 0012 (account names unique whatever their case) on a hall whose database already
has `admin` and `ADMIN`: the upgrade stops with one line naming them and how to rename one,
instead of the database's own error about an index; renamed, the hall upgrades."""
from __future__ import annotations

import pytest
from sqlalchemy import insert, make_url, update

from server.errors import HallQError
from server.storage.db import open_database, upgrade
from server.storage.schema import users
from server.storage.start_problems import why_unusable


def _user(name: str) -> dict[str, object]:
    return {"username": name, "display_name": name, "role": "admin", "password_hash": "x", "active": True, "created_at": 1.0}


async def test_accounts_differing_only_in_case_stop_the_upgrade_with_their_names(database_url, tmp_path) -> None:
    """Tried: upgrading a schema-0011 database holding admin, ADMIN and staff01. Kept: the upgrade
    refused with a HallQError whose start line (as `hallq serve` prints it) names admin and ADMIN
    in English and Chinese; the accounts untouched. After ADMIN is renamed the upgrade goes
    through, and a new ADMIN is then refused by the database itself. The advice was a sqlite3
    command on hallq.db whichever the database; it is now sqlite3 on the database's file, or
    psql on its database, as the hall runs on."""
    database = open_database(database_url)
    try:
        await upgrade(database, "0011")
        await database.write(lambda conn: conn.execute(insert(users), [_user("admin"), _user("ADMIN"), _user("staff01")]))
        with pytest.raises(Exception) as refused:
            await upgrade(database)
        line = why_unusable(refused.value, database_url, tmp_path)
        assert line is not None and "(ADMIN, admin)" in line and "（ADMIN, admin）" in line and "rename" in line, line
        # The advice is a command for this database (it said sqlite3 hallq.db on PostgreSQL too),
        # in both languages: it renames one of the pair in this very database.
        statement = "\"UPDATE users SET username = 'admin-2' WHERE username = 'ADMIN'\""
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            fix, other = f"sqlite3 {url.database} {statement}", "psql"
        else:
            fix, other = f"psql -h {url.host} -p {url.port} -U {url.username} -d {url.database} -c {statement}", "sqlite3"
        assert line.count(fix) == 2 and other not in line, line
        assert any(isinstance(e, HallQError) for e in (refused.value, refused.value.__cause__, refused.value.__context__))
        await database.write(lambda conn: conn.execute(update(users).where(users.c.username == "ADMIN").values(username="admin-2")))
        await upgrade(database)
        with pytest.raises(Exception):
            await database.write(lambda conn: conn.execute(insert(users), [_user("Admin")]))
    finally:
        await database.close()
