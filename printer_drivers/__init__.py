"""Ticket printing for HallQ kiosks: layout to ESC/POS bytes, printer backends and status.

A library the kiosk uses; it imports nothing from the hub (no aiohttp, no SQLAlchemy, no
``server``). Its I/O blocks: call it from a worker thread. See docs/printing.md.
"""

from printer_drivers.backends import (
    DummyBackend,
    FileBackend,
    NetworkBackend,
    PrinterBackend,
    SerialBackend,
    UsbBackend,
)
from printer_drivers.errors import (
    CoverOpen,
    LayoutError,
    PaperOut,
    PrinterConfigError,
    PrinterError,
    PrinterFault,
    PrinterOffline,
)
from printer_drivers.printing import PrintResult, print_ticket
from printer_drivers.profiles import PrinterProfile, builtin_profiles, get_profile
from printer_drivers.render import render_ticket
from printer_drivers.simulator import PrinterModel, PrinterScript
from printer_drivers.spec import open_printer
from printer_drivers.status import PrinterState, PrinterStatus, query_status
from printer_drivers.ticket import TicketLayout, TicketPrint

__all__ = [
    "CoverOpen",
    "DummyBackend",
    "FileBackend",
    "LayoutError",
    "NetworkBackend",
    "PaperOut",
    "PrintResult",
    "PrinterBackend",
    "PrinterConfigError",
    "PrinterError",
    "PrinterFault",
    "PrinterModel",
    "PrinterOffline",
    "PrinterProfile",
    "PrinterScript",
    "PrinterState",
    "PrinterStatus",
    "SerialBackend",
    "TicketLayout",
    "TicketPrint",
    "UsbBackend",
    "builtin_profiles",
    "get_profile",
    "open_printer",
    "print_ticket",
    "query_status",
    "render_ticket",
]
