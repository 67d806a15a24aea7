"""`hallq db backup DEST`: a consistent copy of the hall's SQLite database and its secret, taken
while the hub runs.

Why a command: the database runs in WAL mode, so what was committed may still be in
`hallq.db-wal`; a `cp hallq.db` of a running hall copies a file that lacks it, or one torn
mid-checkpoint. SQLite's online backup copies the committed state under a read transaction, which
never blocks the hub's writer. `secret.key` goes with it: without it the keyed hashes of ID numbers
in the copy (the per-person daily cap) match no one again.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

DATABASE_FILE = "hallq.db"
SECRET_FILE = "secret.key"


class BackupRefused(Exception):
    """Why no backup was made (English, then Chinese in brackets): nothing was written."""


@dataclass(frozen=True)
class Backup:
    database: Path
    size: int
    secret: Path | None


def back_up(data_dir: Path, database_url: str, dest: Path) -> Backup:
    """Copy the data folder's database and secret into the folder `dest` (made 0700 if new)."""
    source = _sqlite_file(data_dir, database_url)
    if not source.is_file():
        raise BackupRefused(f"no hall database at {source}: check --data (or --db) (找不到大厅数据库，请核对 --data 或 --db)")
    target = dest / DATABASE_FILE
    if target.exists():
        raise BackupRefused(f"{target} already exists: give a new folder for each backup, e.g. one named by the date "
                            f"(备份文件夹中已有数据库，请为每次备份指定新的文件夹)")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = dest / f".{DATABASE_FILE}.part"
    partial.unlink(missing_ok=True)
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb"):
        pass  # created 0600 before SQLite writes into it: the copy holds password hashes
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reader, sqlite3.connect(partial) as writer:
            reader.backup(writer)
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    secret = None
    if (data_dir / SECRET_FILE).is_file():
        secret = dest / SECRET_FILE
        shutil.copy2(data_dir / SECRET_FILE, secret)  # its 0600 mode with it
    return Backup(target, target.stat().st_size, secret)


def _sqlite_file(data_dir: Path, database_url: str) -> Path:
    if not database_url:
        return data_dir / DATABASE_FILE
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupRefused(f"the database is {url.get_backend_name()}: back it up with its own tool (pg_dump -Fc), and "
                            f"keep a copy of {data_dir / SECRET_FILE} with it (PostgreSQL 数据库请用 pg_dump 备份，"
                            f"并同时备份 secret.key)")
    return Path(url.database)
