"""Typed application keys: the app's resources, with no module globals."""
from __future__ import annotations

from aiohttp import web

from server.accounts import Accounts
from server.config.models import HallConfig
from server.engine.engine import QueueEngine
from server.events import EventBus
from server.settings import HubSettings
from server.storage.db import Database

SETTINGS = web.AppKey("settings", HubSettings)
CONFIG = web.AppKey("config", HallConfig)
DATABASE = web.AppKey("database", Database)
ENGINE = web.AppKey("engine", QueueEngine)
BUS = web.AppKey("bus", EventBus)
ACCOUNTS = web.AppKey("accounts", Accounts)
