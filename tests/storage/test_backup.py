"""`hallq db backup DEST` on a running hub: the copy is the hall's committed state and its secret.

Tried: a real `hallq serve` process, an account added through the CLI while it runs, then a backup;
the backup's folder given again; a PostgreSQL URL. It was: no backup command and no word on backups
in the docs, while a `cp hallq.db` of a running hall can miss what is still in hallq.db-wal.
Kept: the copy opens as a hall database listing the account, with the data folder's secret.key,
both readable by their owner only; a second backup into the same folder is refused and leaves the
first as it was; the hub's own data is untouched and it goes on answering.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import aiohttp
import pytest

from tests.hub_process import HALLQ, HubProcess


def hallq(hub: HubProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HALLQ, *args], capture_output=True, text=True, env=hub.env, timeout=120)


async def test_a_backup_of_a_running_hall_opens_as_the_hall(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    await hub.start()
    try:
        hub.cli("user", "add", "zhangsan", "--role", "staff", "--name", "张三")
        (tmp_path / "backup").mkdir()  # the folder a nightly backup goes into exists; the day's is made
        dest = tmp_path / "backup" / "2026-11-28"
        made = hallq(hub, "db", "backup", str(dest), "--data", str(tmp_path / "data"))
        assert made.returncode == 0 and f"to {dest};" in made.stdout, made
        assert "remove hallq.db-wal and hallq.db-shm" in made.stdout

        copy = hallq(hub, "user", "list", "--data", str(dest))
        assert copy.returncode == 0 and "zhangsan  张三  staff  active" in copy.stdout, copy
        assert (dest / "secret.key").read_bytes() == (tmp_path / "data" / "secret.key").read_bytes()
        assert {(p.name, p.stat().st_mode & 0o777) for p in dest.iterdir()} == {("hallq.db", 0o600), ("secret.key", 0o600)}

        first = (dest / "hallq.db").read_bytes()
        again = hallq(hub, "db", "backup", str(dest), "--data", str(tmp_path / "data"))
        assert again.returncode == 1 and "already exists" in again.stderr and "新的文件夹" in again.stderr, again
        assert (dest / "hallq.db").read_bytes() == first

        postgres = hallq(hub, "db", "backup", str(tmp_path / "pg"), "--db", "postgresql://hallq@127.0.0.1/hallq")
        assert postgres.returncode == 1 and "pg_dump" in postgres.stderr and not (tmp_path / "pg").exists(), postgres
        async with aiohttp.ClientSession() as session, session.get(f"{hub.url}/api/v1/health") as health:
            assert health.status == 200
    finally:
        hub.stop()


def backup_of(data: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HALLQ, "db", "backup", str(dest), "--data", str(data)], capture_output=True, text=True,
                          env=dict(os.environ, HALLQ_PASSWORD="pass-1234"), timeout=120)


@pytest.fixture
def hall(tmp_path: Path) -> Path:
    """A hall's data folder: its database made by the command line, a secret.key as the hub keeps
    one (the hub makes it at its first start)."""
    data = tmp_path / "data"
    subprocess.run([HALLQ, "user", "add", "zhangsan", "--role", "staff", "--data", str(data)], check=True, capture_output=True,
                   env=dict(os.environ, HALLQ_PASSWORD="pass-1234"), timeout=120)
    (data / "secret.key").write_bytes(os.urandom(32))
    (data / "secret.key").chmod(0o600)
    return data


def refused(run: subprocess.CompletedProcess[str], dest: Path, *reason: str) -> None:
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1 and len(lines) == 1 and "Traceback" not in run.stderr, run
    assert lines[0].startswith(f"cannot back up to {dest}: ") and all(r in lines[0] for r in reason), run
    assert run.stdout == ""


def test_a_destination_that_is_missing_or_not_a_folder_is_named_in_one_line(hall: Path, tmp_path: Path) -> None:
    """Tried: `hallq db backup` into a folder under a regular file (ENOTDIR), onto a regular file,
    into a folder whose parent is missing (a mistyped or unmounted backup disk). It was: a
    traceback each (NotADirectoryError, FileExistsError), and the missing parents made silently
    on whatever disk held the path. Kept: exit 1, one line naming the destination and the reason,
    the file in the way untouched, nothing made where the destination would be."""
    a_file = tmp_path / "usb"
    a_file.write_bytes(b"not a folder")
    under_a_file = a_file / "hallq-2026-11-28"
    refused(backup_of(hall, under_a_file), under_a_file, f"{a_file} is not a folder", "不是文件夹")
    refused(backup_of(hall, a_file), a_file, f"{a_file} is not a folder", "不是文件夹")
    assert a_file.read_bytes() == b"not a folder"

    missing = tmp_path / "mnt" / "backup-disk" / "hallq-2026-11-28"
    refused(backup_of(hall, missing), missing, f"the folder {missing.parent} does not exist", "不存在")
    assert not (tmp_path / "mnt").exists()


def test_a_folder_holding_a_secret_key_is_refused_and_the_key_kept(hall: Path, tmp_path: Path) -> None:
    """Tried: a backup into a folder that holds a secret.key and no database (the only copy of an
    earlier key, kept apart from its backup). It was: the key overwritten by this hall's, and, had
    the copy failed mid-way (a full disk), removed with the backup's own files. Kept: exit 1, one
    line saying the key file is already there, the folder exactly as it was."""
    keep = tmp_path / "keys"
    keep.mkdir()
    (keep / "secret.key").write_bytes(b"an earlier hall's key")
    run = backup_of(hall, keep)
    refused(run, keep, f"{keep / 'secret.key'} already exists", "已有密钥文件", "新的文件夹")
    assert [p.name for p in keep.iterdir()] == ["secret.key"]
    assert (keep / "secret.key").read_bytes() == b"an earlier hall's key"


def test_a_destination_the_user_may_not_write_is_named_in_one_line(hall: Path, tmp_path: Path) -> None:
    """Tried: a backup into a folder whose parent is mode 0500, by a user who is not root (root
    writes there whatever the mode: skipped as root). Kept: exit 1, one line saying permission
    denied, nothing made there."""
    if os.geteuid() == 0:
        pytest.skip("root may write a folder whatever its mode")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        dest = locked / "hallq-2026-11-28"
        refused(backup_of(hall, dest), dest, "permission denied", "没有")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_a_full_backup_disk_leaves_no_partial_copy(hall: Path, tmp_path: Path) -> None:
    """Tried: a backup onto a real tmpfs smaller than the database (mounting needs root: skipped
    where it is not permitted), into a new folder and into an existing one; then with room again.
    It was: the copy's partial file removed, but the new folder left behind (and a full disk while
    copying secret.key would have left the database without its secret). Kept: exit 1, one line
    saying the disk is full; the new folder is gone and the existing one holds what it held; the
    backup succeeds once the disk has room."""
    size = (hall / "hallq.db").stat().st_size
    disk = tmp_path / "backup-disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size // 2}", "tmpfs", str(disk)], capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        new = disk / "hallq-2026-11-28"
        refused(backup_of(hall, new), new, "the disk is full", "磁盘已满")
        assert list(disk.iterdir()) == []
        existing = disk / "kept"
        existing.mkdir()
        (existing / "README").write_text("backups of the hall")
        refused(backup_of(hall, existing), existing, "the disk is full")
        assert [p.name for p in existing.iterdir()] == ["README"]
        subprocess.run(["mount", "-o", f"remount,size={size * 4}", str(disk)], check=True)
        done = backup_of(hall, new)
        assert done.returncode == 0 and sorted(p.name for p in new.iterdir()) == ["hallq.db", "secret.key"], done
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
