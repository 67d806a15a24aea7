"""yinda (银达汇智): `ADDR FE TOTLEN SEQ 86 3C 00 05 00 TEXT 00 CRCH CRCL`, GBK, CRC-16.

The CRC is CRC-16/CCITT with poly 0x1021 and init 0; vendors differ on the variant, so
crc_variant is "xmodem" by default and "kermit" as the alternative, computed over the bytes
from crc_from (0: the whole frame before the CRC) up to the CRC, sent high byte first.
TOTLEN counts the whole frame by default (length_counts = "frame"), or only the bytes after
TOTLEN ("after_length"). SEQ counts frames on this codec instance from seq_start, mod 256;
boards are not known to check it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from display.led.checks import Crc16Variant, crc16
from display.led.codec import Codec, expect
from display.led.errors import EncodeError, ParamsError
from display.led.model import Command, DecodedFrame, ScreenKind
from display.led.params import DialectParams, check_choice

MARK = 0xFE
SEQ_INDEX, COMMAND_INDEX = 3, 4
LENGTH_UNITS = ("frame", "after_length")


@dataclass(frozen=True)
class YindaParams(DialectParams):
    """command: the five constant bytes after SEQ; crc_variant; crc_from; length_counts;
    seq_start: first SEQ value."""

    min_interval_s: float = 0.02
    baud: int = 57600
    command: bytes = b"\x86\x3c\x00\x05\x00"
    crc_variant: Crc16Variant = Crc16Variant.XMODEM
    crc_from: int = 0
    length_counts: str = "frame"
    seq_start: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.command) != 5:
            raise ParamsError(f"command must be 5 bytes, got {self.command.hex(' ')}")
        if not 0 <= self.crc_from < COMMAND_INDEX + 5:
            raise ParamsError(f"crc_from must be 0..{COMMAND_INDEX + 4}, got {self.crc_from}")
        check_choice("length_counts", self.length_counts, LENGTH_UNITS)
        if not 0 <= self.seq_start <= 0xFF:
            raise ParamsError(f"seq_start must be 0..255, got {self.seq_start}")


class YindaCodec(Codec):
    name = "yinda"
    params_type = YindaParams
    max_frame_len = 255

    params: YindaParams

    def __init__(self, params: YindaParams | None = None) -> None:
        super().__init__(params)
        self._seq = itertools.count(self.params.seq_start)

    @property
    def _text_index(self) -> int:
        return COMMAND_INDEX + len(self.params.command)

    def _length_offset(self) -> int:
        return 0 if self.params.length_counts == "frame" else 3

    def encode_text(self, address: int, text: str, blink: bool | int, kind: ScreenKind) -> bytes:
        raw = self.text_bytes(text)
        total = self._text_index + len(raw) + 3
        if total > self.max_frame_len:
            raise EncodeError(f"yinda: text too long ({len(raw)} GBK bytes, frame max 255)")
        seq = next(self._seq) & 0xFF
        body = bytes([address, MARK, total - self._length_offset(), seq]) + self.params.command + raw + b"\x00"
        return body + crc16(body[self.params.crc_from :], self.params.crc_variant).to_bytes(2, "big")

    def frame_length(self, buf: bytes) -> int | None:
        if len(buf) < 3:
            if len(buf) == 2:
                expect(buf[1] == MARK, "yinda: byte 1 must be FE", bytes(buf))
            return None
        expect(buf[1] == MARK, "yinda: byte 1 must be FE", bytes(buf[:2]))
        total = buf[2] + self._length_offset()
        expect(self._text_index + 3 <= total <= self.max_frame_len, "yinda: impossible TOTLEN", bytes(buf[:3]))
        return total

    def decode(self, frame: bytes) -> DecodedFrame:
        text_index = self._text_index
        expect(len(frame) >= text_index + 3, "yinda: frame too short", frame)
        expect(frame[1] == MARK, "yinda: byte 1 must be FE", frame)
        expect(frame[2] + self._length_offset() == len(frame), "yinda: TOTLEN does not match", frame)
        expect(frame[COMMAND_INDEX:text_index] == self.params.command, "yinda: command bytes differ", frame)
        expect(frame[-3] == 0, "yinda: text must end with 00", frame)
        crc = crc16(frame[self.params.crc_from : -2], self.params.crc_variant)
        expect(frame[-2:] == crc.to_bytes(2, "big"), "yinda: CRC mismatch", frame)
        raw = frame[text_index:-3]
        expect(0 not in raw, "yinda: 00 inside text", frame)
        return DecodedFrame(address=frame[0], command=Command.TEXT, text=self.decode_text(raw, frame))
