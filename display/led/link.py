"""One open serial link (any pyserial URL) as an asyncio transport, with bounded send and close-wait.

The bus writes frames through this and needs two facts the bare transport does not give: when
a frame has left our buffers (send) and when and why the link died (wait_closed), so that
pending writes fail instead of hanging. A line that stops taking bytes (a hung USB adapter, a
device server whose far side is gone, hardware flow control held off) would otherwise keep the
bus waiting forever while reporting itself online; send() therefore has a deadline, and a missed
deadline drops the link with a LineStalledError that says what a technician should look at.
"""

from __future__ import annotations

import asyncio
import errno

import serial
import serial_asyncio_fast

from display.led.errors import BusClosedError, LineStalledError, PortInUseError
from caller.serial_line import send_within, stalled_message


class _LinkProtocol(asyncio.Protocol):
    """Tracks flow control and loss; screens do not answer, so reads are only counted."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[BaseException | None] = loop.create_future()
        self.writable = asyncio.Event()
        self.writable.set()
        self.bytes_received = 0
        self.fault: BaseException | None = None  # why we dropped the link ourselves, if we did

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def data_received(self, data: bytes) -> None:
        self.bytes_received += len(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(exc if exc is not None else self.fault)
        self.writable.set()


class SerialLink:
    """An open link; ``await send(frame, timeout)`` means the bytes reached the OS driver in time."""

    def __init__(self, transport: asyncio.WriteTransport, protocol: _LinkProtocol, url: str, baud: int) -> None:
        self.transport = transport
        self.protocol = protocol
        self.url = url
        self.baud = baud
        # High-water 0: any byte the OS did not take at once pauses us, so drain() is exact.
        transport.set_write_buffer_limits(high=0, low=0)

    @property
    def is_closed(self) -> bool:
        return self.protocol.closed.done() or self.transport.is_closing()

    async def send(self, frame: bytes, timeout: float) -> None:
        """Write frame and wait until the OS has it; a line that takes longer than timeout is dropped.

        Never blocks the event loop on a full line (caller.serial_line.send_within). Raises
        LineStalledError (and closes the link with it as the reason) on the deadline,
        BusClosedError if the link dies meanwhile.
        """
        if self.is_closed:
            raise BusClosedError(f"link {self.url} is closed")
        try:
            sent = await send_within(self.transport, frame, timeout, self.protocol.writable, self.protocol.closed)
        except TimeoutError:
            stalled = LineStalledError(stalled_message(self.url, len(frame), timeout, self.baud))
            self.fail(stalled)
            raise stalled from None
        if not sent:
            reason = self.protocol.closed.result() if self.protocol.closed.done() else "closing"
            raise BusClosedError(f"link {self.url} closed while writing: {reason}")

    async def wait_closed(self) -> BaseException | None:
        """Return the reason the link ended (None for a clean close)."""
        return await asyncio.shield(self.protocol.closed)

    def fail(self, reason: BaseException) -> None:
        """Drop the link now with reason as what wait_closed() reports."""
        if self.protocol.fault is None:
            self.protocol.fault = reason
        self.close()

    def close(self) -> None:
        """Close without waiting for unsent bytes: a graceful close would wait for a stalled line forever."""
        if not self.transport.is_closing():  # a second abort would report the loss twice
            self.transport.abort()


async def open_serial_link(url: str, baud: int) -> SerialLink:
    """Open a pyserial URL (/dev/tty…, socket://, rfc2217://, a pty path) as a SerialLink.

    Raises PortInUseError when another process holds the port.
    """
    loop = asyncio.get_running_loop()
    try:
        # exclusive: a POSIX flock, so a second hub on the same machine cannot open the port too
        transport, protocol = await serial_asyncio_fast.create_serial_connection(
            loop, _LinkProtocol, url, baudrate=baud, exclusive=True
        )
    except serial.SerialException as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise PortInUseError(f"port {url} in use by another process (a second hub?)") from exc
        raise
    assert isinstance(protocol, _LinkProtocol)
    return SerialLink(transport, protocol, url, baud)
