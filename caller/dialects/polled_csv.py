"""Dialect "polled-csv": wireless call-pad receivers with a 5-key rating pad (polled, CSV status).

Public descriptions give only the CSV status line and the status letters; the framing around
them is ours and every uncertain detail is a parameter (docs/callpads.md):

    STX(02) A A CMD PAYLOAD [C C] ETX(03)

``AA`` is the address in ASCII decimal (``address_digits``, default 2, so 1..99), ``CMD`` one
ASCII letter, ``CC`` an optional check (``checksum="xor"``: XOR of the bytes from the first
address digit to the end of the payload, as two upper-case hex digits; default ``"none"``).
Hub → pad: ``?`` poll, ``N`` set number, ``A`` ack ``ok,code,waiting,login``, ``W`` waiting
count, ``L`` login state ``1,name``, ``S`` stars, ``C`` clear. Pad → hub: ``R`` followed by
``status,number,staff_id,password,transfer_type,transfer_to,rating``.

A pad keeps reporting a request (T, P, B, Q, Y…) until the hub acknowledges it, so decoding is
edge-triggered per address: an action is produced when the status (ignoring the number field)
changes, which is why this dialect keeps a little per-address memory.

A frame carries no sequence number, and neither PROTOCOLS.md nor the vendors' tables give the pad
a way to mark a retry: a pad whose ``A`` was lost simply goes on reporting the same line. What
tells a retry from a new press is whether the hub saw the pad leave the request in between (a pad
that got its ``A`` reports its state before it can report a new request), so the bus keeps what it
acted on and how it answered across reconnects (caller/answers.py, ``pending_request`` here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from caller.actions import ActionKind, DisplayKind, PadAction, PadDisplay, PadKeyEvent, TransferTarget
from caller.dialects.base import NO_REQUEST, DelimitedDecoder, Frame, Mode, check_address
from caller.errors import InvalidPadValue, UnsupportedByDialect

STX = 0x02
ETX = 0x03
POLL, REPORT = ord("?"), ord("R")
SET_NUMBER, ACK, WAITING, LOGIN_STATE, STARS, CLEAR = (ord(c) for c in "NAWLSC")
FIELDS = 7

#: status letter -> action kind for letters that are requests (reported until acknowledged).
REQUESTS: dict[str, ActionKind] = {
    "T": ActionKind.CALL_NEXT,
    "P": ActionKind.RECALL,
    "B": ActionKind.TRANSFER,
    "Q": ActionKind.LOGIN,
    "Y": ActionKind.RATING,
}
#: the state letters of a pad with its clerk logged in: only from one of these is "N" a logout.
LOGGED_IN = frozenset("FESL")
#: status letter -> action kind for letters that are states (an action only when entered).
STATES: dict[str, ActionKind | None] = {
    "F": None,
    "E": ActionKind.PAUSE,
    "S": ActionKind.START,
    "L": ActionKind.FINISH,
    "N": ActionKind.LOGOUT,
}


@dataclass(frozen=True)
class PolledCsvParams:
    """Technician-tunable details; defaults are the most natural reading of the public tables."""

    address_digits: int = 2
    checksum: str = "none"  # "none" or "xor"
    encoding: str = "gbk"
    #: transfer_type letter -> target kind ('N' window and 'Q' queue are documented; 'H' is ours)
    transfer_types: dict[str, TransferTarget] = field(
        default_factory=lambda: {"N": TransferTarget.WINDOW, "Q": TransferTarget.QUEUE, "H": TransferTarget.BACK_OFFICE}
    )

    def __post_init__(self) -> None:
        if self.checksum not in ("none", "xor"):
            raise InvalidPadValue(f"polled-csv checksum must be 'none' or 'xor', got {self.checksum!r}")
        if not 1 <= self.address_digits <= 3:
            raise InvalidPadValue("polled-csv address_digits must be 1..3")


@dataclass(frozen=True, slots=True)
class StatusLine:
    status: str
    number: str = ""
    staff_id: str = ""
    password: str = ""
    transfer_type: str = ""
    transfer_to: str = ""
    rating: str = ""

    def edge_key(self) -> tuple[str, ...]:
        """Everything but the number: the number changes when the hub sets it, not the staff."""
        return (self.status, self.staff_id, self.password, self.transfer_type, self.transfer_to, self.rating)


class PolledCsv:
    """Codec for CSV-status pads. Keeps the last status per address for edge detection."""

    name: ClassVar[str] = "polled-csv"
    mode: ClassVar[Mode] = "polled"
    Params: ClassVar[type[PolledCsvParams]] = PolledCsvParams

    def __init__(self, params: PolledCsvParams | None = None) -> None:
        self.params = params or PolledCsvParams()
        self.address_range = (1, 10**self.params.address_digits - 1)
        self.display_width: int | None = None  # the number is a CSV field of any length
        self._last: dict[int, tuple[str, ...]] = {}
        self._letter_for_target = {kind: letter for letter, kind in self.params.transfer_types.items()}

    # framing --------------------------------------------------------------------------------
    def new_decoder(self) -> DelimitedDecoder:
        return DelimitedDecoder(STX, ETX, max_len=256, parse=self._parse)

    def _frame(self, address: int, cmd: int, payload: str = "") -> bytes:
        check_address(self, address)
        body = f"{address:0{self.params.address_digits}d}".encode() + bytes([cmd])
        # A name the pad's font has no code for (王𠮷) shows '?' there: it raised UnicodeEncodeError.
        body += payload.encode(self.params.encoding, errors="replace")
        if any(b in (STX, ETX) for b in body):
            raise InvalidPadValue("polled-csv text may not contain control bytes 0x02/0x03")
        if self.params.checksum == "xor":
            body += f"{_xor(body):02X}".encode()
        return bytes([STX]) + body + bytes([ETX])

    def _parse(self, raw: bytes) -> Frame | None:
        digits = self.params.address_digits
        body = raw[1:-1]
        if self.params.checksum == "xor":
            body, check = body[:-2], body[-2:]
            if len(body) <= digits or check != f"{_xor(body):02X}".encode():
                return None
        if len(body) <= digits or not body[:digits].isdigit() or not 0x20 < body[digits] < 0x7F:
            return None
        try:
            body[digits + 1 :].decode(self.params.encoding)
        except UnicodeDecodeError:
            return None
        return Frame(address=int(body[:digits]), kind=body[digits], data=body[digits + 1 :], raw=raw)

    def _text(self, frame: Frame) -> str:
        return frame.data.decode(self.params.encoding)

    def _status(self, frame: Frame) -> StatusLine | None:
        if frame.kind != REPORT:
            return None
        parts = self._text(frame).split(",")
        if len(parts) != FIELDS or len(parts[0]) != 1:
            return None
        return StatusLine(*parts)

    # hub side -------------------------------------------------------------------------------
    def decode_frame(self, frame: Frame) -> PadKeyEvent | None:
        line = self._status(frame)
        if line is None:
            return None
        previous = self._last.get(frame.address)
        self._last[frame.address] = line.edge_key()
        if previous == line.edge_key():
            return None
        action = self._action_for(line, previous)
        return PadKeyEvent(frame.address, action, frame.raw) if action else None

    def _action_for(self, line: StatusLine, previous: tuple[str, ...] | None) -> PadAction | None:
        letter = line.status
        try:
            if letter in REQUESTS:
                return self._request(REQUESTS[letter], line)
            if letter not in STATES or previous is None:
                return None  # unknown letter, or a state seen on the first poll: not an action
            kind = STATES[letter]
            if kind is None:  # "F": a resume when it follows "E" (paused)
                return PadAction.simple(ActionKind.RESUME) if previous[0] == "E" else None
            if kind is ActionKind.LOGOUT and previous[0] not in LOGGED_IN:
                # "N" after a request is the pad saying it is not logged in (a refused login's Q,
                # a key pressed on a pad just plugged in before the hub told it its clerk), not a
                # clerk's logout: taken as one, it signed the window's clerk out unasked.
                return None
            return PadAction.simple(kind)
        except (KeyError, ValueError):  # InvalidPadValue is a ValueError
            return None  # e.g. rating "9" or an unknown transfer type: not an action

    def _request(self, kind: ActionKind, line: StatusLine) -> PadAction:
        if kind is ActionKind.LOGIN:
            return PadAction.login(line.staff_id, line.password)
        if kind is ActionKind.RATING:
            return PadAction.rate(int(line.rating))
        if kind is ActionKind.TRANSFER:
            return PadAction.transfer(self.params.transfer_types[line.transfer_type], line.transfer_to)
        return PadAction.simple(kind)

    def encode_poll(self, address: int) -> bytes:
        return self._frame(address, POLL)

    def encode_display(self, address: int, display: PadDisplay, seq: int = 0) -> bytes:
        match display.kind:
            case DisplayKind.SHOW:
                return self._frame(address, SET_NUMBER, _no_comma(display.number or display.text))
            case DisplayKind.ACK:
                fields = ("1" if display.ok else "0", str(display.error_code), _opt(display.waiting), _opt(display.logged_in))
                return self._frame(address, ACK, ",".join(fields))
            case DisplayKind.WAITING:
                return self._frame(address, WAITING, str(display.waiting))
            case DisplayKind.LOGIN_STATE:
                return self._frame(address, LOGIN_STATE, f"{_opt(display.logged_in)},{_no_comma(display.text)}")
            case DisplayKind.STARS:
                return self._frame(address, STARS, str(display.stars))
            case _:
                return self._frame(address, CLEAR)

    def needs_confirmation(self, display: PadDisplay) -> bool:
        return display.kind is DisplayKind.SHOW

    def confirms(self, frame: Frame, address: int, display: PadDisplay, seq: int) -> bool | None:
        line = self._status(frame)
        if line is None or frame.address != address:
            return None
        return line.number == (display.number or display.text)

    def reply_to(self, frame: Frame) -> bytes | None:
        return None

    def poll_reply_address(self, frame: Frame) -> int | None:
        return frame.address if frame.kind == REPORT else None

    def pending_request(self, frame: Frame) -> tuple[str, ...] | None:
        """A request letter (T, P, B, Q, Y) is the pad still waiting for its ``A``; any other status
        is a pad with no request pending. The line is all that identifies a request: no sequence."""
        line = self._status(frame)
        if line is None:
            return None
        return line.edge_key() if line.status in REQUESTS else NO_REQUEST

    # pad side -------------------------------------------------------------------------------
    def is_poll(self, frame: Frame) -> bool:
        return frame.kind == POLL

    def pad_reply(self, frame: Frame) -> bytes | None:
        return None

    def decode_display(self, frame: Frame) -> PadDisplay | None:
        text = self._text(frame)
        parts = text.split(",")
        try:
            match frame.kind:
                case 0x4E:  # N
                    return PadDisplay.show(text)
                case 0x41:  # A
                    return PadDisplay.ack(parts[0] == "1", int(parts[1]), _int_or_none(parts[2]), _bool_or_none(parts[3]))
                case 0x57:  # W
                    return PadDisplay.waiting_count(int(text))
                case 0x4C:  # L
                    return PadDisplay.login_state(parts[0] == "1", ",".join(parts[1:]))
                case 0x53:  # S
                    return PadDisplay.light_stars(int(text))
                case 0x43:  # C
                    return PadDisplay.clear()
        except (IndexError, ValueError):
            return None
        return None

    def encode_action(self, address: int, action: PadAction, seq: int = 0) -> bytes:
        """The status reply a pad gives while ``action`` is pending (the simulator's half)."""
        return self.encode_status(address, action, "", logged_in=True)

    def encode_status(
        self, address: int, pending: PadAction | None, shown_number: str, logged_in: bool, paused: bool = False
    ) -> bytes:
        line = self._line_for(pending) if pending else StatusLine("E" if paused else "F" if logged_in else "N")
        fields = (line.status, shown_number, line.staff_id, line.password, line.transfer_type, line.transfer_to, line.rating)
        return self._frame(address, REPORT, ",".join(_no_comma(f) for f in fields))

    def _line_for(self, action: PadAction) -> StatusLine:
        kind = action.kind
        for letter, request in REQUESTS.items():
            if request is kind and kind is ActionKind.TRANSFER:
                assert action.target_kind is not None
                return StatusLine(letter, transfer_type=self._letter_for_target[action.target_kind], transfer_to=action.target)
            if request is kind:
                return StatusLine(letter, staff_id=action.staff_id, password=action.password, rating=str(action.rating or ""))
        if kind is ActionKind.RESUME:
            return StatusLine("F")
        for letter, state in STATES.items():
            if state is kind:
                return StatusLine(letter)
        raise UnsupportedByDialect(f"polled-csv pads cannot report {kind.value}")


def _xor(data: bytes) -> int:
    value = 0
    for b in data:
        value ^= b
    return value


def _no_comma(text: str) -> str:
    if "," in text:
        raise InvalidPadValue(f"polled-csv fields may not contain a comma: {text!r}")
    return text


def _opt(value: int | bool | None) -> str:
    if value is None:
        return ""
    return str(int(value))


def _int_or_none(text: str) -> int | None:
    return int(text) if text else None


def _bool_or_none(text: str) -> bool | None:
    return text == "1" if text else None


DIALECT = PolledCsv
