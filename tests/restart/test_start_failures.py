"""A hub or a `hallq` command that cannot start says why in one line, and exits non-zero.

Tried (real `hallq` processes): the data folder's disk full (a 2 MB tmpfs, filled up), a database
made by a newer HallQ (schema revision 0009_future), a PostgreSQL database that does not exist,
the HTTP port already taken, a MySQL URL, and `hallq db upgrade` of an old schema.
It was: 60-200 lines of traceback each; the taken port was found only after the hub had opened
the serial buses and migrated the database; `db upgrade` said "up to date" right after migrating.
Kept: one line in English and Chinese naming the problem and what to do (the free bytes for a full
disk), no traceback, a non-zero exit; a taken port stops the start before the database is made;
`db upgrade` says what it upgraded from and to.
"""
from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import uuid
from pathlib import Path

import aiohttp
import pytest
from alembic.script import ScriptDirectory

from server.errors import HallQError
from server.storage.database_claim import claim_database, release_database
from server.storage.db import MIGRATIONS_DIR, current_revision, open_database, upgrade
from tests.conftest import PG_ADMIN_URL, postgres_reachable
from tests.hub_process import HALLQ, HubProcess, free_port


def hallq(hub: HubProcess, *args: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """`hallq ARGS` with the hub's --config/--data (and `extra` options), run to its end."""
    return subprocess.run([HALLQ, *args, *hub.args, *extra], capture_output=True, text=True, env=hub.env, timeout=120)


def refused_in_one_line(run: subprocess.CompletedProcess[str], *words: str) -> str:
    """The run failed, its last line says why (with each of `words`), and nothing else is a trace."""
    assert run.returncode != 0, run
    lines = run.stderr.strip().splitlines()
    assert lines and "Traceback" not in run.stderr, run.stderr
    assert len(lines) <= 10, run.stderr  # the start-up summary, at most, before the reason
    assert all(word in lines[-1] for word in words), lines[-1]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[-1]), "the reason in Chinese too"
    return lines[-1]


@pytest.fixture
def tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 2 MB file system of its own (root only: skipped where mounting is not permitted)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_under_the_data_folder_is_said_in_one_line(tmp_path: Path, tmpfs: Path) -> None:
    hub = HubProcess(tmp_path)
    hub.args = ["--config", str(hub.config), "--data", str(tmpfs / "data")]
    assert hallq(hub, "db", "upgrade").returncode == 0  # the hall ran here, then the disk filled up
    with (tmpfs / "filler").open("wb") as filler, pytest.raises(OSError):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()

    refused_in_one_line(hallq(hub, "serve", extra=("--port", str(free_port()))), "is full", str(tmpfs / "data"), "bytes free", "已满")


