"""What a running hub adds to the bare API: web pages, wired devices and the hub-side voice.

Kept apart from the app factory so tests can build a hub with exactly the parts they exercise.
Each part is a function of the app; device and voice parts read their own files in the hall's
configuration folder (devices.toml, voice.toml) and do nothing when those are absent.
"""
from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from server.settings import HubSettings

Extension = Callable[[web.Application], None]


def page_extensions() -> list[Extension]:
    from server.web import board, callpad, dashboard, home, reports, setup_static, status_page

    return [setup_static, home.setup, callpad.setup, status_page.setup, board.setup, dashboard.setup, reports.setup]


def default_extensions(settings: HubSettings) -> list[Extension]:
    from server.devices import extension as devices
    from server.voice import service as voice

    return [*page_extensions(), devices.setup, voice.setup]
