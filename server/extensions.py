"""What a running hub adds to the bare API: web pages and device supervisors.

Kept apart from the app factory so tests can build a hub with exactly the parts they exercise.
"""
from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from server.settings import HubSettings

Extension = Callable[[web.Application], None]


def default_extensions(settings: HubSettings) -> list[Extension]:
    from server.web import setup_static

    return [setup_static]