def test_a_database_of_a_newer_hallq_is_said_in_one_line(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    assert hallq(hub, "db", "upgrade").returncode == 0
    with sqlite3.connect(tmp_path / "data" / "hallq.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0009_future'")

    for args in (("db", "upgrade"), ("serve", "--port", str(free_port())), ("user", "list")):
        refused_in_one_line(hallq(hub, *args), "newer HallQ", "0009_future", "更新版本")


def test_a_schema_with_two_revisions_is_said_in_one_line(tmp_path: Path) -> None:
    """Tried: a second row put in alembic_version (by hand, by another tool), then the hub and two
    commands. It was: a traceback ("more than one head present") from the commands, and a hub
    saying the database was made by a newer HallQ. Kept: one line naming both revisions and what to
    keep; the table is left as it was for the technician to mend."""
    hub = HubProcess(tmp_path)
    assert hallq(hub, "db", "upgrade").returncode == 0
    database = tmp_path / "data" / "hallq.db"
    with sqlite3.connect(database) as conn:
        [(head,)] = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        conn.execute("INSERT INTO alembic_version VALUES ('0005_x')")

    for args in (("db", "upgrade"), ("serve", "--port", str(free_port())), ("user", "list")):
        refused_in_one_line(hallq(hub, *args), "several revisions", "0005_x", head, "多个结构版本")
    with sqlite3.connect(database) as conn:
        assert sorted(conn.execute("SELECT version_num FROM alembic_version")) == sorted([("0005_x",), (head,)])


def test_a_postgresql_database_that_does_not_exist_is_said_in_one_line(tmp_path: Path) -> None:
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    missing = f"hallq_missing_{uuid.uuid4().hex[:8]}"
    hub = HubProcess(tmp_path, db=PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{missing}")
    for args in (("serve", "--port", str(free_port())), ("db", "upgrade")):
        refused_in_one_line(hallq(hub, *args), missing, "does not exist", "不存在")


def test_a_taken_port_stops_the_start_before_anything_else_in_one_line(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused_in_one_line(hallq(hub, "serve", "--port", str(port)), f"127.0.0.1:{port}", "already in use", "端口已被占用")
    assert not (tmp_path / "data" / "hallq.db").exists(), "the database was not touched (nor the devices, started after it)"


def test_a_database_hallq_does_not_run_on_is_said_in_one_line(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path, db="mysql://hallq:secret@db/hallq")
    for args in (("serve", "--port", str(free_port())), ("device", "list"), ("db", "upgrade")):
        line = refused_in_one_line(hallq(hub, *args), "unsupported database URL mysql://hallq:***@db/hallq", "不支持")
        assert "secret" not in line


def test_db_upgrade_says_from_which_revision_it_upgraded(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)

    async def make_old() -> None:
        database = open_database(f"sqlite:///{tmp_path / 'data' / 'hallq.db'}")
        try:
            await upgrade(database, "0003")
        finally:
            await database.close()

    (tmp_path / "data").mkdir()
    asyncio.run(make_old())
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    first = hallq(hub, "db", "upgrade")
    assert (first.returncode, first.stdout.strip().splitlines()[-1]) == (0, f"upgraded 0003 → {head}"), first
    again = hallq(hub, "db", "upgrade")
    assert (again.returncode, again.stdout.strip().splitlines()[-1]) == (0, f"database schema is up to date ({head})"), again


def test_a_file_where_the_hub_keeps_a_folder_is_named_in_one_line(tmp_path: Path) -> None:
    """Tried: `<data>/voice-cache` (the hub's voice clips) left as a file. It said `cannot use the
    database …: FileExistsError` with 请核对 --db 或 --data, sending the technician to the database.
    Kept: the database, untouched by the failed start, serves the next start once the file is moved."""
    hub = HubProcess(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "voice-cache").write_text("a clip list someone saved here\n")

    line = refused_in_one_line(hallq(hub, "serve", "--port", str(free_port())), str(tmp_path / "data" / "voice-cache"),
                               "found a file", "移走该文件")
    assert "database" not in line and "数据库" not in line

    (tmp_path / "data" / "voice-cache").rename(tmp_path / "voice-cache.txt")
    assert hallq(hub, "user", "list").returncode == 0


async def test_a_second_hub_on_the_same_data_folder_says_which_process_serves_it(tmp_path: Path) -> None:
    """Tried: `hallq serve` by hand, on another port, while a hub serves the same --data (the
    service already running). It was: a second hub on the same database, each one's boards, pads
    and voice hearing only its own actions. Kept: the first hub answers on; once it stops, the
    folder starts again (the lock ends with its process)."""
    hub = HubProcess(tmp_path)
    await hub.start()
    try:
        second = subprocess.run([HALLQ, "serve", *hub.args, "--port", str(free_port())], capture_output=True, text=True,
                                env=hub.env, timeout=60)
        refused_in_one_line(second, f"another hub (process {hub.process.pid if hub.process else '?'})",
                            str((tmp_path / "data").resolve()), "另一个 hub")
        async with aiohttp.ClientSession() as session, session.get(f"{hub.url}/api/v1/health") as health:
            assert health.status == 200
    finally:
        hub.stop()
    hub.port = free_port()
    await hub.start()
    hub.stop()


async def test_a_second_hub_on_the_same_postgresql_database_says_which_hub_serves_it(tmp_path: Path, pg_database: str) -> None:
    """Tried: a hub on another machine (here: another data folder, which its own folder lock
    cannot see) started on the PostgreSQL database a running hub serves. It was: two hubs on one
    database, each one's boards, pads and voice hearing only its own actions, and a newer one
    migrating the schema under the older. Kept: the second stops in one line naming the hub that
    serves the database (its process); the first answers on; once it stops, the second starts."""
    await _a_second_hub_is_refused(tmp_path, f"postgresql://postgres@127.0.0.1:5432/{pg_database}")


async def test_a_second_hub_on_the_same_sqlite_file_says_which_hub_serves_it(tmp_path: Path) -> None:
    """Tried: two data folders naming one SQLite file with --db (the folder lock sees only its own
    folder), the second through a symbolic link to the first one's folder. It was: two hubs on one
    database. Kept: as on PostgreSQL."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "shared")
    await _a_second_hub_is_refused(tmp_path, f"sqlite:///{tmp_path / 'shared' / 'hall.db'}",
                                   f"sqlite:///{tmp_path / 'link' / 'hall.db'}")


async def _a_second_hub_is_refused(tmp_path: Path, db: str, second_db: str | None = None) -> None:
    first = HubProcess(tmp_path / "first", db=db)
    await first.start()
    second = HubProcess(tmp_path / "second", db=second_db or db)
    try:
        run = subprocess.run([HALLQ, "serve", *second.args, "--port", str(second.port)], capture_output=True, text=True,
                             env=second.env, timeout=60)
        pid = first.process.pid if first.process else "?"
        refused_in_one_line(run, f"another hub (hallq hub {pid} on {socket.gethostname()}", "--db", "另一个 hub")
        async with aiohttp.ClientSession() as session, session.get(f"{first.url}/api/v1/health") as health:
            assert health.status == 200
    finally:
        first.stop()
    await second.start()  # the claim ended with the first hub's process
    second.stop()


async def test_a_hallq_command_does_not_migrate_a_sqlite_schema_under_the_hub_serving_it(tmp_path: Path) -> None:
    """Tried: a newer HallQ installed while the older hub serves on, then `hallq user list` and
    `hallq db upgrade` (every command brings the schema up to date first). It was: the schema
    migrated under the running hub, which then ran on a schema it does not know. Kept: both
    commands refuse in one line naming the hub, the schema stays where the hub left it; once the
    hub has stopped they migrate; a command with nothing to migrate runs beside the hub."""
    (tmp_path / "data").mkdir()
    await _commands_wait_for_the_hub(HubProcess(tmp_path), f"sqlite:///{tmp_path / 'data' / 'hallq.db'}")


async def test_a_hallq_command_does_not_migrate_a_postgresql_schema_under_the_hub_serving_it(
        tmp_path: Path, pg_database: str) -> None:
    """As on SQLite, the hub on another machine: its claim is the database's, not the folder's."""
    db = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    await _commands_wait_for_the_hub(HubProcess(tmp_path, db=db), db)


async def _commands_wait_for_the_hub(hub: HubProcess, db: str) -> None:
    """The older hub is played by this process: it claims the database as `hallq serve` does
    (claim_database) and leaves the schema at its own head, 0009 (the newer HallQ's is later)."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    database = open_database(db)
    try:
        claim = await claim_database(database.engine)
        try:
            await upgrade(database, "0009", claim=claim)
            for args in (("user", "list"), ("db", "upgrade")):
                run = await asyncio.to_thread(hallq, hub, *args)
                refused_in_one_line(run, f"hallq hub {os.getpid()} on {socket.gethostname()}", "stop it first", "请先停止它再升级")
            assert await current_revision(database) == "0009"
        finally:
            await release_database(claim)

        upgraded = await asyncio.to_thread(hallq, hub, "db", "upgrade")
        assert (upgraded.returncode, upgraded.stdout.strip().splitlines()[-1]) == (0, f"upgraded 0009 → {head}"), upgraded
        claim = await claim_database(database.engine)  # the newer hub serves
        try:
            beside = await asyncio.to_thread(hallq, hub, "user", "list")
            assert beside.returncode == 0, beside.stderr
        finally:
            await release_database(claim)
    finally:
        await database.close()


async def test_one_sqlite_file_is_one_claim_however_its_url_spells_it(tmp_path: Path) -> None:
    """Tried: a hub's claim held on a file, then a claim by its `file:` URI, through a symbolic
    link to its folder and by a relative path. It was: a `file:` URI had no claim at all, a link
    a claim of its own. Kept: each refused, naming the holder."""
    (tmp_path / "data").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "data")
    path = tmp_path / "data" / "hall.db"
    first = open_database(f"sqlite:///{path}")
    claim = await claim_database(first.engine)
    try:
        for spelling in (f"sqlite:///file:{path}?uri=true", f"sqlite:///{tmp_path / 'link' / 'hall.db'}",
                         f"sqlite:///{os.path.relpath(path)}"):
            other = open_database(spelling)
            try:
                with pytest.raises(HallQError) as refused:
                    await release_database(await claim_database(other.engine))
                assert refused.value.code == "database_taken" and f"hallq hub {os.getpid()}" in refused.value.message_en
            finally:
                await other.close()
    finally:
        await release_database(claim)
        await first.close()


async def test_a_migration_by_root_leaves_the_lock_to_the_databases_owner(tmp_path: Path) -> None:
    """Tried: `sudo hallq db upgrade` on a hall whose files belong to the hub's own user (here:
    nobody). It was: the lock file beside the database made root's, 0600, and the hub (as nobody)
    could not start. Kept: the lock file is the database owner's."""
    if os.geteuid() != 0:
        pytest.skip("needs root, as the technician's sudo")
    import pwd

    nobody = pwd.getpwnam("nobody")
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "hall.db"
    database = open_database(f"sqlite:///{path}")
    try:
        await upgrade(database, "0009")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
        await upgrade(database)  # as root, with something to migrate: the claim is taken
        lock = path.with_name("hall.db-hub.lock").stat()
        assert (lock.st_uid, lock.st_gid) == (nobody.pw_uid, nobody.pw_gid)
    finally:
        await database.close()
