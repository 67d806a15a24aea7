"""How a hub is started: where its configuration, data and database are, and where it listens."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HubSettings:
    config_dir: Path
    data_dir: Path
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    tls_cert: Path | None = None  # with tls_key: the hub serves HTTPS/WSS (server/tls.py)
    tls_key: Path | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert is not None else "http"

    def resolved_database_url(self) -> str:
        from server.storage.db import default_database_url  # the database code, only when a database is opened

        return self.database_url or default_database_url(self.data_dir)

    def secret(self) -> bytes:
        """The hall's secret for keyed hashes of personal data; made once, kept in the data folder."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.data_dir / "secret.key"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.unlink(missing_ok=True)  # left by a start that died while writing it
            # Created 0600, not chmod-ed after writing: for that moment the key was readable.
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                out.write(secrets.token_hex(32))
            tmp.replace(path)
        return bytes.fromhex(path.read_text().strip())
