"""zhongyi (重庆中意): `A0 90 ADDR A5 LENH LENL DATA XOR`, each character followed by 00.

DATA is the GBK text with a 00 after every character (pad_unit = "char", the default) or after
every byte (pad_unit = "byte"). What the 16-bit LEN counts is undocumented: by default the
DATA bytes including the pads (length_counts = "data_bytes"); "text_bytes" counts GBK bytes
without pads, "chars" counts characters. XOR is over the bytes from index xor_start (2) to the
end of DATA.
"""

from __future__ import annotations

from dataclasses import dataclass

from display.led.checks import xor8
from display.led.codec import Codec, expect
from display.led.errors import EncodeError, FrameError, ParamsError
from display.led.model import Command, DecodedFrame, ScreenKind
from display.led.params import DialectParams, check_choice
from display.led.textcodec import gbk_char_spans

HEADER = b"\xa0\x90"
COMMAND = 0xA5
DATA_INDEX = 6
LENGTH_UNITS = ("data_bytes", "text_bytes", "chars")
PAD_UNITS = ("char", "byte")


@dataclass(frozen=True)
class ZhongyiParams(DialectParams):
    """length_counts: "data_bytes" | "text_bytes" | "chars"; pad_unit: "char" | "byte";
    xor_start: first byte index covered by the XOR."""

    length_counts: str = "data_bytes"
    pad_unit: str = "char"
    xor_start: int = 2

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("length_counts", self.length_counts, LENGTH_UNITS)
        check_choice("pad_unit", self.pad_unit, PAD_UNITS)
        if not 0 <= self.xor_start <= DATA_INDEX:
            raise ParamsError(f"xor_start must be 0..{DATA_INDEX}, got {self.xor_start}")


class ZhongyiCodec(Codec):
    name = "zhongyi"
    params_type = ZhongyiParams
    max_frame_len = 4096

    params: ZhongyiParams

    def _pad(self, text: bytes) -> bytes:
        out = bytearray()
        for start, end in gbk_char_spans(text):
            if self.params.pad_unit == "char":
                out += text[start:end] + b"\x00"
            else:
                for byte in text[start:end]:
                    out += bytes([byte, 0])
        return bytes(out)

    def _length_value(self, text: bytes, data: bytes) -> int:
        if self.params.length_counts == "data_bytes":
            return len(data)
        if self.params.length_counts == "text_bytes":
            return len(text)
        return sum(1 for _ in gbk_char_spans(text))

    def encode_text(self, address: int, text: str, blink: bool | int, kind: ScreenKind) -> bytes:
        raw = self.text_bytes(text)
        data = self._pad(raw)
        length = self._length_value(raw, data)
        if length > 0xFFFF or len(data) + 7 > self.max_frame_len:
            raise EncodeError(f"zhongyi: text too long ({len(raw)} GBK bytes)")
        frame = HEADER + bytes([address, COMMAND, length >> 8, length & 0xFF]) + data
        return frame + bytes([xor8(frame[self.params.xor_start :])])

    def _data_length(self, buf: bytes, length: int) -> int | None:
        """Bytes of DATA for a LEN value, walking characters when LEN does not count bytes."""
        if self.params.length_counts == "data_bytes":
            return length
        pos, counted = DATA_INDEX, 0
        while counted < length:
            if pos >= len(buf):
                return None
            width = 2 if 0x81 <= buf[pos] <= 0xFE else 1
            pos += width + 1 if self.params.pad_unit == "char" else 2 * width
            counted += width if self.params.length_counts == "text_bytes" else 1
        if counted != length:
            raise FrameError("zhongyi: LEN ends inside a character", bytes(buf[:pos]))
        return pos - DATA_INDEX

    def frame_length(self, buf: bytes) -> int | None:
        expect(buf[0] == HEADER[0], "zhongyi: frame must start A0 90", buf[:1])
        if len(buf) > 1:
            expect(buf[1] == HEADER[1], "zhongyi: frame must start A0 90", bytes(buf[:2]))
        if len(buf) > 3:
            expect(buf[3] == COMMAND, "zhongyi: byte 3 must be A5", bytes(buf[:4]))
        if len(buf) < DATA_INDEX:
            return None
        data_length = self._data_length(buf, buf[4] << 8 | buf[5])
        if data_length is None:
            return None
        total = DATA_INDEX + data_length + 1
        expect(total <= self.max_frame_len, "zhongyi: LEN larger than any frame", bytes(buf[:DATA_INDEX]))
        return total

    def _unpad(self, data: bytes, frame: bytes) -> bytes:
        text = bytearray()
        pos = 0
        while pos < len(data):
            width = 2 if 0x81 <= data[pos] <= 0xFE else 1
            if self.params.pad_unit == "char":
                chunk, pads = data[pos : pos + width], data[pos + width : pos + width + 1]
                pos += width + 1
            else:
                pair = data[pos : pos + 2 * width]
                chunk, pads = pair[0::2], pair[1::2]
                pos += 2 * width
            expect(len(chunk) == width and pads == b"\x00" * len(pads) and len(pads) == (1 if self.params.pad_unit == "char" else width),
                   "zhongyi: character not followed by 00", frame)
            text += chunk
        return bytes(text)

    def decode(self, frame: bytes) -> DecodedFrame:
        expect(len(frame) >= DATA_INDEX + 1, "zhongyi: frame too short", frame)
        expect(frame[:2] == HEADER and frame[3] == COMMAND, "zhongyi: header must be A0 90 ADDR A5", frame)
        expect(frame[-1] == xor8(frame[self.params.xor_start : -1]), "zhongyi: XOR mismatch", frame)
        data_length = self._data_length(frame, frame[4] << 8 | frame[5])
        expect(data_length == len(frame) - DATA_INDEX - 1, "zhongyi: LEN does not match frame", frame)
        raw = self._unpad(frame[DATA_INDEX:-1], frame)
        return DecodedFrame(address=frame[2], command=Command.TEXT, text=self.decode_text(raw, frame))
