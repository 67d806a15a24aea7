"""A scripted ESC/POS printer: the dummy backend, the tests and a technician's demo use it.

:class:`PrinterModel` takes the bytes a printer would receive and returns the bytes it would
answer. It answers ``DLE EOT 1..4`` from its scripted state exactly as a real printer encodes
it, so the kiosk's real status path runs against it. Print data lands in ``printed`` while the
printer can print and in ``discarded`` while it cannot (paper out, cover open, error, offline),
so a test can tell a printed ticket from a lost one.

Like a real printer it spots ``10 04 n`` anywhere in the stream, including inside image data;
a stray reply is harmless because backends drop stale input before every status request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Paper = Literal["ok", "near_end", "out"]


@dataclass
class PrinterScript:
    """The simulated printer's condition; change it between calls to script a fault."""

    paper: Paper = "ok"
    cover_open: bool = False
    #: Powered off or unplugged: answers nothing, prints nothing.
    offline: bool = False
    #: A reported mechanical fault (autocutter jam).
    error: bool = False
    #: The transport itself fails: sending raises ``OSError`` (used by the dummy backend).
    fail_send: bool = False
    #: Paper left, in bytes of print data; the paper runs out after that many (None: endless).
    paper_left_bytes: int | None = None


class PrinterModel:
    """Printer behaviour over a byte stream; not thread-safe (one connection, one model)."""

    def __init__(self, script: PrinterScript | None = None) -> None:
        self.script = script or PrinterScript()
        self.printed = bytearray()
        self.discarded = bytearray()
        self.status_requests: list[int] = []
        self._pending = b""

    def can_print(self) -> bool:
        s = self.script
        return not (s.offline or s.cover_open or s.error or s.paper == "out")

    def status_byte(self, n: int) -> int:
        """The reply to ``DLE EOT n`` for the current script (fixed bits 0x12 included)."""
        s = self.script
        stopped = s.cover_open or s.error or s.paper == "out"
        if n == 1:
            return 0x12 | (0x08 if stopped else 0)
        if n == 2:
            return (0x12 | (0x04 if s.cover_open else 0) | (0x20 if s.paper == "out" else 0)
                    | (0x40 if s.error else 0))
        if n == 3:
            return 0x12 | (0x08 if s.error else 0)
        if n == 4:
            return 0x12 | {"ok": 0, "near_end": 0x0C, "out": 0x6C}[s.paper]
        raise ValueError(f"DLE EOT n must be 1..4, got {n}")

    def receive(self, data: bytes) -> bytes:
        """Feed received bytes; returns what the printer sends back."""
        stream = self._pending + data
        self._pending = b""
        reply = bytearray()
        start = 0
        i = 0
        while i < len(stream):
            if stream[i] != 0x10:
                i += 1
                continue
            if i + 1 >= len(stream) or (stream[i + 1] == 0x04 and i + 2 >= len(stream)):
                break  # a possible DLE EOT cut by the chunk boundary: wait for more bytes
            if stream[i + 1] == 0x04 and stream[i + 2] in (1, 2, 3, 4):
                self._print(stream[start:i])
                n = stream[i + 2]
                self.status_requests.append(n)
                if not self.script.offline:
                    reply.append(self.status_byte(n))
                i += 3
                start = i
            else:
                i += 1
        self._print(stream[start:i])
        self._pending = stream[i:]
        return bytes(reply)

    def _print(self, chunk: bytes) -> None:
        if not chunk:
            return
        if not self.can_print():
            self.discarded += chunk
            return
        left = self.script.paper_left_bytes
        if left is not None and len(chunk) >= left:
            self.printed += chunk[:left]
            self.discarded += chunk[left:]
            self.script.paper_left_bytes = 0
            self.script.paper = "out"
            return
        if left is not None:
            self.script.paper_left_bytes = left - len(chunk)
        self.printed += chunk

    def flush(self) -> None:
        """End of a transfer: bytes held back for a possible split ``DLE EOT`` are print data."""
        pending, self._pending = self._pending, b""
        self._print(pending)
