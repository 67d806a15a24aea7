"""`hallq db backup DEST` on a running hub: the copy is the hall's committed state and its secret.

Tried: a real `hallq serve` process, an account added through the CLI while it runs, then a backup;
the backup's folder given again; a PostgreSQL URL. It was: no backup command and no word on backups
in the docs, while a `cp hallq.db` of a running hall can miss what is still in hallq.db-wal.
Kept: the copy opens as a hall database listing the account, with the data folder's secret.key,
both readable by their owner only; a second backup into the same folder is refused and leaves the
first as it was; the hub's own data is untouched and it goes on answering.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import aiohttp

from tests.hub_process import HALLQ, HubProcess


def hallq(hub: HubProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HALLQ, *args], capture_output=True, text=True, env=hub.env, timeout=120)


async def test_a_backup_of_a_running_hall_opens_as_the_hall(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    await hub.start()
    try:
        hub.cli("user", "add", "zhangsan", "--role", "staff", "--name", "张三")
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
