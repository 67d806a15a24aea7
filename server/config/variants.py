"""Derived hall configurations for load tests, soak runs and out-of-hours demos.

A benchmark run at 03:00 or a restart test on a Sunday must not be refused by the working hours;
rather than a switch inside the engine, such runs use a copy of the hall whose hours cover the day.
"""
from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from server.config.toml_write import dump_toml


def write_always_open_copy(source: Path, target: Path) -> Path:
    """Copy a configuration folder, opening the hall every day from 00:00 to 23:58."""
    shutil.copytree(source, target, dirs_exist_ok=True)
    hall_file = target / "hall.toml"
    raw = tomllib.loads(hall_file.read_text(encoding="utf-8"))
    raw["hours"]["working_weekdays"] = [1, 2, 3, 4, 5, 6, 7]
    raw["hours"]["stop_issuing_before_close_min"] = 0
    raw["hours"]["auto_close_at"] = "23:59"
    raw["hours"]["seasons"] = [
        {"name": "全天", "start": "01-01", "end": "12-31", "sessions": [{"start": "00:00", "end": "23:58"}]}
    ]
    raw["calendar"] = {"holidays": [], "workdays": []}
    hall_file.write_text(dump_toml(raw, header="# Always-open copy for load tests (server/config/variants.py)."), encoding="utf-8")
    return target
