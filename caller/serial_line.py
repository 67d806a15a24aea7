"""Writing to a serial line that may stop taking data, without freezing the hub.

Shared by every link layer that writes to a serial port through pyserial-asyncio-fast (the
call-pad buses in caller/, the LED screen buses in display/led/); it imports nothing of either.

Why it exists: a line stops taking bytes when a USB adapter or pad/screen bus converter hangs, a
device server loses its far side or hardware flow control is held off. Two things then go wrong
with a bare transport:

- With nothing buffered, transport.write() hands the bytes straight to pyserial, whose
  non-blocking write() retries EAGAIN in a busy loop: on a full line that freezes the event loop
  and with it the whole hub (every bus, the web API, the screens). send_within() therefore waits
  until the OS buffer has room before it writes.
- Nothing ever says the line is dead: the bytes just wait. send_within() has a deadline, the
  frame's wire time at the baud plus DRAIN_MARGIN_S (send_deadline()); a link layer that misses it
  drops the link with stalled_message() as the fault, which says what a technician should check.

The pty helpers at the end make such a line for the simulators (tests and technicians).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

import serial_asyncio_fast

#: time a line may take beyond a frame's wire time before it counts as stalled: OS and USB
#: adapter latency, a device server's network hop; far below what a waiting citizen notices
DRAIN_MARGIN_S = 1.0


def wire_seconds(nbytes: int, baud: int) -> float:
    """Time nbytes take on the wire at baud (8N1: 10 bits a byte)."""
    return nbytes * 10 / baud


def send_deadline(nbytes: int, baud: int, margin_s: float = DRAIN_MARGIN_S) -> float:
    """How long a line may take to accept a frame of nbytes before it counts as stalled."""
    return wire_seconds(nbytes, baud) + margin_s


def stalled_message(url: str, nbytes: int | None, timeout: float, baud: int) -> str:
    """The fault a technician reads when a line missed its deadline (nbytes None: it had no room at all)."""
    what = f"a {nbytes}-byte frame was not sent" if nbytes is not None else "no room for a byte"
    return (
        f"serial line {url} stopped taking data: {what} "
        f"within {timeout:.1f} s at {baud} baud (hung adapter, bus converter, cable or flow control?)"
    )


async def send_within(
    transport: asyncio.WriteTransport,
    frame: bytes,
    timeout: float,
    writable: asyncio.Event,
    closed: asyncio.Future[Any],
) -> bool:
    """Write frame and wait until the OS has it; never blocks the event loop.

    The transport's write buffer limits must be 0/0 (pause_writing clears ``writable`` as soon as
    the OS did not take a byte at once, resume_writing sets it) and ``closed`` must resolve when the
    connection is lost. Returns True when the OS has the frame, False when the link closed first;
    raises TimeoutError when the line did not take it within timeout (the caller drops the link).
    """
    async with asyncio.timeout(timeout):
        await wait_for_room(transport, closed)
        if closed.done() or transport.is_closing():
            return False
        transport.write(frame)
        if transport.is_closing():  # the transport aborted on an OS write error
            return False
        if not writable.is_set() and not closed.done():
            waiter = asyncio.ensure_future(writable.wait())
            try:
                await asyncio.wait({waiter, closed}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        return not closed.done()


async def wait_for_room(transport: asyncio.BaseTransport, closed: asyncio.Future[Any]) -> None:
    """Wait until the port's OS buffer has room (or the link closed), before the transport writes.

    With nothing buffered the transport hands a frame straight to pyserial, whose non-blocking
    write() retries EAGAIN in a busy loop: on a full line that would freeze the event loop. Only
    pyserial ports need this; with bytes already buffered the transport waits for room itself.
    """
    if not isinstance(transport, serial_asyncio_fast.SerialTransport) or transport.get_write_buffer_size():
        return
    port = transport.serial
    if port is None or closed.done() or transport.is_closing():
        return
    fd = port.fileno()
    if select.select([], [fd], [], 0)[1]:
        return
    loop = asyncio.get_running_loop()
    room: asyncio.Future[None] = loop.create_future()

    def has_room() -> None:
        if not room.done():
            room.set_result(None)

    loop.add_writer(fd, has_room)
    try:
        await asyncio.wait({room, closed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        loop.remove_writer(fd)


# --- a simulator command's stop -----------------------------------------------------------------
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM (a service manager's stop, `kill`) or SIGINT (Ctrl-C), installed on
    the running loop: `hallq pad-sim` removed its port link only on Ctrl-C, and a SIGTERM killed it
    with the link left behind. Install it before the link is made, so no stop finds it missing."""
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, stopped.set)
    return stopped


async def until_stopped(work: Awaitable[object], stopped: asyncio.Event) -> None:
    """Run `work` until it ends (its error raised) or `stopped` is set, whichever comes first; the
    caller's `finally` then unplugs and removes what it made."""
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(stopped.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
    finally:
        for pending in (task, stop):
            pending.cancel()
        await asyncio.gather(task, stop, return_exceptions=True)


# --- a stalled line on a pty, for the simulators ------------------------------------------------
SIMULATOR_KEPT = 500
"""What a simulator running for hours or days (the demo's, `hallq pad-sim`, `hallq screen-sim`)
keeps of what it was sent: a soak of the demo found every frame of every day kept (about 0.6 MB a
hall day, for ever); nothing there reads more than the last few."""


def stall_pty(master: int, slave: int, room: int) -> None:
    """Stop reading the pty's master and fill the line from its slave side, leaving ``room`` bytes free.

    The kernel moves bytes between the pty's buffers on its own time, so filling repeats until two
    pauses in a row found no more room; room left free makes the line stop mid-frame as a real one
    does.
    """
    asyncio.get_running_loop().remove_reader(master)
    os.set_blocking(slave, False)
    try:
        no_room = 0
        while no_room < 2:
            time.sleep(0.02)
            no_room = 0 if _fill(slave) else no_room + 1
    finally:
        os.set_blocking(slave, True)
    if room:
        with contextlib.suppress(BlockingIOError, InterruptedError):
            os.read(master, room)


def _fill(fd: int) -> int:
    """Write zeros until the pty takes no more; returns how many it took."""
    taken = 0
    for size in (4096, 1024, 256, 64, 16, 4, 1):  # the pty counts room in chunks: fill the gaps
        with contextlib.suppress(BlockingIOError):
            while written := os.write(fd, bytes(size)):
                taken += written
    return taken


def resume_pty(master: int, on_readable: Callable[[], None]) -> None:
    """The line moves again: throw away what it holds (a non-blocking master) and read it again."""
    with contextlib.suppress(BlockingIOError, InterruptedError):
        while os.read(master, 65536):
            pass
    asyncio.get_running_loop().add_reader(master, on_readable)
