"""A real `hallq serve` process on a free loopback port, for the tests that need the whole hub:
an always-open copy of the sample hall, its own data folder, accounts made with the CLI."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import aiohttp

from server.config.paths import default_config_dir
from server.config.variants import write_always_open_copy

HALLQ = str(Path(sys.executable).with_name("hallq"))


def free_port() -> int:
    """A free loopback port of this test process's own range, below the kernel's ephemeral ports.

    Why not port 0: a hub restarted in a test (SIGTERM, then start again on the same port) leaves
    its port free for a moment, and the other xdist worker's next port 0 could be that one; its
    hub then answered our health check, and our staff token got a 401 from a stranger's hub. Each
    worker draws from its own 2,000 ports, which the kernel never hands out for port 0."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0
    low = 20000 + 2000 * (index % 6)
    while True:
        port = random.randrange(low, low + 2000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


class HubProcess:
    """`db`: a database URL (--db), else SQLite in the data folder. The hub's log (stderr) is kept
    in `log_path` for the tests that read what it says. `serve_args`: more `hallq serve` options;
    with --tls-cert the hub serves HTTPS, `url` is https://…, and `ca` (the CA that signed the
    certificate) is what the start-up check trusts."""

    def __init__(self, tmp_path: Path, db: str | None = None, serve_args: tuple[str, ...] = (), ca: Path | None = None):
        self.config = write_always_open_copy(default_config_dir(), tmp_path / "config")
        self.args = ["--config", str(self.config), "--data", str(tmp_path / "data"), *(["--db", db] if db else [])]
        self.log_path = tmp_path / "hub.log"
        self.env = dict(os.environ, HALLQ_PASSWORD="pass-1234")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.serve_args = serve_args
        self.ca = ca

    def cli(self, *args: str) -> str:
        return subprocess.run([HALLQ, *args, *self.args], check=True, capture_output=True, text=True, env=self.env).stdout.strip()

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [HALLQ, "serve", *self.args, "--port", str(self.port), *self.serve_args], env=self.env, stdout=subprocess.DEVNULL, stderr=log,
            )
        trust = ssl.create_default_context(cafile=str(self.ca)) if self.ca else True
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust)) as session:
            for _ in range(200):
                try:
                    async with session.get(f"{self.url}/api/v1/health") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        raise AssertionError("the hub did not come up")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=20)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines() if self.log_path.exists() else []

    @property
    def url(self) -> str:
        return f"{'https' if '--tls-cert' in self.serve_args else 'http'}://127.0.0.1:{self.port}"
