"""What `hallq serve` runs, said once at start: which hall, which database, which devices.

A hub started with a mistyped --data, the wrong --db or no --config at all logged nothing about
it: a technician found out from the first ticket numbers, or never, when it quietly ran the
repository's sample hall in place of their own. The summary names the configuration folder, the
hall, the database (a SQLite file, or PostgreSQL's user, host and database with no password),
the hall's size and the device buses; the sample hall is warned about loudly.
"""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import make_url

from server.config.models import HallConfig
from server.devices.config import DeviceConfig
from server.errors import HallQError
from server.settings import HubSettings
from server.storage.db import normalise_url

log = logging.getLogger("server.start")


def describe_database(url: str) -> str:
    """`SQLite /path/hallq.db` or `PostgreSQL user@host:port/db`: never a password."""
    try:
        parsed = make_url(normalise_url(url))
    except HallQError:  # refused once the hub opens it, in a line of its own (start_problems)
        return "(unsupported URL)"
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {parsed.database}"
    user = f"{parsed.username}@" if parsed.username else ""
    return f"PostgreSQL {user}{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"


def describe_devices(devices: DeviceConfig) -> str:
    if devices.empty:
        return "no wired device buses"
    buses = [f"pad bus {b.name} ({b.url}, {len(b.pads)} pads)" for b in devices.pad_buses]
    buses += [f"screen bus {b.name} ({b.url})" for b in devices.screen_buses]
    return ", ".join(buses)


def log_start_summary(settings: HubSettings, hall: HallConfig, devices: DeviceConfig, *, sample: bool) -> None:
    """One INFO line of what this hub runs; before it, when `sample` (no --config given, the
    repository's config/ used), a WARNING that this is the sample hall, not the technician's."""
    if sample:
        log.warning("RUNNING THE SAMPLE HALL from %s because no --config was given: its zones, windows and items are "
                    "examples, not this hall's; start with --config DIR "
                    "(未指定 --config，正在运行示例大厅配置，并非本大厅的配置)", settings.config_dir)
    windows = sum(1 for w in hall.windows if w.kind == "window")
    log.info("serving hall %s (config %s): %d zones, %d windows, %d back offices, %d queues; database %s; data folder %s; "
             "devices: %s", hall.hall.name, _shown(settings.config_dir), len(hall.zones), windows, len(hall.windows) - windows,
             len(hall.queues), describe_database(settings.resolved_database_url()), _shown(settings.data_dir),
             describe_devices(devices))


def _shown(folder: Path) -> str:
    return str(folder.resolve())
