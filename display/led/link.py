"""One open serial link (any pyserial URL) as an asyncio transport, with drain and close-wait.

The bus writes frames through this and needs two facts the bare transport does not give: when
a frame has left our buffers (drain) and when and why the link died (wait_closed), so that
pending writes fail instead of hanging.
"""

from __future__ import annotations

import asyncio
from typing import Any

import serial_asyncio_fast

from display.led.errors import BusClosedError


class _LinkProtocol(asyncio.Protocol):
    """Tracks flow control and loss; screens do not answer, so reads are only counted."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[BaseException | None] = loop.create_future()
        self.writable = asyncio.Event()
        self.writable.set()
        self.bytes_received = 0

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def data_received(self, data: bytes) -> None:
        self.bytes_received += len(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(exc)
        self.writable.set()


class SerialLink:
    """An open link; write() then await drain() means the bytes reached the OS driver."""

    def __init__(self, transport: asyncio.WriteTransport, protocol: _LinkProtocol, url: str) -> None:
        self.transport = transport
        self.protocol = protocol
        self.url = url
        # High-water 0: any byte the OS did not take at once pauses us, so drain() is exact.
        transport.set_write_buffer_limits(high=0, low=0)

    @property
    def is_closed(self) -> bool:
        return self.protocol.closed.done() or self.transport.is_closing()

    def write(self, frame: bytes) -> None:
        if self.is_closed:
            raise BusClosedError(f"link {self.url} is closed")
        self.transport.write(frame)
        if self.transport.is_closing():  # the transport aborted on an OS write error
            raise BusClosedError(f"write to {self.url} failed; link closing")

    async def drain(self) -> None:
        """Wait until the transport buffer is empty; raise BusClosedError if the link dies."""
        if self.protocol.writable.is_set() and not self.protocol.closed.done():
            return
        waiter = asyncio.ensure_future(self.protocol.writable.wait())
        either: set[asyncio.Future[Any]] = {waiter, self.protocol.closed}
        done, _ = await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self.protocol.closed.done():
            raise BusClosedError(f"link {self.url} closed while writing: {self.protocol.closed.result()}")

    async def wait_closed(self) -> BaseException | None:
        """Return the reason the link ended (None for a clean close)."""
        return await asyncio.shield(self.protocol.closed)

    def close(self) -> None:
        self.transport.close()


async def open_serial_link(url: str, baud: int) -> SerialLink:
    """Open a pyserial URL (/dev/tty…, socket://, rfc2217://, a pty path) as a SerialLink."""
    loop = asyncio.get_running_loop()
    transport, protocol = await serial_asyncio_fast.create_serial_connection(
        loop, _LinkProtocol, url, baudrate=baud
    )
    assert isinstance(protocol, _LinkProtocol)
    return SerialLink(transport, protocol, url)
