"""yongtai (永泰新欣): `AA 55 LEN ADDR F8 21 00 TEXT 00`, GBK, no check.

What LEN counts is undocumented: by default the bytes after LEN (ADDR through the final 00,
length_counts = "after_length"); "text" counts the GBK text bytes only, "frame" the whole
frame. The three bytes after ADDR are a parameter (command, default F8 21 00).
"""

from __future__ import annotations

from dataclasses import dataclass

from display.led.codec import Codec, expect
from display.led.errors import EncodeError, ParamsError
from display.led.model import Command, DecodedFrame, ScreenKind
from display.led.params import DialectParams, check_choice

SYNC = b"\xaa\x55"
ADDRESS_INDEX, TEXT_INDEX = 3, 7
LENGTH_UNITS = ("after_length", "text", "frame")


@dataclass(frozen=True)
class YongtaiParams(DialectParams):
    """command: the three constant bytes after ADDR; length_counts: what LEN counts."""

    baud: int = 38400
    command: bytes = b"\xf8\x21\x00"
    length_counts: str = "after_length"

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.command) != 3:
            raise ParamsError(f"command must be 3 bytes, got {self.command.hex(' ')}")
        check_choice("length_counts", self.length_counts, LENGTH_UNITS)


class YongtaiCodec(Codec):
    name = "yongtai"
    params_type = YongtaiParams
    max_frame_len = 255 + TEXT_INDEX + 1

    params: YongtaiParams

    def _overhead(self) -> int:
        """Frame bytes not counted by LEN."""
        return {"after_length": 3, "text": TEXT_INDEX + 1, "frame": 0}[self.params.length_counts]

    def encode_text(self, address: int, text: str, blink: bool | int, kind: ScreenKind) -> bytes:
        raw = self.text_bytes(text)
        total = TEXT_INDEX + len(raw) + 1
        length = total - self._overhead()
        if length > 0xFF:
            raise EncodeError(f"yongtai: text too long ({len(raw)} GBK bytes, LEN is one byte)")
        return SYNC + bytes([length, address]) + self.params.command + raw + b"\x00"

    def frame_length(self, buf: bytes) -> int | None:
        expect(buf[0] == SYNC[0], "yongtai: frame must start AA 55", buf[:1])
        if len(buf) < 3:
            if len(buf) == 2:
                expect(buf[1] == SYNC[1], "yongtai: frame must start AA 55", bytes(buf))
            return None
        expect(buf[1] == SYNC[1], "yongtai: frame must start AA 55", bytes(buf[:2]))
        total = buf[2] + self._overhead()
        expect(total >= TEXT_INDEX + 1, "yongtai: impossible LEN", bytes(buf[:3]))
        return total

    def decode(self, frame: bytes) -> DecodedFrame:
        expect(len(frame) >= TEXT_INDEX + 1, "yongtai: frame too short", frame)
        expect(frame[:2] == SYNC, "yongtai: frame must start AA 55", frame)
        expect(frame[2] + self._overhead() == len(frame), "yongtai: LEN does not match", frame)
        expect(frame[4:TEXT_INDEX] == self.params.command, "yongtai: command bytes differ", frame)
        expect(frame[-1] == 0, "yongtai: frame must end 00", frame)
        raw = frame[TEXT_INDEX:-1]
        expect(0 not in raw, "yongtai: 00 inside text", frame)
        return DecodedFrame(address=frame[ADDRESS_INDEX], command=Command.TEXT, text=self.decode_text(raw, frame))
