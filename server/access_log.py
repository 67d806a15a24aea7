"""An access log that leaves query strings out, and keeps the hall's routine traffic at DEBUG.

Browsers cannot set headers on a WebSocket, so boards and pages pass their token as `?token=`;
aiohttp's default access log writes the whole request line, which would put working tokens in the
hub's log files.

Refused and failed requests (4xx, 5xx) are logged at INFO: those are what a technician looks for.
A citizen's status token is the credential of their ticket (follow it, rate the visit): the path
segment after /t/ or /status/ is logged as "…" (the ticket can be found by its number).

Successful ones are DEBUG (`hallq -v serve` shows them): a busy hall's kiosks, call-pads and boards
make thousands a day, and formatting a log line for each cost a twentieth of issuing a ticket.
So are the refusals of an outage the storage's log already tells once (database unreachable,
disk full: `TOLD_ONCE`): kiosks retrying against an unreachable database made a line each.
"""
from __future__ import annotations

import logging
import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

TOLD_ONCE = web.ResponseKey("told_once", bool)
"""Set on a refusal whose cause the log tells once per outage, not once per request."""


_STATUS_TOKEN = re.compile(r"(^/t/|/api/v1/status/)[^/]+")


def loggable_path(path: str) -> str:
    """The request's path with a citizen's status token left out."""
    return _STATUS_TOKEN.sub(r"\1…", path)


class PathOnlyAccessLogger(AbstractAccessLogger):
    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        level = logging.INFO if response.status >= 400 and not response.get(TOLD_ONCE) else logging.DEBUG
        if not self.logger.isEnabledFor(level):
            return
        self.logger.log(
            level,
            '%s "%s %s" %s %s %.1fms',
            request.remote,
            request.method,
            loggable_path(request.path),
            response.status,
            response.body_length,
            time * 1000,
        )
