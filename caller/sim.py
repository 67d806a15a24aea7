"""Simulated call-pads on a pseudo-terminal, with scripted keys and scripted faults.

Why: the demo, the tests and a technician trying a hall without hardware all use the same
simulator (ARCHITECTURE.md example 14). The simulator owns the pty master; the bus driver opens
``sim.path``, a symlink to the slave that is re-pointed when the simulated cable is unplugged
and plugged back (like udev's /dev/serial/by-id links), so the bus reopens the same path.

Script format (one step per line, ``#`` starts a comment; addresses decimal or 0x..):

    0.5  33  call            # at 0.5 s after the start, pad 33 presses call
    +0.2 33  login 1001 1234 # 0.2 s after the previous step
    +0   33  wait-show A001 5  # wait until pad 33 shows A001 (up to 5 s)
    +0   33  rate 5
    +1   *   noise 40        # 40 random bytes on the bus (or hex: noise 01ff07)
    +0   *   drop 3          # the next 3 bytes the pads send are lost
    +0   34  mute            # pad 34 stops answering (unmute brings it back)
    +1   *   unplug 2        # close the pty, reopen it 2 s later

Pad verbs: login ID PIN, logout, call, call-number N, recall, start, finish [CODE], no-show,
transfer queue|window|back_office TARGET, pause [REASON], resume, rate N, key1..key4.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shlex
import sys
import tempfile
import time
import tty
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from caller.actions import ActionKind, DisplayKind, PadAction, PadDisplay, TransferTarget
from caller.dialects import Dialect, Frame, make_dialect
from caller.errors import CallerError
from caller.serial_line import SIMULATOR_KEPT, resume_pty, stall_pty, stop_on_signals, until_stopped

_KEY_VERBS: dict[str, ActionKind] = {
    "key1": ActionKind.CALL_OR_RECALL,
    "key2": ActionKind.START,
    "key3": ActionKind.TRANSFER_PRESET,
    "key4": ActionKind.NO_SHOW_OR_FINISH,
}
_SIMPLE_VERBS: dict[str, ActionKind] = {
    "logout": ActionKind.LOGOUT,
    "call": ActionKind.CALL_NEXT,
    "recall": ActionKind.RECALL,
    "start": ActionKind.START,
    "no-show": ActionKind.NO_SHOW,
    "resume": ActionKind.RESUME,
    **_KEY_VERBS,
}


class ScriptError(CallerError, ValueError):
    """A script line the simulator cannot understand; the message names the line."""


@dataclass(frozen=True)
class ScriptStep:
    """One script line: when (absolute or relative seconds), which pad (None = the bus), what."""

    at: float
    relative: bool
    address: int | None
    verb: str
    args: tuple[str, ...]
    line: int


@dataclass
class SimPad:
    """What one simulated pad knows and shows."""

    address: int
    displays: list[PadDisplay] = field(default_factory=list)
    pending: PadAction | None = None
    shown_number: str = ""
    logged_in: bool = False
    paused: bool = False
    muted: bool = False
    deaf: bool = False
    lost: list[PadDisplay] = field(default_factory=list)  # what the hub sent while it was deaf
    seq: int = 0


class PadSimulator:
    """N pads of one dialect on one pty. Start with ``await sim.start()``; open ``sim.path``."""

    def __init__(
        self,
        dialect: str | Dialect,
        addresses: Iterable[int],
        *,
        dialect_params: Mapping[str, Any] | None = None,
        baud: int | None = None,
        link_dir: str | None = None,
        seed: int = 0,
        kept: int | None = None,
    ) -> None:
        """`kept`: how many of each pad's displays, and of the key frames' times, to keep (None:
        all, as a test or a benchmark reads them); a demo running for days keeps the last few."""
        self.dialect = make_dialect(dialect, dialect_params) if isinstance(dialect, str) else dialect
        self.kept = kept
        self.pads: dict[int, SimPad] = {a: SimPad(a) for a in addresses}
        self.baud = baud
        self._link_dir = link_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._decoder = self.dialect.new_decoder()
        self._drop = 0
        self._line_free = 0.0
        self._changed = asyncio.Condition()
        self._random = random.Random(seed)
        self.sent_at: list[tuple[int, float]] = []  # (address, perf_counter) of each key frame written
        self.dropped_writes = 0
        self.on_display: Callable[[int, PadDisplay], None] | None = None

    # the cable ------------------------------------------------------------------------------
    @property
    def path(self) -> str:
        if self._link_dir:
            return os.path.join(self._link_dir, "pad-bus")
        if self._tmp is None:
            raise CallerError("simulator not started")
        return os.path.join(self._tmp.name, "pad-bus")

    async def start(self) -> str:
        if self._link_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hallq-padsim-")
        self._plug()
        return self.path

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing, before anyone opens it
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        link = self.path
        tmp_link = link + ".new"
        if os.path.lexists(tmp_link):
            os.unlink(tmp_link)
        os.symlink(os.ttyname(slave), tmp_link)
        os.replace(tmp_link, link)
        self._decoder.reset()
        asyncio.get_running_loop().add_reader(master, self._readable)

    def _unplug(self) -> None:
        if self._master is None or self._slave is None:  # both are set together, by _plug
            return
        asyncio.get_running_loop().remove_reader(self._master)
        os.close(self._master)
        os.close(self._slave)
        self._master = self._slave = None
        if os.path.lexists(self.path):
            os.unlink(self.path)

    async def unplug(self, seconds: float | None = None) -> None:
        """Pull the cable; with ``seconds``, plug it back in after that long."""
        self._unplug()
        if seconds is not None:
            await asyncio.sleep(seconds)
            self.replug()

    def replug(self) -> None:
        if self._master is None:
            self._plug()

    async def close(self) -> None:
        self._unplug()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # faults ---------------------------------------------------------------------------------
    def noise(self, data: bytes | int) -> None:
        """Put bytes on the bus (or N random ones) as interference would."""
        raw = bytes(self._random.randrange(256) for _ in range(data)) if isinstance(data, int) else data
        self._send(raw)

    def drop_next(self, count: int) -> None:
        """Lose the next ``count`` bytes the pads send (a corrupted frame)."""
        self._drop += count

    def stall(self, room: int = 0) -> None:
        """The line stops taking data, like a hung pad bus converter: the pads read nothing more and
        the line fills up, so the hub's next write finds no room (room: bytes left free)."""
        if self._master is not None and self._slave is not None:
            stall_pty(self._master, self._slave, room)

    def resume(self) -> None:
        """The line moves again (the converter was reset): what it held is lost, the pads read again."""
        if self._master is not None:
            self._decoder.reset()
            resume_pty(self._master, self._readable)

    def mute(self, address: int, muted: bool = True) -> None:
        """A pad that stops answering (and sees nothing) until unmuted."""
        self.pads[address].muted = muted

    def deafen(self, address: int, deaf: bool = True) -> None:
        """A pad that still answers polls but loses everything else the hub sends it (an answer lost
        on its way, as when the line drops just after the hub wrote it), until heard again."""
        self.pads[address].deaf = deaf

    # keys -----------------------------------------------------------------------------------
    def press(self, address: int, action: PadAction) -> None:
        """Staff at pad ``address`` asks for ``action``: pushed now, or reported on the next poll."""
        pad = self.pads[address]
        if self.dialect.mode == "polled":
            pad.pending = action
            return
        pad.seq = (pad.seq + 1) & 0xFF
        self.sent_at.append((address, time.perf_counter()))
        self._trim(self.sent_at)
        self._send(self.dialect.encode_action(address, action, pad.seq))

    # the wire -------------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        if self._drop:
            cut = min(self._drop, len(data))
            self._drop -= cut
            data = data[cut:]
        if not data or self._master is None:
            return
        if self.baud:  # a pty has no baud rate: hold each write for its wire time
            loop = asyncio.get_running_loop()
            self._line_free = max(loop.time(), self._line_free) + len(data) * 10 / self.baud
            loop.call_at(self._line_free, self._write_now, data)
        else:
            self._write_now(data)

    def _write_now(self, data: bytes) -> None:
        if self._master is None:
            return
        try:
            os.write(self._master, data)
        except (BlockingIOError, OSError):
            self.dropped_writes += 1

    def _readable(self) -> None:
        if self._master is None:  # not reached: _unplug removes this reader before closing
            return
        try:
            data = os.read(self._master, 4096)
        except OSError:
            return
        for frame in self._decoder.feed(data):
            if self.baud:
                delay = len(frame.raw) * 10 / self.baud
                asyncio.get_running_loop().call_later(delay, self._on_frame, frame)
            else:
                self._on_frame(frame)

    def _on_frame(self, frame: Frame) -> None:
        pad = self.pads.get(frame.address)
        if pad is None or pad.muted:
            return
        if self.dialect.is_poll(frame):
            self._send(
                self.dialect.encode_status(pad.address, pad.pending, pad.shown_number, pad.logged_in, pad.paused)
            )
            return
        display = self.dialect.decode_display(frame)
        if pad.deaf:
            if display is not None:
                pad.lost.append(display)
                self._trim(pad.lost)
                asyncio.get_running_loop().create_task(self._notify())
            return
        reply = self.dialect.pad_reply(frame)
        if reply:
            self._send(reply)
        if display is not None:
            self._apply(pad, display)

    def _trim(self, history: list[Any]) -> None:
        """Drop all but the last `kept` (in halves: a list's front is not cheap to drop one by one)."""
        if self.kept is not None and len(history) >= 2 * self.kept:
            del history[:-self.kept]

    def _apply(self, pad: SimPad, display: PadDisplay) -> None:
        pad.displays.append(display)
        self._trim(pad.displays)
        if display.kind is DisplayKind.SHOW:
            pad.shown_number = display.number
        elif display.kind is DisplayKind.LOGIN_STATE and display.logged_in is not None:
            pad.logged_in = display.logged_in
        elif display.kind is DisplayKind.ACK and pad.pending is not None:
            if display.ok:
                kind = pad.pending.kind
                pad.logged_in = kind is ActionKind.LOGIN or (pad.logged_in and kind is not ActionKind.LOGOUT)
                pad.paused = kind is ActionKind.PAUSE or (pad.paused and kind is not ActionKind.RESUME)
            pad.pending = None
        if self.on_display is not None:
            self.on_display(pad.address, display)
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_display(
        self, address: int, predicate: Callable[[PadDisplay], bool] | PadDisplay, timeout: float = 5.0
    ) -> PadDisplay:
        """The first display of pad ``address`` matching ``predicate`` (already shown or to come)."""
        return await self._wait_for(self.pads[address].displays, predicate, timeout)

    async def wait_lost(
        self, address: int, predicate: Callable[[PadDisplay], bool] | PadDisplay, timeout: float = 5.0
    ) -> PadDisplay:
        """The first display the deaf pad ``address`` lost matching ``predicate`` (lost or to be)."""
        return await self._wait_for(self.pads[address].lost, predicate, timeout)

    async def _wait_for(
        self, history: list[PadDisplay], predicate: Callable[[PadDisplay], bool] | PadDisplay, timeout: float
    ) -> PadDisplay:
        test = predicate if callable(predicate) else (lambda d: d == predicate)

        def found() -> PadDisplay | None:
            return next((d for d in history if test(d)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        result = found()
        assert result is not None
        return result

    # scripts --------------------------------------------------------------------------------
    async def run_script(self, steps: Sequence[ScriptStep]) -> None:
        """Play a parsed script; times are measured from the call."""
        loop = asyncio.get_running_loop()
        origin = previous = loop.time()
        for step in steps:
            when = previous + step.at if step.relative else origin + step.at
            await asyncio.sleep(max(0.0, when - loop.time()))
            previous = loop.time()
            await self._perform(step)

    async def _perform(self, step: ScriptStep) -> None:
        verb, args = step.verb, step.args
        try:
            if step.address is None:
                await self._bus_fault(verb, args)
            elif step.address not in self.pads:
                raise ScriptError(f"no simulated pad {step.address}")
            elif verb in ("mute", "unmute"):
                self.mute(step.address, verb == "mute")
            elif verb == "wait-show":
                timeout = float(args[1]) if len(args) > 1 else 5.0
                await self.wait_display(step.address, lambda d: d.kind is DisplayKind.SHOW and d.number == args[0], timeout)
            else:
                self.press(step.address, action_for(verb, args))
        except (IndexError, ValueError, TimeoutError) as exc:
            raise ScriptError(f"script line {step.line}: {verb} {' '.join(args)}: {exc}") from exc

    async def _bus_fault(self, verb: str, args: tuple[str, ...]) -> None:
        if verb == "noise":
            self.noise(int(args[0]) if args[0].isdigit() else bytes.fromhex(args[0]))
        elif verb == "drop":
            self.drop_next(int(args[0]))
        elif verb == "unplug":
            await self.unplug(float(args[0]) if args else None)
        elif verb == "replug":
            self.replug()
        else:
            raise ScriptError(f"unknown bus verb {verb!r}")


def action_for(verb: str, args: Sequence[str]) -> PadAction:
    """A script verb and its arguments as a PadAction."""
    if verb in _SIMPLE_VERBS:
        kind = _SIMPLE_VERBS[verb]
        return PadAction.simple(kind, key=verb if verb in _KEY_VERBS else "")
    match verb:
        case "login":
            return PadAction.login(args[0], args[1] if len(args) > 1 else "")
        case "call-number":
            return PadAction.call_number(args[0])
        case "finish":
            return PadAction.finish(int(args[0]) if args else 0)
        case "transfer":
            return PadAction.transfer(TransferTarget(args[0]), args[1])
        case "pause":
            return PadAction.pause(int(args[0]) if args else 0)
        case "rate":
            return PadAction.rate(int(args[0]))
    raise ScriptError(f"unknown pad verb {verb!r}")


def parse_script(text: str) -> list[ScriptStep]:
    """Parse the script format in this module's docstring; errors name the line."""
    steps: list[ScriptStep] = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if len(words) < 3:
            raise ScriptError(f"script line {number}: expected TIME PAD VERB [ARGS], got {line!r}")
        when, pad, verb, *args = words
        try:
            at = float(when.lstrip("+"))
            address = None if pad == "*" else int(pad, 0)
        except ValueError as exc:
            raise ScriptError(f"script line {number}: bad time or pad in {line!r}") from exc
        if address is not None and verb not in ("mute", "unmute", "wait-show"):
            try:
                action_for(verb, args)
            except (IndexError, ValueError) as exc:
                raise ScriptError(f"script line {number}: {line.strip()!r}: {exc}") from exc
        steps.append(ScriptStep(at, when.startswith("+"), address, verb, tuple(args), number))
    return steps


def main(argv: list[str] | None = None) -> int:
    """``hallq pad-sim``: simulate pads on a pty and print the path a bus should open."""
    parser = argparse.ArgumentParser(prog="hallq pad-sim", description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", default="hallq", help="qsystem-ub485, polled-csv or hallq")
    parser.add_argument("--pads", type=int, default=4, help="number of pads (consecutive addresses)")
    parser.add_argument("--first-address", type=lambda s: int(s, 0), default=None, help="default: the dialect's lowest")
    parser.add_argument("--script", help="script file (format: python -c 'import caller.sim; help(caller.sim)')")
    parser.add_argument("--baud", type=int, default=None, help="pace writes as if at this baud rate")
    parser.add_argument("--duration", type=float, default=0.0, help="seconds to run after the script (0 = until Ctrl-C or SIGTERM)")
    opts = parser.parse_args(argv)
    try:
        steps = parse_script(open(opts.script, encoding="utf-8").read()) if opts.script else []
        return asyncio.run(_run_cli(opts, steps))
    except (CallerError, OSError) as exc:
        print(f"pad-sim: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def check_script(steps: Sequence[ScriptStep], dialect: Dialect) -> None:
    """Refuse, before anything runs, a key the dialect's pads cannot send (polled-csv has no
    no-show): found at its turn, it raised at every poll after and that pad fell silent for good,
    which a technician read as a dead pad, not as a script error."""
    for step in steps:
        if step.address is None or step.verb in ("mute", "unmute", "wait-show"):
            continue
        action = action_for(step.verb, list(step.args))
        try:
            if dialect.mode == "polled":
                dialect.encode_status(step.address, action, "", True)
            else:
                dialect.encode_action(step.address, action, 0)
        except ValueError as exc:  # UnsupportedByDialect, a bad address or value
            raise ScriptError(f"script line {step.line}: {step.verb} {' '.join(step.args)}: {exc}") from exc


async def _run_cli(opts: argparse.Namespace, steps: list[ScriptStep]) -> int:
    dialect = make_dialect(opts.dialect)
    check_script(steps, dialect)
    first = opts.first_address if opts.first_address is not None else dialect.address_range[0]
    sim = PadSimulator(dialect, range(first, first + opts.pads), kept=SIMULATOR_KEPT)
    sim.on_display = lambda address, display: print(f"pad {address}: {display}", flush=True)
    stopped = stop_on_signals()  # SIGTERM as Ctrl-C: the link is removed either way
    path = await sim.start()
    print(f"{opts.dialect} pads {first}..{first + opts.pads - 1} on {path}", flush=True)
    try:
        await until_stopped(_play(sim, steps, opts.duration), stopped)
    finally:
        await sim.close()
    return 0


async def _play(sim: PadSimulator, steps: list[ScriptStep], duration: float) -> None:
    await sim.run_script(steps)
    if duration:
        await asyncio.sleep(duration)
    else:
        await asyncio.Event().wait()
