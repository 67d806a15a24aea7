"""Sample tickets and small emulators shared by the printer tests."""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from kiosk.session import TICKET_NOTICE
from printer_drivers import PrinterModel, PrinterScript, TicketLayout, TicketPrint

STATUS_URL = "https://hall.example.gov.cn/q/20261126/A1001?k=7f3a9c"


def sample_ticket(**changes: object) -> TicketPrint:
    values: dict[str, object] = dict(
        hall_name="湘中县政务服务中心",
        zone_name="A区",
        service_name="社会保障卡办理",
        number="A1001",
        people_ahead=12,
        estimated_wait_min=15,
        issued_at=datetime(2026, 11, 26, 9, 15, 42),
        priority=True,
        appointment=False,
        notice=TICKET_NOTICE,  # what the kiosk prints: a late citizen is re-queued (过号重排)
        status_url=STATUS_URL,
        window_hint="3号、5号窗口",
    )
    values.update(changes)
    return TicketPrint(**values)  # type: ignore[arg-type]


def sample_layout(width: int = 80, **changes: object) -> TicketLayout:
    values: dict[str, object] = dict(
        # The sample hall's design (config/ticket.toml). It said 过号作废, which the hall does not
        # do: a citizen who missed the call is re-queued by the clerk.
        header="欢迎光临", footer="请妥善保管此票\n扫描二维码查看进度、评价服务", logo_path=None,
        paper_width_mm=width, show_qr=True,
    )
    values.update(changes)
    return TicketLayout(**values)  # type: ignore[arg-type]


@dataclass
class EmulatedPrinter:
    """A :class:`PrinterModel` served over a real byte stream by a thread."""

    model: PrinterModel
    received: bytearray = field(default_factory=bytearray)

    def wait_for(self, needle: bytes, patience_s: float = 5.0) -> bool:
        """Wait until ``needle`` arrived (synchronisation only; tests assert on content)."""
        deadline = time.monotonic() + patience_s
        while needle not in self.received and time.monotonic() < deadline:
            time.sleep(0.01)
        return needle in self.received


@contextmanager
def pty_printer(script: PrinterScript | None = None) -> Iterator[tuple[str, EmulatedPrinter]]:
    """A printer on the master side of a pseudo-terminal; yields the slave's device name."""
    master, slave = os.openpty()
    printer = EmulatedPrinter(PrinterModel(script))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            printer.received += chunk
            reply = printer.model.receive(chunk)
            if reply:
                os.write(master, reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield os.ttyname(slave), printer
    finally:
        stop.set()
        thread.join(2)
        printer.model.flush()
        os.close(master)
        os.close(slave)


@contextmanager
def tcp_printer(script: PrinterScript | None = None) -> Iterator[tuple[int, EmulatedPrinter]]:
    """A printer listening on 127.0.0.1:<free port> (one connection at a time, like port 9100)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.05)
    printer = EmulatedPrinter(PrinterModel(script))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.05)
                while not stop.is_set():
                    try:
                        chunk = conn.recv(4096)
                    except TimeoutError:
                        continue
                    if not chunk:
                        break
                    printer.received += chunk
                    reply = printer.model.receive(chunk)
                    if reply:
                        conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], printer
    finally:
        stop.set()
        thread.join(2)
        printer.model.flush()
        listener.close()
