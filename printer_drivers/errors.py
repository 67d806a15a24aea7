"""Printer errors a kiosk can act on.

Every failure to print surfaces as a :class:`PrinterError` so a caller has exactly one thing to
catch. Each error carries two messages because two audiences read it: the citizen standing at the
kiosk (Simplified Chinese, no jargon) and the technician reading logs (English, with detail).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from printer_drivers.status import PrinterStatus


class PrinterError(Exception):
    """Base of every printing failure; the ticket was NOT (completely) printed."""

    default_message_zh = "打印机故障，请联系工作人员"

    def __init__(
        self,
        message_en: str,
        *,
        message_zh: str | None = None,
        status: PrinterStatus | None = None,
    ) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or self.default_message_zh
        self.status = status


class PrinterOffline(PrinterError):
    """The printer does not answer, or the link to it failed."""

    default_message_zh = "打印机未连接，请联系工作人员"


class PaperOut(PrinterError):
    """The paper roll is empty."""

    default_message_zh = "打印纸已用完，请联系工作人员换纸"


class CoverOpen(PrinterError):
    """The printer cover is open."""

    default_message_zh = "打印机盖未关好，请联系工作人员"


class PrinterFault(PrinterError):
    """The printer reports an error (cutter jam, head overheated, mechanism fault)."""

    default_message_zh = "打印机故障，请联系工作人员"


class PrinterConfigError(PrinterError):
    """A backend spec string or profile name is wrong: fix the configuration, not the printer."""

    default_message_zh = "打印机配置错误，请联系工作人员"


class LayoutError(PrinterError, ValueError):
    """The ticket or layout cannot be printed on this printer (too wide, unreadable logo, bad
    field). Also a ``ValueError``: it is bad input, found before any byte is sent."""

    default_message_zh = "票面内容无法打印，请联系工作人员"
