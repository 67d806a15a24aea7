"""`hallq serve` says at start what it runs, and warns when that is the repository's sample hall.

Tried: a hub started without --config (so on the sample hall in config/) on SQLite, and one with
--config on PostgreSQL through a URL carrying a password. It logged nothing about either.
Kept: a WARNING that this is the sample hall when no --config was given (none otherwise), and one
line naming the configuration folder, the hall, its zones and windows, the database (the SQLite
file; PostgreSQL's user, host and database, never the password) and the device buses.
"""
from __future__ import annotations

from pathlib import Path

from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from tests.hub_process import HubProcess


async def run_and_read_log(hub: HubProcess) -> list[str]:
    try:
        await hub.start()
    finally:
        hub.stop()
    return hub.log_lines()


def summary_of(lines: list[str]) -> str:
    said = [line for line in lines if " INFO server.start: serving hall " in line]
    assert len(said) == 1, lines
    return said[0]


async def test_the_sample_hall_is_warned_about_and_the_summary_names_what_runs(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    hub.args = ["--data", str(tmp_path / "data")]  # no --config: the sample hall
    lines = await run_and_read_log(hub)

    sample = default_config_dir()
    hall = load_hall_config(sample)
    warned = [line for line in lines if "RUNNING THE SAMPLE HALL" in line]
    # The folder the hub process resolved (its install's config/, which a clone run with another
    # checkout's venv does not share with this test process).
    assert len(warned) == 1 and " WARNING " in warned[0] and f"/{sample.name} because no --config" in warned[0], lines
    assert "示例大厅" in warned[0]
    summary = summary_of(lines)
    windows = sum(1 for w in hall.windows if w.kind == "window")
    for part in (hall.hall.name, f"(config {sample})", f"{len(hall.zones)} zones, {windows} windows",
                 f"database SQLite {(tmp_path / 'data' / 'hallq.db').resolve()}", "devices: no wired device buses"):
        assert part in summary, (part, summary)
    assert lines.index(warned[0]) < lines.index(summary), "the warning first, where the eye lands"


async def test_a_postgresql_hub_names_its_database_without_the_password(tmp_path: Path, pg_database: str) -> None:
    hub = HubProcess(tmp_path, db=f"postgresql://postgres:not-for-the-log@127.0.0.1:5432/{pg_database}")
    lines = await run_and_read_log(hub)

    summary = summary_of(lines)
    assert f"database PostgreSQL postgres@127.0.0.1:5432/{pg_database}" in summary, summary
    assert f"(config {hub.config.resolve()})" in summary, summary
    assert not any("not-for-the-log" in line for line in lines)
    assert not any("SAMPLE HALL" in line for line in lines), "a hall of its own (--config) is not warned about"
