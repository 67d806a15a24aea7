"""`hallq db backup DEST`: a consistent copy of the hall's SQLite database and its secret, taken
while the hub runs.

Why a command: the database runs in WAL mode, so what was committed may still be in
`hallq.db-wal`; a `cp hallq.db` of a running hall copies a file that lacks it, or one torn
mid-checkpoint. SQLite's online backup copies the committed state under a read transaction, which
never blocks the hub's writer. `secret.key` goes with it: without it the keyed hashes of ID numbers
in the copy (the per-person daily cap) match no one again.
"""
from __future__ import annotations

import contextlib
import errno
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
    """Copy the data folder's database and secret into the folder `dest` (made 0700 if new, in a
    folder that must exist: a mistyped or unmounted destination is refused, not made on the system
    disk). Both are written under temporary names and renamed at the end, the database last (its
    name is what says a backup is there): a destination that fails mid-way keeps nothing of it."""
    source = _sqlite_file(data_dir, database_url)
    if not source.is_file():
        raise BackupRefused(f"no hall database at {source}: check --data (or --db) (找不到大厅数据库，请核对 --data 或 --db)")
    held = [dest / name for name in (DATABASE_FILE, SECRET_FILE) if (dest / name).exists()]
    if held:  # a secret.key alone may be the only copy of a hall's key: never overwritten, nor
        # removed when this backup fails mid-way (the failing backup removes what it wrote)
        what = "数据库" if held[0].name == DATABASE_FILE else "密钥文件"
        raise BackupRefused(f"cannot back up to {dest}: {held[0]} already exists: give a new folder for each backup, "
                            f"e.g. one named by the date (备份文件夹中已有{what}，请为每次备份指定新的文件夹)")
    made = False
    try:
        if not dest.parent.is_dir():  # is_dir is False for a missing folder and for a file alike
            raise OSError(errno.ENOTDIR if dest.parent.exists() else errno.ENOENT, "", str(dest.parent))
        try:
            dest.mkdir(mode=0o700)
            made = True
        except FileExistsError:
            if not dest.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "", str(dest)) from None
        return _write(data_dir, source, dest)
    except (OSError, sqlite3.Error) as error:
        if made:
            with contextlib.suppress(OSError):
                dest.rmdir()  # only if empty: what was there before is not ours
        raise BackupRefused(_why(error, dest)) from error


def _write(data_dir: Path, source: Path, dest: Path) -> Backup:
    target = dest / DATABASE_FILE
    partial = dest / f".{DATABASE_FILE}.part"
    secret_partial = dest / f".{SECRET_FILE}.part"
    secret = dest / SECRET_FILE if (data_dir / SECRET_FILE).is_file() else None
    try:
        partial.unlink(missing_ok=True)
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb"):
            pass  # created 0600 before SQLite writes into it: the copy holds password hashes
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reader, \
                contextlib.closing(sqlite3.connect(partial)) as writer:
            reader.backup(writer)
        _fsync(partial)
        if secret is not None:
            shutil.copy2(data_dir / SECRET_FILE, secret_partial)  # its 0600 mode with it
            _fsync(secret_partial)
            secret_partial.replace(secret)
        partial.replace(target)
    except BaseException:
        for left in (partial, secret_partial, *([secret] if secret is not None else [])):
            with contextlib.suppress(OSError):
                left.unlink(missing_ok=True)
        raise
    return Backup(target, target.stat().st_size, secret)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as written:
        os.fsync(written.fileno())


def _why(error: OSError | sqlite3.Error, dest: Path) -> str:
    """One line naming the destination and what is wrong with it (English, then Chinese)."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        number = errno.ENOSPC if code == sqlite3.SQLITE_FULL else None
        path, detail = str(dest), str(error)
    else:
        number, path, detail = error.errno, str(error.filename or dest), error.strerror or str(error)
    if number == errno.ENOENT:
        reason, zh = f"the folder {path} does not exist (is the backup disk mounted?)", f"文件夹 {path} 不存在（备份磁盘是否已挂载？）"
    elif number in (errno.ENOTDIR, errno.EEXIST):
        reason, zh = f"{path} is not a folder", f"{path} 不是文件夹"
    elif number in (errno.EACCES, errno.EPERM):
        reason, zh = f"permission denied on {path}", f"没有 {path} 的写入权限"
    elif number == errno.EROFS:
        reason, zh = f"{path} is on a read-only file system", f"{path} 所在文件系统为只读"
    elif number in (errno.ENOSPC, errno.EDQUOT):
        reason, zh = "the disk is full", "目标磁盘已满"
    else:
        reason, zh = detail, detail
    return f"cannot back up to {dest}: {reason}; nothing was written there (无法备份到 {dest}：{zh}，未写入任何文件)"


def _sqlite_file(data_dir: Path, database_url: str) -> Path:
    if not database_url:
        return data_dir / DATABASE_FILE
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupRefused(f"the database is {url.get_backend_name()}: back it up with its own tool (pg_dump -Fc), and "
                            f"keep a copy of {data_dir / SECRET_FILE} with it (PostgreSQL 数据库请用 pg_dump 备份，"
                            f"并同时备份 secret.key)")
    return Path(url.database)
