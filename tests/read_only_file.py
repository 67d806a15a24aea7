"""A file nobody may write, root included: the stand-in for a device file (a printer's, a serial
port's) of a group the program's user is not in. Root, and a process keeping root's capabilities,
may write any file whatever its mode, so the file is put on a tmpfs mounted read-only (mounting
needs root: the test is skipped where it is not permitted)."""
from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only_file(tmp_path: Path, name: str) -> Iterator[Path]:
    mount = tmp_path / "read-only"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        (mount / name).write_bytes(b"")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / name
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
