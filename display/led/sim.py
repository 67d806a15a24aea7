"""Screen simulator: a pseudo-terminal that decodes a dialect and remembers what each address shows.

Tests, the demo and a technician without hardware use the same thing: point the hub (or any
screen bus) at the printed slave path and watch the log. Run as
`python -m display.led.sim --dialect pingan --log screens.log` (the lead wires it as
`hallq screen-sim`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import tty
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TextIO

from display.led.codec import Codec
from display.led.dialects import DIALECTS, make_codec
from display.led.framing import FrameReader, ReadResult
from display.led.model import Command, DecodedFrame
from caller.serial_line import SIMULATOR_KEPT, resume_pty, stall_pty, stop_on_signals, until_stopped


@dataclass(frozen=True)
class ScreenState:
    """What one simulated screen shows now."""

    text: str = ""
    blink: bool | int = False
    brightness: int | None = None


@dataclass(frozen=True)
class Record:
    """One decoded frame (or rejected bytes) with the monotonic time it was read."""

    at: float
    result: ReadResult


@dataclass
class ScreenSimulator:
    """Owns a pty pair; reads the master side inside the running event loop."""

    codec: Codec
    log: TextIO | None = None
    clock: Callable[[], float] = time.monotonic
    records: list[Record] = field(default_factory=list)
    screens: dict[int, ScreenState] = field(default_factory=dict)
    kept: int | None = None
    """How many records to keep (None: all, as a test or a benchmark reads them); a demo running
    for days keeps the last few, dropped in halves."""

    def __post_init__(self) -> None:
        self._reader = FrameReader(self.codec)
        self._master: int | None = None
        self._slave: int | None = None
        self._changed = asyncio.Condition()
        self.slave_path = ""

    def open(self) -> str:
        """Create the pty (raw, no echo) and start reading; returns the slave path to open."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.slave_path = os.ttyname(self._slave)
        asyncio.get_running_loop().add_reader(self._master, self._on_readable)
        return self.slave_path

    def close(self) -> None:
        """Unplug the screen: the writer side sees the link drop."""
        if self._master is not None:
            asyncio.get_running_loop().remove_reader(self._master)
            os.close(self._master)
            self._master = None
        if self._slave is not None:
            os.close(self._slave)
            self._slave = None

    def stall(self, room: int = 256) -> None:
        """The line stops taking data, like a hung USB adapter: reading stops and the line fills up.

        The hub's writes then block within a frame or two (room: bytes left free, so the line
        stops mid-frame as a real one does) instead of after the pty's kilobytes, so a test and a
        technician see a stalled bus without waiting for it to fill.
        """
        if self._master is not None and self._slave is not None:
            stall_pty(self._master, self._slave, room)

    def resume(self) -> None:
        """The line moves again (the adapter was replugged): what it held is lost, reading resumes."""
        if self._master is not None:
            self._reader = FrameReader(self.codec)
            resume_pty(self._master, self._on_readable)

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, 4096) if self._master is not None else b""
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # EIO once every writer has closed the slave: nothing to read now
            return
        self.feed(data)

    def feed(self, data: bytes) -> None:
        """Decode bytes as if they came off the bus (also usable without a pty)."""
        now = self.clock()
        for result in self._reader.feed(data):
            self.records.append(Record(now, result))
            if self.kept is not None and len(self.records) >= 2 * self.kept:
                del self.records[:-self.kept]
            if result.decoded is not None:
                self._apply(result.decoded)
            self._write_log(now, result)
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _apply(self, frame: DecodedFrame) -> None:
        state = self.screens.get(frame.address, ScreenState())
        if frame.command is Command.TEXT:
            self.screens[frame.address] = replace(state, text=frame.text, blink=frame.blink)
        elif frame.command is Command.BRIGHTNESS:
            self.screens[frame.address] = replace(state, brightness=frame.brightness)
        elif frame.command is Command.SET_ADDRESS and frame.new_address is not None:
            self.screens[frame.new_address] = state

    def _write_log(self, now: float, result: ReadResult) -> None:
        if self.log is None:
            return
        decoded = result.decoded
        if decoded is None:
            line = f"{now:.6f} ERROR {result.error}"
        elif decoded.command is Command.TEXT:
            line = f"{now:.6f} addr={decoded.address} text={decoded.text!r} blink={decoded.blink}"
        elif decoded.command is Command.BRIGHTNESS:
            line = f"{now:.6f} addr={decoded.address} brightness={decoded.brightness}"
        else:
            line = f"{now:.6f} addr={decoded.address} new_address={decoded.new_address}"
        print(line, file=self.log, flush=True)

    def decoded(self) -> list[tuple[float, DecodedFrame]]:
        """Every decoded frame with its read time, in order."""
        return [(r.at, r.result.decoded) for r in self.records if r.result.decoded is not None]

    async def wait_for(self, predicate: Callable[["ScreenSimulator"], bool], timeout: float = 5.0) -> None:
        """Wait until predicate(self) holds (TimeoutError after timeout: a test must not hang)."""
        async def _wait() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self))

        await asyncio.wait_for(_wait(), timeout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hallq screen-sim", description="Simulate LED window/zone screens on a pseudo-terminal.")
    parser.add_argument("--dialect", required=True, choices=sorted(DIALECTS))
    parser.add_argument("--log", help="append decoded frames to this file (default: stdout)")
    return parser


async def _serve(codec: Codec, log: TextIO) -> None:
    simulator = ScreenSimulator(codec, log=log, kept=SIMULATOR_KEPT)
    stopped = stop_on_signals()  # SIGTERM as Ctrl-C: a service stop is a clean exit, as pad-sim's
    path = simulator.open()
    print(path, flush=True)
    try:
        await until_stopped(asyncio.Event().wait(), stopped)
    finally:
        simulator.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Print the slave path, then log what every address shows until interrupted."""
    args = build_parser().parse_args(argv)
    codec = make_codec(args.dialect)
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(open(args.log, "a", encoding="utf-8")) if args.log else sys.stdout
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(codec, log))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
