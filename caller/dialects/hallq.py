"""Dialect "hallq": HallQ's own binary pad protocol (specified in docs/pad-protocol-hallq.md).

Frame: ``A5 5A VER ADDR SEQ TYPE LEN ~LEN PAYLOAD CRC_LO CRC_HI``; CRC-16/MODBUS over VER..PAYLOAD.
Every frame except ACK/NAK is acknowledged by the receiver with the same SEQ; a pad retransmits an
unacknowledged request with the same SEQ, so the hub remembers the last SEQ per address and
acknowledges a duplicate again without delivering it twice.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import ClassVar, Literal

from caller.actions import ActionKind, DisplayKind, PadAction, PadDisplay, PadKeyEvent, TransferTarget
from caller.crc import crc16_modbus
from caller.dialects.base import BufferedDecoder, Frame, Mode, check_address
from caller.errors import CallerError, InvalidPadValue, UnsupportedByDialect

SYNC = b"\xa5\x5a"
VERSION = 1
HEADER = 8  # sync(2) ver addr seq type len ~len
MAX_PAYLOAD = 200
TEXT_ENCODING = "gb18030"


class Msg(enum.IntEnum):
    ACK = 0x01
    NAK = 0x02
    # pad -> hub
    LOGIN = 0x10
    LOGOUT = 0x11
    CALL_NEXT = 0x12
    CALL_NUMBER = 0x13
    RECALL = 0x14
    START = 0x15
    FINISH = 0x16
    NO_SHOW = 0x17
    TRANSFER = 0x18
    PAUSE = 0x19
    RESUME = 0x1A
    RATING = 0x1B
    CALL_OR_RECALL = 0x1C
    TRANSFER_PRESET = 0x1D
    NO_SHOW_OR_FINISH = 0x1E
    # hub -> pad
    SHOW = 0x40
    WAITING = 0x41
    ACK_COMMAND = 0x42
    LOGIN_STATE = 0x43
    STARS = 0x44
    CLEAR = 0x45


class Nak(enum.IntEnum):
    """NAK reason byte."""

    BAD_FRAME = 1
    UNKNOWN_TYPE = 2
    BAD_VALUE = 3
    BUSY = 4


ACTION_MSG: dict[ActionKind, Msg] = {kind: Msg[kind.name] for kind in ActionKind}
MSG_ACTION: dict[int, ActionKind] = {msg.value: kind for kind, msg in ACTION_MSG.items()}
TARGET_CODE: dict[TransferTarget, int] = {TransferTarget.QUEUE: 1, TransferTarget.WINDOW: 2, TransferTarget.BACK_OFFICE: 3}
CODE_TARGET: dict[int, TransferTarget] = {code: kind for kind, code in TARGET_CODE.items()}


class PayloadError(CallerError, ValueError):
    """A frame with a good CRC whose payload does not fit its type (answered with NAK)."""


def encode_frame(address: int, seq: int, msg: int, payload: bytes = b"") -> bytes:
    """Build one frame; the length and CRC are computed here and nowhere else."""
    if len(payload) > MAX_PAYLOAD:
        raise InvalidPadValue(f"hallq payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = bytes([VERSION, address, seq & 0xFF, msg, len(payload), len(payload) ^ 0xFF]) + payload
    return SYNC + body + struct.pack("<H", crc16_modbus(body))


@dataclass
class HallqDecoder(BufferedDecoder):
    """Hunts the sync bytes, checks version, length (and its complement) and CRC.

    On any failure one byte is dropped and the hunt goes on, so a good frame behind noise is
    found. If a candidate is still incomplete but a complete valid frame follows it in the
    buffer, the candidate was noise (a false sync) and is discarded instead of stalling.
    """

    def feed(self, data: bytes) -> list[Frame]:
        self._buf.extend(data)
        frames: list[Frame] = []
        while True:
            start = self._buf.find(SYNC)
            if start < 0:
                keep = 1 if self._buf.endswith(SYNC[:1]) else 0
                self._drop(len(self._buf) - keep)
                return frames
            self._drop(start)
            result = self._try(0)
            if result is None:  # incomplete: is there a complete frame after a false sync?
                later = self._complete_frame_after(1)
                if later is None:
                    return frames
                self._drop(later)
                continue
            if result is False:
                self.stats.bad_frames += 1
                self._drop(1)
                continue
            frame, size = result
            del self._buf[:size]
            self.stats.frames += 1
            frames.append(frame)

    def _complete_frame_after(self, offset: int) -> int | None:
        pos = self._buf.find(SYNC, offset)
        while pos >= 0:
            if self._try(pos):
                return pos
            pos = self._buf.find(SYNC, pos + 1)
        return None

    def _try(self, at: int) -> tuple[Frame, int] | Literal[False] | None:
        """(frame, size) if a valid frame starts at ``at``; None if incomplete; False if invalid."""
        buf = self._buf
        if len(buf) - at < HEADER:
            return None
        ver, address, seq, msg, length, check = buf[at + 2 : at + HEADER]
        if ver != VERSION or length ^ 0xFF != check or length > MAX_PAYLOAD:
            return False
        size = HEADER + length + 2
        if len(buf) - at < size:
            return None
        raw = bytes(buf[at : at + size])
        if crc16_modbus(raw[2:-2]) != struct.unpack("<H", raw[-2:])[0]:
            return False
        return Frame(address=address, kind=msg, data=raw[HEADER:-2], raw=raw, seq=seq), size


@dataclass(frozen=True)
class HallqParams:
    """hallq has no vendor ambiguity; the address range is the only knob (RS-485 style 1..247)."""

    first_address: int = 1
    last_address: int = 247


class Hallq:
    """Codec for HallQ pads; remembers the last request SEQ per address to drop retransmissions."""

    name: ClassVar[str] = "hallq"
    mode: ClassVar[Mode] = "push"
    Params: ClassVar[type[HallqParams]] = HallqParams

    def __init__(self, params: HallqParams | None = None) -> None:
        self.params = params or HallqParams()
        self.address_range = (self.params.first_address, self.params.last_address)
        self.display_width: int | None = None  # the frame carries the number whole
        self._last_request: dict[int, tuple[int, int, bytes]] = {}

    def new_decoder(self) -> HallqDecoder:
        return HallqDecoder()

    # hub side -------------------------------------------------------------------------------
    def decode_frame(self, frame: Frame) -> PadKeyEvent | None:
        if frame.kind not in MSG_ACTION:
            return None
        identity = (frame.seq, frame.kind, frame.data)
        if self._last_request.get(frame.address) == identity:
            return None  # retransmission of a request we already delivered (our ACK was lost)
        try:
            action = decode_action(frame.kind, frame.data)
        except (PayloadError, InvalidPadValue):
            return None
        self._last_request[frame.address] = identity
        return PadKeyEvent(frame.address, action, frame.raw)

    def reply_to(self, frame: Frame) -> bytes | None:
        """ACK every request with its SEQ (duplicates too); NAK one whose payload is wrong."""
        if frame.kind in (Msg.ACK, Msg.NAK) or frame.kind >= Msg.SHOW:
            return None
        if frame.kind not in MSG_ACTION:
            return encode_frame(frame.address, frame.seq, Msg.NAK, bytes([Nak.UNKNOWN_TYPE]))
        try:
            decode_action(frame.kind, frame.data)
        except (PayloadError, InvalidPadValue):
            return encode_frame(frame.address, frame.seq, Msg.NAK, bytes([Nak.BAD_VALUE]))
        return encode_frame(frame.address, frame.seq, Msg.ACK)

    def encode_display(self, address: int, display: PadDisplay, seq: int = 0) -> bytes:
        check_address(self, address)
        msg, payload = encode_display_payload(display)
        return encode_frame(address, seq, msg, payload)

    def encode_poll(self, address: int) -> bytes:
        raise UnsupportedByDialect("hallq pads push their requests; they are not polled")

    def needs_confirmation(self, display: PadDisplay) -> bool:
        return True

    def confirms(self, frame: Frame, address: int, display: PadDisplay, seq: int) -> bool | None:
        if frame.address != address or frame.seq != seq & 0xFF or frame.kind not in (Msg.ACK, Msg.NAK):
            return None
        return frame.kind == Msg.ACK

    def poll_reply_address(self, frame: Frame) -> int | None:
        return None

    def pending_request(self, frame: Frame) -> tuple[str, ...] | None:
        return None

    # pad side -------------------------------------------------------------------------------
    def encode_action(self, address: int, action: PadAction, seq: int = 0) -> bytes:
        check_address(self, address)
        return encode_frame(address, seq, ACTION_MSG[action.kind], encode_action_payload(action))

    def decode_display(self, frame: Frame) -> PadDisplay | None:
        try:
            return decode_display_payload(frame.kind, frame.data)
        except (PayloadError, InvalidPadValue):
            return None

    def is_poll(self, frame: Frame) -> bool:
        return False

    def pad_reply(self, frame: Frame) -> bytes | None:
        if frame.kind < Msg.SHOW:
            return None
        ok = self.decode_display(frame) is not None
        return encode_frame(frame.address, frame.seq, Msg.ACK if ok else Msg.NAK, b"" if ok else bytes([Nak.BAD_VALUE]))

    def encode_status(
        self, address: int, pending: PadAction | None, shown_number: str, logged_in: bool, paused: bool = False
    ) -> bytes:
        raise UnsupportedByDialect("hallq pads push their requests; they have no status reply")


# payloads ------------------------------------------------------------------------------------
def _text(value: str) -> bytes:
    return value.encode(TEXT_ENCODING)


def _short(value: str) -> bytes:
    data = _text(value)
    if len(data) > 255:
        raise InvalidPadValue("hallq short strings are at most 255 bytes")
    return bytes([len(data)]) + data


def _read_short(data: bytes, at: int) -> tuple[str, int]:
    if at >= len(data) or at + 1 + data[at] > len(data):
        raise PayloadError("short string runs past the payload")
    end = at + 1 + data[at]
    return data[at + 1 : end].decode(TEXT_ENCODING), end


def _rest(data: bytes, at: int) -> str:
    try:
        return data[at:].decode(TEXT_ENCODING)
    except UnicodeDecodeError as exc:
        raise PayloadError(f"text is not {TEXT_ENCODING}") from exc


def _byte(data: bytes, expected_len: int) -> int:
    if len(data) != expected_len:
        raise PayloadError(f"payload must be {expected_len} byte(s), got {len(data)}")
    return data[0]


def encode_action_payload(action: PadAction) -> bytes:
    match action.kind:
        case ActionKind.LOGIN:
            return _short(action.staff_id) + _short(action.password)
        case ActionKind.CALL_NUMBER:
            return _text(action.number)
        case ActionKind.FINISH:
            return bytes([action.outcome])
        case ActionKind.TRANSFER:
            assert action.target_kind is not None
            return bytes([TARGET_CODE[action.target_kind]]) + _text(action.target)
        case ActionKind.PAUSE:
            return bytes([action.reason])
        case ActionKind.RATING:
            return bytes([action.rating])
        case _:
            return b""


def decode_action(msg: int, data: bytes) -> PadAction:
    kind = MSG_ACTION[msg]
    try:
        match kind:
            case ActionKind.LOGIN:
                staff_id, at = _read_short(data, 0)
                password, end = _read_short(data, at)
                if end != len(data):
                    raise PayloadError("bytes after the login fields")
                return PadAction.login(staff_id, password)
            case ActionKind.CALL_NUMBER:
                return PadAction.call_number(_rest(data, 0))
            case ActionKind.FINISH:
                return PadAction.finish(_byte(data, 1))
            case ActionKind.TRANSFER:
                if not data or data[0] not in CODE_TARGET:
                    raise PayloadError("unknown transfer target kind")
                return PadAction.transfer(CODE_TARGET[data[0]], _rest(data, 1))
            case ActionKind.PAUSE:
                return PadAction.pause(_byte(data, 1))
            case ActionKind.RATING:
                return PadAction.rate(_byte(data, 1))
            case _:
                if data:
                    raise PayloadError(f"{kind.value} takes no payload")
                return PadAction.simple(kind)
    except UnicodeDecodeError as exc:
        raise PayloadError(f"text is not {TEXT_ENCODING}") from exc


_FLAG_WAITING, _FLAG_LOGIN, _FLAG_LOGGED_IN = 1, 2, 4


def encode_display_payload(display: PadDisplay) -> tuple[Msg, bytes]:
    match display.kind:
        case DisplayKind.SHOW:
            return Msg.SHOW, _short(display.number) + _text(display.text)
        case DisplayKind.WAITING:
            return Msg.WAITING, struct.pack("<H", display.waiting or 0)
        case DisplayKind.ACK:
            flags = (_FLAG_WAITING if display.waiting is not None else 0) | (
                _FLAG_LOGIN | (_FLAG_LOGGED_IN if display.logged_in else 0) if display.logged_in is not None else 0
            )
            status = 0 if display.ok else (display.error_code or 0xFF)
            return Msg.ACK_COMMAND, struct.pack("<BBH", status, flags, display.waiting or 0)
        case DisplayKind.LOGIN_STATE:
            return Msg.LOGIN_STATE, bytes([1 if display.logged_in else 0]) + _text(display.text)
        case DisplayKind.STARS:
            return Msg.STARS, bytes([display.stars])
        case _:
            return Msg.CLEAR, b""


def decode_display_payload(msg: int, data: bytes) -> PadDisplay:
    try:
        match msg:
            case Msg.SHOW:
                number, at = _read_short(data, 0)
                return PadDisplay.show(number, _rest(data, at))
            case Msg.WAITING:
                if len(data) != 2:
                    raise PayloadError("waiting count is 2 bytes")
                return PadDisplay.waiting_count(struct.unpack("<H", data)[0])
            case Msg.ACK_COMMAND:
                if len(data) != 4:
                    raise PayloadError("command ack is 4 bytes")
                status, flags, waiting = struct.unpack("<BBH", data)
                return PadDisplay.ack(
                    ok=status == 0,
                    error_code=status,
                    waiting=waiting if flags & _FLAG_WAITING else None,
                    logged_in=bool(flags & _FLAG_LOGGED_IN) if flags & _FLAG_LOGIN else None,
                )
            case Msg.LOGIN_STATE:
                if not data or data[0] > 1:
                    raise PayloadError("login state byte must be 0 or 1")
                return PadDisplay.login_state(data[0] == 1, _rest(data, 1))
            case Msg.STARS:
                return PadDisplay.light_stars(_byte(data, 1))
            case Msg.CLEAR:
                if data:
                    raise PayloadError("clear takes no payload")
                return PadDisplay.clear()
    except UnicodeDecodeError as exc:
        raise PayloadError(f"text is not {TEXT_ENCODING}") from exc
    raise PayloadError(f"type {msg:#04x} is not a display")


DIALECT = Hallq
