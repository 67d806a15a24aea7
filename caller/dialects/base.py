"""What every call-pad dialect provides, and the shared pieces dialects are built from.

Why a protocol plus small helpers: a dialect is "framing + a table" (ARCHITECTURE.md example 4/5).
The bus driver and the simulator only talk to the ``Dialect`` protocol, so adding a vendor is one
file in this package that defines ``DIALECT`` (a class with ``name`` and a ``Params`` dataclass).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol, runtime_checkable

from caller.actions import PadAction, PadDisplay, PadKeyEvent

Mode = Literal["push", "polled"]
NO_REQUEST: tuple[str, ...] = ()
"""``Dialect.pending_request`` of a status report with no request pending (the pad has its answer)."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One well-formed frame as the decoder cut it from the byte stream.

    ``kind`` is the dialect's message type or command byte, ``data`` its payload, ``seq`` the
    sequence number for dialects that have one (0 otherwise).
    """

    address: int
    kind: int
    data: bytes
    raw: bytes
    seq: int = 0


@dataclass(slots=True)
class DecoderStats:
    """How much the decoder had to throw away; the bus folds this into its counters."""

    frames: int = 0
    bad_frames: int = 0
    garbage_bytes: int = 0


class FrameDecoder(Protocol):
    """Incremental, resynchronising decoder: feed any bytes, get whole frames, never an exception."""

    stats: DecoderStats

    def feed(self, data: bytes) -> list[Frame]: ...

    def reset(self) -> None: ...


@runtime_checkable
class Dialect(Protocol):
    """A call-pad dialect, both halves: the hub side (bus) and the pad side (simulator).

    ``acknowledges`` says whether ``confirms`` can ever return True for a display; for polled
    dialects the bus polls the pad right after a display so the reply can confirm it.
    """

    name: ClassVar[str]
    mode: ClassVar[Mode]

    @property
    def address_range(self) -> tuple[int, int]:  # a class constant, or per instance from its params
        ...

    @property
    def display_width(self) -> int | None:
        """Characters the pad's display shows (its ``params.width``); None: it shows any length.
        check-config compares it with the hall's longest ticket number: a narrower pad cuts it."""
        ...

    # hub side
    def new_decoder(self) -> FrameDecoder: ...

    def decode_frame(self, frame: Frame) -> PadKeyEvent | None: ...

    def encode_display(self, address: int, display: PadDisplay, seq: int = 0) -> bytes: ...

    def encode_poll(self, address: int) -> bytes: ...

    def needs_confirmation(self, display: PadDisplay) -> bool: ...

    def confirms(self, frame: Frame, address: int, display: PadDisplay, seq: int) -> bool | None: ...

    def reply_to(self, frame: Frame) -> bytes | None: ...

    def poll_reply_address(self, frame: Frame) -> int | None: ...

    def pending_request(self, frame: Frame) -> tuple[str, ...] | None:
        """For a polled pad's status report: the request it reports as still unanswered (what
        identifies it), or ``NO_REQUEST`` when it reports none; None for any other frame, and always
        for a dialect whose retries identify themselves (hallq's SEQ) or that has no answer."""
        ...

    # pad side (simulator, vendor conformance tests)
    def encode_action(self, address: int, action: PadAction, seq: int = 0) -> bytes: ...

    def decode_display(self, frame: Frame) -> PadDisplay | None: ...

    def is_poll(self, frame: Frame) -> bool: ...

    def pad_reply(self, frame: Frame) -> bytes | None: ...

    def encode_status(
        self, address: int, pending: PadAction | None, shown_number: str, logged_in: bool, paused: bool = False
    ) -> bytes: ...


def check_address(dialect: Dialect, address: int) -> int:
    """Validate an address against the dialect's range; the error says which range is allowed."""
    from caller.errors import InvalidPadValue

    low, high = dialect.address_range
    if not low <= address <= high:
        raise InvalidPadValue(f"{dialect.name}: address {address:#04x} outside {low:#04x}..{high:#04x}")
    return address


@dataclass
class BufferedDecoder:
    """The buffer and statistics every incremental decoder keeps; subclasses add ``feed``."""

    stats: DecoderStats = field(default_factory=DecoderStats, kw_only=True)
    _buf: bytearray = field(default_factory=bytearray, kw_only=True)

    def reset(self) -> None:
        """Forget a partial frame (the bus calls this after reconnecting)."""
        self._drop(len(self._buf))

    def _drop(self, count: int) -> None:
        self.stats.garbage_bytes += count
        del self._buf[:count]


@dataclass
class DelimitedDecoder(BufferedDecoder):
    """Decoder for ``START … END`` framings without a length field (qsystem-ub485, polled-csv).

    Resynchronisation: a candidate runs from a start byte to the next end byte; if ``parse``
    rejects it (for instance because it contains another start byte) only the bytes before the
    next start byte are discarded, so a good frame right behind noise is still found. A start
    byte with no end within ``max_len`` bytes is dropped as noise.
    """

    start: int
    end: int
    max_len: int
    parse: Callable[[bytes], Frame | None]

    def feed(self, data: bytes) -> list[Frame]:
        self._buf.extend(data)
        frames: list[Frame] = []
        buf = self._buf
        while True:
            begin = buf.find(self.start)
            if begin < 0:
                self._drop(len(buf))
                break
            self._drop(begin)
            stop = buf.find(self.end, 1)
            if stop < 0:
                if len(buf) > self.max_len:
                    self._skip_to_next_start()
                    continue
                break
            frame = self.parse(bytes(buf[: stop + 1])) if stop + 1 <= self.max_len else None
            if frame is None:
                self.stats.bad_frames += 1
                self._skip_to_next_start(limit=stop + 1)
                continue
            del buf[: stop + 1]
            self.stats.frames += 1
            frames.append(frame)
        return frames

    def _skip_to_next_start(self, limit: int | None = None) -> None:
        """Drop the current start byte and anything up to the next start byte (inside ``limit``)."""
        nxt = self._buf.find(self.start, 1)
        if nxt < 0 or (limit is not None and nxt >= limit):
            nxt = limit if limit is not None else len(self._buf)
        self._drop(nxt)


def printable_ascii(text: str, replacement: str = "?") -> bytes:
    """Text for pads that only have an ASCII font: anything else becomes ``replacement``."""
    return "".join(ch if " " <= ch <= "~" else replacement for ch in text).encode("ascii")
