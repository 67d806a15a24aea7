"""An access log that leaves query strings out.

Browsers cannot set headers on a WebSocket, so boards and pages pass their token as `?token=`;
aiohttp's default access log writes the whole request line, which would put working tokens in the
hub's log files.
"""
from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger


class PathOnlyAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.1fms',
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time * 1000,
        )
