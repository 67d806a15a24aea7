"""Print one ticket so that a caller can never believe an unprinted ticket was printed.

Order: render (bad input fails before any byte is sent), ask the printer's status where the
profile and the transport allow it, send, ask again. Any failure raises a
:class:`~printer_drivers.errors.PrinterError`; a returned :class:`PrintResult` means the job was
delivered to a printer that reported no fault afterwards (``verified``), or - on transports that
cannot report status - at least delivered without a transport error (``verified`` False).

The second status check catches faults that happened while the job was being sent (the paper ran
out during a long serial transfer). It cannot prove the last line left the printer: DLE EOT is
answered in real time, possibly before the buffer is printed.

Blocking: call from a worker thread (``asyncio.to_thread``), never on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from printer_drivers.backends import PrinterBackend
from printer_drivers.profiles import PrinterProfile
from printer_drivers.render import render_ticket
from printer_drivers.status import PrinterStatus, query_status
from printer_drivers.ticket import TicketLayout, TicketPrint


@dataclass(frozen=True)
class PrintResult:
    """A ticket job that was delivered. ``status_after`` is ``None`` when not verified."""

    number: str
    bytes_sent: int
    verified: bool
    status_before: PrinterStatus | None
    status_after: PrinterStatus | None

    @property
    def warning_zh(self) -> str | None:
        """A notice for staff, e.g. paper nearly out; ``None`` when all is well."""
        for status in (self.status_after, self.status_before):
            if status is not None and status.state.value == "paper_near_end":
                return status.chinese_message
        return None


def _checked_status(backend: PrinterBackend, context: str) -> PrinterStatus:
    status = query_status(backend)
    if not status.printable:
        raise status.to_error(context)
    return status


def print_ticket(
    backend: PrinterBackend,
    ticket: TicketPrint,
    layout: TicketLayout,
    profile: PrinterProfile,
) -> PrintResult:
    """Render and print ``ticket``; raises ``PrinterError`` (incl. ``LayoutError``) on failure."""
    data = render_ticket(ticket, layout, profile)
    verify = profile.supports_status and backend.can_read_status
    before = (
        _checked_status(backend, f"{backend.spec}: before ticket {ticket.number}")
        if verify
        else None
    )
    backend.send(data)
    after = (
        _checked_status(backend, f"{backend.spec}: after ticket {ticket.number}, may be incomplete")
        if verify
        else None
    )
    return PrintResult(ticket.number, len(data), verify, before, after)
