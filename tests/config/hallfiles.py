"""Helpers for configuration tests: a private copy of the shipped sample hall to break."""

from __future__ import annotations

import csv
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.config.problems import ConfigError, ConfigProblem
from server.config.toml_write import dump_toml

HALL_FILES = ("hall.toml", "zones.toml", "windows.toml", "items.csv")


@pytest.fixture
def hall_dir(tmp_path: Path) -> Path:
    """The sample hall's four files copied into tmp_path/hall."""
    target = tmp_path / "hall"
    target.mkdir()
    for name in HALL_FILES:
        shutil.copy2(default_config_dir() / name, target / name)
    return target


def edit_toml(folder: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Load a TOML file, let `change` mutate it, and write it back."""
    path = folder / name
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(dump_toml(data), encoding="utf-8")


def read_items(folder: Path) -> list[dict[str, str]]:
    with open(folder / "items.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_items(folder: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> None:
    columns = columns or list(rows[0])
    with open(folder / "items.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def problems_of(folder: Path) -> list[ConfigProblem]:
    """Every problem the loader reports for a folder (fails if it loads cleanly)."""
    with pytest.raises(ConfigError) as caught:
        load_hall_config(folder)
    return caught.value.problems


def rename(folder: Path, entries: str, code: str, name: str, column: str) -> None:
    """A zone's or unit's new name (`entries` "zones" or "units" of zones.toml), and the same in
    the catalogue's `column` that repeats it (zone_name, department), which must agree."""
    def change(data: dict[str, Any]) -> None:
        next(e for e in data[entries] if e["code"] == code)["name"] = name

    edit_toml(folder, "zones.toml", change)
    key = entries.removesuffix("s")
    rows = read_items(folder)
    for row in rows:
        if row[key] == code:
            row[column] = name
    write_items(folder, rows)
