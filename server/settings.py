"""How a hub is started: where its configuration, data and database are, and where it listens."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from server.storage.db import default_database_url


@dataclass(frozen=True)
class HubSettings:
    config_dir: Path
    data_dir: Path
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url(self.data_dir)

    def secret(self) -> bytes:
        """The hall's secret for keyed hashes of personal data; made once, kept in the data folder."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret.key"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_hex(32))
            tmp.chmod(0o600)
            tmp.replace(path)
        return bytes.fromhex(path.read_text().strip())
