"""The data folder holds password hashes, citizens' status tokens, keyed hashes of ID numbers
and the key of those hashes: on a shared PC, no other account may read them."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from server.settings import HubSettings
from server.storage.db import open_database, upgrade


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_data_folder_is_the_hubs_alone(tmp_path: Path) -> None:
    """Tried: a hub's first start in a new folder, under the usual umask 022. Kept: the folder
    0700, the database and its WAL 0600, the secret key 0600."""
    settings = HubSettings(config_dir=tmp_path, data_dir=tmp_path / "data")
    umask = os.umask(0o022)
    try:
        key = settings.secret()
    finally:
        os.umask(umask)
    assert len(key) == 32
    database = open_database(settings.resolved_database_url())
    try:
        await upgrade(database)
        await database.write(lambda conn: None)
    finally:
        await database.close()
    data = tmp_path / "data"
    assert mode(data) == 0o700
    assert mode(data / "secret.key") == 0o600
    files = sorted(p.name for p in data.iterdir())
    assert "hallq.db" in files
    for name in files:
        assert mode(data / name) & 0o077 == 0, (name, oct(mode(data / name)))
    assert settings.secret() == bytes.fromhex((data / "secret.key").read_text()), "made once, then read"
