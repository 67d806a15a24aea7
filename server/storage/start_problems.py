"""Why the hub or a `hallq` command could not open its database, or a folder it keeps its files in,
in one line for the technician.

Tried (a resilience walkthrough): `hallq serve` on a full disk (~170 lines of traceback ending
`sqlite3.OperationalError: disk I/O error`), on a database made by a newer HallQ (~60 lines ending
"Can't locate revision"), on a PostgreSQL database that does not exist (182 lines), with
`--db mysql://…` (ModuleNotFoundError). Each is a fact about the hall's set-up, not a bug: the
technician needs the one line that says what to do, in English and Chinese as the other CLI
errors are. Anything not recognised here keeps its traceback (it may be a bug).
A file where the hub keeps a folder (`<data>/voice-cache` left as a file) or a folder its user may
not write was said as `cannot use the database …: FileExistsError …`: it names the path now.
"""
from __future__ import annotations

import errno
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from server.errors import HallQError
from server.storage.outage import is_connection_lost

NEARLY_FULL_BYTES = 1024 * 1024
"""Free space below which SQLite's 'disk I/O error' at start is the full disk: SQLite reports a
write that found no room while creating its WAL and shared-memory files as an I/O error, not as
SQLITE_FULL."""


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def why_unusable(error: BaseException, url: str, data_dir: Path) -> str | None:
    """One line (English, then Chinese in brackets) saying why the database at `url` could not be
    opened or migrated, or None when `error` is none of the known set-up problems."""
    for cause in _chain(error):
        line = (_refused(cause) or _newer_schema(cause) or _disk(cause, url, data_dir)
                or _postgresql(cause, url) or _path(cause))
        if line is not None:
            return line
    if is_connection_lost(error) or isinstance(error, SQLAlchemyError):  # a server that does not answer, a wrong URL
        return (f"cannot use the database {_shown(url)}: {error.__class__.__name__}: {error} "
                f"(无法打开数据库，请核对 --db 或 --data)")
    return None


_FILE_IN_THE_WAY = (errno.EEXIST, errno.ENOTDIR)
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def _path(cause: BaseException) -> str | None:
    """A file or folder of the hub's that is in the way or may not be written (not the network:
    a socket's error names no file)."""
    if not isinstance(cause, OSError) or not cause.filename:
        return None
    path = cause.filename
    if cause.errno in _FILE_IN_THE_WAY:
        return (f"cannot start: {path}: {cause.strerror}: the hub keeps a folder there and found a file; move the file away "
                f"(or choose another --data) (无法启动：{path} 处应为文件夹，却是一个文件，请移走该文件或更换 --data)")
    if cause.errno in _NOT_WRITABLE:
        return (f"cannot start: {path}: {cause.strerror}: give the hub's user write access there, or choose another --data "
                f"(无法启动：没有 {path} 的写入权限，请为运行 hub 的用户授权或更换 --data)")
    return None


def _refused(cause: BaseException) -> str | None:
    """Refusals of our own (an unsupported URL, see normalise_url) say it already."""
    if isinstance(cause, HallQError):
        return f"{cause.message_en} ({cause.message_zh})"
    return None


def _newer_schema(cause: BaseException) -> str | None:
    from alembic.util.exc import CommandError

    if not isinstance(cause, CommandError) or "Can't locate revision" not in str(cause):
        return None
    from alembic.script import ScriptDirectory

    from server.storage.db import MIGRATIONS_DIR

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    named = re.search(r"identified by '([^']*)'", str(cause))
    found = named[1] if named else "?"
    return (f"the database was made by a newer HallQ (schema {found}; this HallQ knows up to {head}): run that newer "
            f"HallQ, or point --db/--data at this version's database "
            f"(数据库由更新版本的 HallQ 创建（结构版本 {found}，本程序最高 {head}），请使用更新版本的 HallQ)")


def _disk(cause: BaseException, url: str, data_dir: Path) -> str | None:
    """A full disk (or one that failed) under the SQLite file or the data folder."""
    full = isinstance(cause, OSError) and cause.errno == errno.ENOSPC
    failing = False
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", 0) & 0xFF
        full, failing = code == sqlite3.SQLITE_FULL, code == sqlite3.SQLITE_IOERR
    if not (full or failing):
        return None
    folder = _folder_of(url, data_dir)
    free = _free_bytes(folder)
    if full or (free is not None and free < NEARLY_FULL_BYTES):
        return (f"cannot start: the disk of the data folder {folder} is full ({free} bytes free): free space there, then "
                f"start again (数据文件夹 {folder} 所在磁盘已满（剩余 {free} 字节），请清理空间后重新启动)")
    return (f"cannot start: the disk of the data folder {folder} failed to read or write ({cause}; {free} bytes free): "
            f"check the disk (数据文件夹 {folder} 所在磁盘读写出错，请检查磁盘)")


def _folder_of(url: str, data_dir: Path) -> Path:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return data_dir
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return Path(parsed.database).resolve().parent
    return data_dir


def _free_bytes(folder: Path) -> int | None:
    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def _postgresql(cause: BaseException, url: str) -> str | None:
    """PostgreSQL's answers at connection time that mean: the set-up is wrong, not the network."""
    if not type(cause).__module__.startswith("asyncpg"):
        return None
    sqlstate = getattr(cause, "sqlstate", None)
    parsed = make_url(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if sqlstate == "3D000":
        return (f"the PostgreSQL database {parsed.database!r} does not exist on {where}: create it (createdb -h "
                f"{parsed.host or 'localhost'} -U {parsed.username or 'postgres'} {parsed.database}) or correct --db "
                f"(PostgreSQL 数据库 {parsed.database} 不存在，请先创建或核对 --db)")
    if sqlstate in ("28P01", "28000"):
        return (f"PostgreSQL on {where} refused the login of {parsed.username!r}: {cause} "
                f"(数据库拒绝登录，请核对 --db 中的用户名和密码)")
    if sqlstate == "53100":
        return (f"the PostgreSQL server on {where} has no disk space left: free space there, then start again "
                f"(数据库服务器磁盘已满，请清理空间后重新启动)")
    return None
