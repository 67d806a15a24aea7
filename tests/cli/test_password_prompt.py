"""`hallq user add` asking for the password at a real terminal (a pseudo-terminal it controls)."""
from __future__ import annotations

import fcntl
import os
import subprocess
import termios
import time
from pathlib import Path

from tests.hub_process import HALLQ


def _at_a_terminal(args: list[str], keys: list[bytes]) -> tuple[int, str]:
    """Run hallq with a pty as its controlling terminal (getpass reads /dev/tty), type each of
    `keys` after the next prompt, and return the exit status and everything it printed."""
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "HALLQ_PASSWORD"}
    process = subprocess.Popen([HALLQ, *args], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                               preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    seen = b""
    try:
        for key in keys:
            prompts = seen.count(b": ")
            deadline = time.monotonic() + 60
            while seen.count(b": ") == prompts and time.monotonic() < deadline:
                seen += os.read(master, 4096)
            os.write(master, key)
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        return process.wait(timeout=60), seen.decode("utf-8", "replace")
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()


def test_ctrl_d_or_different_entries_at_the_password_prompt_add_nothing_and_say_so(tmp_path: Path) -> None:
    """Tried: `hallq user add` at a terminal, Ctrl-D at the first prompt; then two different
    entries. It was: a getpass traceback (EOFError) for Ctrl-D, and `the two entries differ` in
    English only. Kept: exit 1 with a line in both languages, no traceback, no account made."""
    data = ["--data", str(tmp_path / "data")]
    code, said = _at_a_terminal(["user", "add", "bob", "--role", "staff", *data], [b"\x04"])
    assert code == 1 and "no password typed: nothing added (未输入密码，未添加账号)" in said and "Traceback" not in said, said
    code, said = _at_a_terminal(["user", "add", "bob", "--role", "staff", *data], [b"pass-one-123\n", b"pass-two-456\n"])
    assert code == 1 and "两次输入不一致，未添加账号" in said and "Traceback" not in said, said
    listed = subprocess.run([HALLQ, "user", "list", *data], capture_output=True, text=True, timeout=60)
    assert "bob" not in listed.stdout
