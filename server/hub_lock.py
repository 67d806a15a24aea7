"""One hub per data folder: the second `hallq serve` (or demo) on a folder says which process
serves it, instead of running beside it.

Why: a technician starting `hallq serve` by hand while the service runs (another port) got a
second hub on the same database: each one's boards, pads and voice heard only its own actions, the
device buses said only "in use by another process (a second hub?)", and both ran. The lock is an
flock on `<data>/hub.lock`, held by the open file for the life of the process: the kernel drops it
when the process ends, however it ends, so a crash leaves nothing to clean up.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_FILE = "hub.lock"


class FolderTaken(Exception):
    """Another process serves this data folder (English, then Chinese in brackets)."""


def hold_data_folder(data_dir: Path) -> IO[str]:
    """Take the folder for this process; keep the returned file open for as long as it serves."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = handle.read().strip() or "?"
        handle.close()
        raise FolderTaken(f"another hub (process {holder}) is serving the data folder {data_dir.resolve()}: stop it first, "
                          f"or give this one its own --data (另一个 hub（进程 {holder}）正在使用该数据文件夹，请先停止它)") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
