"""The kiosk's printer: status before issuing, printing off the event loop.

python-escpos blocks (serial writes, status replies), so every call runs on a worker thread via
``asyncio.to_thread``; a lock keeps one job per backend at a time (a backend is not thread-safe).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from kiosk.paper_watch import PaperWatch
from printer_drivers.render import usable_dots
from printer_drivers import (
    PrinterBackend,
    PrinterOffline,
    PrinterProfile,
    PrinterStatus,
    PrintResult,
    TicketLayout,
    TicketPrint,
    print_ticket,
    query_status,
)


@dataclass(frozen=True)
class PrinterReadiness:
    """Whether a ticket may be issued now; ``message_zh`` is for the citizen when not."""

    ready: bool
    state: str
    message_zh: str | None
    cause_en: str | None = None
    """Why not, for the technician's log (the port that would not open, the status bytes)."""


class TicketPrinter:
    def __init__(self, backend: PrinterBackend, profile: PrinterProfile, layout: TicketLayout) -> None:
        # An 80 mm ticket.toml on a 58 mm printer started, and then every ticket was issued and
        # not printed (LayoutError at print time): refused here, so the kiosk does not start.
        usable_dots(layout, profile)
        self.backend = backend
        self.profile = profile
        self.layout = layout
        self.paper = PaperWatch(backend.spec)
        self._lock = asyncio.Lock()

    def _status(self) -> PrinterStatus:
        if not (self.profile.supports_status and self.backend.can_read_status):
            return PrinterStatus.unknown()
        return query_status(self.backend)

    async def readiness(self) -> PrinterReadiness:
        """Ask the printer BEFORE issuing: a kiosk must not issue a ticket it cannot print.

        A printer that cannot report status (file backend, profile without DLE EOT) counts as
        ready unless its transport is plainly missing (a device file gone: each ticket issued
        would come to "not printed"); ``print_ticket`` still raises if the transport fails.
        """
        async with self._lock:
            status = await asyncio.to_thread(self._status)
        if not status.queried:
            missing = self.backend.missing()
            if missing is not None:
                return PrinterReadiness(False, "offline", PrinterOffline.default_message_zh, missing)
            return PrinterReadiness(True, status.state.value, None)
        if status.printable:
            self.paper.seen(status.state)
            return PrinterReadiness(True, status.state.value, None)
        return PrinterReadiness(False, status.state.value, status.chinese_message,
                                f"{self.backend.spec}: {status.english_message}")

    async def print(self, ticket: TicketPrint) -> PrintResult:
        """Print one ticket; raises ``PrinterError`` when it did not (completely) come out."""
        async with self._lock:
            result = await asyncio.to_thread(print_ticket, self.backend, ticket, self.layout, self.profile)
        for status in (result.status_before, result.status_after):
            if status is not None:
                self.paper.seen(status.state)
        return result
