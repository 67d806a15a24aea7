"""Where the hall's configuration lives when nobody says otherwise."""

from __future__ import annotations

from pathlib import Path


def default_config_dir() -> Path:
    """The sample hall in a source checkout: <repo>/config.

    config/ is a data folder at the top of the repository, not a Python package, so it is found
    relative to this file (server/config/paths.py -> parents[2] is the repository). An installed
    deployment has no such folder and must pass its own folder (`--config DIR`).
    """
    return Path(__file__).resolve().parents[2] / "config"
