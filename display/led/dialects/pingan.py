"""pingan (平安力合): `AA ADDR BB 51 54 CK 01 00 99 00 63 TEXT FF`, GBK, 8-bit sum check.

CK is the sum of the bytes from index 6 to the end, mod 256. Whether "the end" includes the
FF end byte is not documented: by default it does (the literal reading); set
check_covers_end = false for boards that stop before it. A zone screen uses `08 02` where a
window screen has `01 00`. GBK never produces FF, so FF ends the text unambiguously.
"""

from __future__ import annotations

from dataclasses import dataclass

from display.led.checks import sum8
from display.led.codec import Codec, expect
from display.led.errors import ParamsError
from display.led.model import Command, DecodedFrame, ScreenKind
from display.led.params import DialectParams

START, MARK, END = 0xAA, 0xBB, 0xFF
CHECK_INDEX, BODY_INDEX = 5, 6


@dataclass(frozen=True)
class PinganParams(DialectParams):
    """head: the two bytes after BB; window_code / zone_code: bytes 6-7 per screen kind;
    tail: bytes 8-10; check_covers_end: the sum includes the FF end byte."""

    head: bytes = b"\x51\x54"
    window_code: bytes = b"\x01\x00"
    zone_code: bytes = b"\x08\x02"
    tail: bytes = b"\x99\x00\x63"
    check_covers_end: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.head) != 2 or len(self.window_code) != 2 or len(self.zone_code) != 2:
            raise ParamsError("head, window_code and zone_code must be 2 bytes each")
        if len(self.tail) != 3:
            raise ParamsError("tail must be 3 bytes")
        if self.window_code == self.zone_code:
            raise ParamsError("window_code and zone_code must differ")
        if END in self.window_code + self.zone_code + self.tail:
            raise ParamsError("constant bytes after the check must not contain the end byte FF")


class PinganCodec(Codec):
    name = "pingan"
    params_type = PinganParams
    max_frame_len = 1024

    params: PinganParams

    @property
    def _text_index(self) -> int:
        return BODY_INDEX + 2 + len(self.params.tail)

    def _check(self, frame_without_check_end: bytes) -> int:
        covered = frame_without_check_end[BODY_INDEX:]
        if not self.params.check_covers_end:
            covered = covered[:-1]
        return sum8(covered)

    def encode_text(self, address: int, text: str, blink: bool | int, kind: ScreenKind) -> bytes:
        code = self.params.zone_code if kind is ScreenKind.ZONE else self.params.window_code
        frame = bytearray([START, address, MARK]) + self.params.head + b"\x00"
        frame += code + self.params.tail + self.text_bytes(text) + bytes([END])
        frame[CHECK_INDEX] = self._check(bytes(frame))
        return bytes(frame)

    def frame_length(self, buf: bytes) -> int | None:
        expect(buf[0] == START, "pingan: frame must start AA", buf[:1])
        if len(buf) > 2:
            expect(buf[2] == MARK, "pingan: byte 2 must be BB", bytes(buf[:3]))
        end = bytes(buf).find(END, self._text_index)
        return None if end < 0 else end + 1

    def decode(self, frame: bytes) -> DecodedFrame:
        text_index = self._text_index
        expect(len(frame) >= text_index + 1, "pingan: frame too short", frame)
        expect(frame[0] == START and frame[2] == MARK, "pingan: header must be AA ADDR BB", frame)
        expect(frame[3:5] == self.params.head, "pingan: bytes 3-4 differ from head", frame)
        expect(frame[-1] == END, "pingan: frame must end FF", frame)
        expect(frame[8:text_index] == self.params.tail, "pingan: bytes 8-10 differ from tail", frame)
        code = frame[BODY_INDEX:8]
        if code == self.params.zone_code:
            kind = ScreenKind.ZONE
        else:
            expect(code == self.params.window_code, "pingan: unknown screen code", frame)
            kind = ScreenKind.WINDOW
        expect(frame[CHECK_INDEX] == self._check(frame), "pingan: check byte mismatch", frame)
        text = self.decode_text(frame[text_index:-1], frame)
        return DecodedFrame(address=frame[1], command=Command.TEXT, text=text, kind=kind)
