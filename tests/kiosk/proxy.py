"""A loopback TCP proxy in front of the hub that can lose responses or connections on demand.

Real network faults, not mocks: the request really reaches the hub, the reply really is lost.
"""
from __future__ import annotations

import asyncio
import contextlib


class FaultyProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.drop_responses = 0  # this many connections: forward the request, lose the reply
        self.refuse = False  # accept then close at once (hub "down")
        self.connections = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.AbstractServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FaultyProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        self.cut_all()
        if self._server is not None:
            self._server.close()

    def cut_all(self) -> None:
        """Close every open connection, both sides, as a broken network would."""
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.refuse:
            writer.close()
            return
        drop = self.drop_responses > 0
        if drop:
            self.drop_responses -= 1
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, lose: bool) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    if lose:
                        break  # the hub answered; the citizen's kiosk never hears it
                    dst.write(data)
                    await dst.drain()
            for w in (dst, writer, up_writer):
                w.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, drop))
        self._writers.difference_update({writer, up_writer})
