"""Real-time printer status: ``DLE EOT n`` (``10 04 n``) and what its bytes mean.

Status bytes per the Epson ESC/POS reference. Every reply byte has fixed bits (bit 1 and bit 4
set, bits 0 and 7 clear), which tells a real answer from line noise or a wrong baud rate:

* n=1 printer: bit 2 drawer connector pin 3 high, bit 3 offline, bit 5 waiting for recovery,
  bit 6 feed button pressed;
* n=2 offline cause: bit 2 cover open, bit 3 feeding by the feed button, bit 5 stopped by paper
  end, bit 6 error;
* n=3 error cause: bit 2 recoverable (mechanism) error, bit 3 autocutter error, bit 5
  unrecoverable error, bit 6 automatically recoverable error (e.g. head too hot);
* n=4 paper roll sensor: bits 2-3 near end, bits 5-6 paper end.

The queries block (each waits for one byte up to the backend's timeout): call them from a worker
thread, never from an event loop.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from printer_drivers.errors import CoverOpen, PaperOut, PrinterError, PrinterFault, PrinterOffline

if TYPE_CHECKING:  # pragma: no cover
    from printer_drivers.backends import PrinterBackend

DLE_EOT = b"\x10\x04"
_FIXED_MASK, _FIXED_VALUE = 0x93, 0x12


class PrinterState(str, enum.Enum):
    READY = "ready"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"
    #: The backend or profile cannot report status (e.g. a file): printing is not verified.
    UNKNOWN = "unknown"


_MESSAGES: dict[PrinterState, tuple[str, str]] = {
    PrinterState.READY: ("打印机正常", "printer ready"),
    PrinterState.PAPER_NEAR_END: ("打印纸即将用完，请通知工作人员", "paper near end"),
    PrinterState.PAPER_OUT: ("打印纸已用完，请联系工作人员换纸", "paper out"),
    PrinterState.COVER_OPEN: ("打印机盖未关好，请联系工作人员", "cover open"),
    PrinterState.OFFLINE: ("打印机未连接，请联系工作人员", "printer offline or not answering"),
    PrinterState.ERROR: ("打印机故障，请联系工作人员", "printer error"),
    PrinterState.UNKNOWN: ("无法获取打印机状态", "printer status not available"),
}

_ERRORS: dict[PrinterState, type[PrinterError]] = {
    PrinterState.PAPER_OUT: PaperOut,
    PrinterState.COVER_OPEN: CoverOpen,
    PrinterState.OFFLINE: PrinterOffline,
    PrinterState.ERROR: PrinterFault,
}


def _bit(byte: int | None, mask: int) -> bool:
    return byte is not None and bool(byte & mask)


@dataclass(frozen=True)
class PrinterStatus:
    """Decoded replies to ``DLE EOT 1..4``; ``None`` in ``raw`` means no reply to that query."""

    raw: tuple[int | None, int | None, int | None, int | None]
    #: False when nobody asked (the backend or profile cannot report status).
    queried: bool = True

    @classmethod
    def unknown(cls) -> PrinterStatus:
        return cls((None, None, None, None), queried=False)

    @property
    def answered(self) -> bool:
        return self.raw[0] is not None

    @property
    def malformed(self) -> bool:
        return any(b is not None and b & _FIXED_MASK != _FIXED_VALUE for b in self.raw)

    @property
    def online(self) -> bool:
        return self.answered and not _bit(self.raw[0], 0x08)

    @property
    def drawer_pin3_high(self) -> bool:
        return _bit(self.raw[0], 0x04)

    @property
    def cover_open(self) -> bool:
        return _bit(self.raw[1], 0x04)

    @property
    def paper_end(self) -> bool:
        return _bit(self.raw[1], 0x20) or _bit(self.raw[3], 0x60)

    @property
    def paper_near_end(self) -> bool:
        return _bit(self.raw[3], 0x0C)

    @property
    def autocutter_error(self) -> bool:
        return _bit(self.raw[2], 0x08)

    @property
    def error(self) -> bool:
        return _bit(self.raw[1], 0x40) or _bit(self.raw[2], 0x6C)

    @property
    def state(self) -> PrinterState:
        if not self.queried:
            return PrinterState.UNKNOWN
        if not self.answered:
            return PrinterState.OFFLINE
        if self.malformed:
            return PrinterState.ERROR
        if self.cover_open:
            return PrinterState.COVER_OPEN
        if self.paper_end:
            return PrinterState.PAPER_OUT
        if self.error:
            return PrinterState.ERROR
        if not self.online:
            return PrinterState.OFFLINE
        if self.paper_near_end:
            return PrinterState.PAPER_NEAR_END
        return PrinterState.READY

    @property
    def printable(self) -> bool:
        """True when a ticket can be printed now (ready, or paper nearly out)."""
        return self.state in (PrinterState.READY, PrinterState.PAPER_NEAR_END)

    @property
    def chinese_message(self) -> str:
        return _MESSAGES[self.state][0]

    @property
    def english_message(self) -> str:
        detail = " ".join("--" if b is None else f"{b:02x}" for b in self.raw)
        return f"{_MESSAGES[self.state][1]} (DLE EOT 1-4 replies: {detail})"

    def to_error(self, context: str) -> PrinterError:
        """The :class:`PrinterError` matching an unprintable state (``context`` for the log)."""
        klass = _ERRORS.get(self.state, PrinterFault)
        return klass(f"{context}: {self.english_message}", message_zh=self.chinese_message,
                     status=self)


def query_status(backend: PrinterBackend) -> PrinterStatus:
    """Ask the printer ``DLE EOT 1..4`` through ``backend``; blocking.

    A backend that cannot read (file) gives ``PrinterState.UNKNOWN``. No answer to ``DLE EOT 1``
    gives ``OFFLINE``; later queries are then skipped (each would wait for the timeout).
    Transport failures raise :class:`PrinterOffline`.
    """
    if not backend.can_read_status:
        return PrinterStatus.unknown()
    replies: list[int | None] = []
    for n in (1, 2, 3, 4):
        reply = backend.request(DLE_EOT + bytes([n]), 1)
        replies.append(reply[0] if reply else None)
        if n == 1 and not reply:
            return PrinterStatus((None, None, None, None))
    return PrinterStatus((replies[0], replies[1], replies[2], replies[3]))
