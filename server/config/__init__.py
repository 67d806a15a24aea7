"""Hall configuration: models, loading with complete error reports, item import, CLI helpers."""

from server.config.loader import load_hall_config
from server.config.models import (
    Calendar,
    HallConfig,
    HallInfo,
    Hours,
    Item,
    Queue,
    Rules,
    Season,
    Session,
    Unit,
    Window,
    Zone,
)
from server.config.paths import default_config_dir
from server.config.problems import ConfigError, ConfigProblem

__all__ = [
    "Calendar",
    "ConfigError",
    "ConfigProblem",
    "HallConfig",
    "HallInfo",
    "Hours",
    "Item",
    "Queue",
    "Rules",
    "Season",
    "Session",
    "Unit",
    "Window",
    "Zone",
    "default_config_dir",
    "load_hall_config",
]
