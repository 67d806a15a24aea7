"""ruize (瑞泽): `(0x80+ADDR%64) (0xC0+ADDR/64) 44 TEXT 1A`, each GBK byte as two halves.

Each text byte is sent as two bytes holding one 4-bit half each (nibble_base + half), so the
text can never contain a header or the 1A end byte. The half order is undocumented: high half
first by default (half_order = "high_first"); nibble_base 0 by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from display.led.codec import Codec, expect
from display.led.errors import ParamsError
from display.led.model import Command, DecodedFrame, ScreenKind
from display.led.params import DialectParams, check_choice

LOW_BASE, HIGH_BASE, COMMAND, END = 0x80, 0xC0, 0x44, 0x1A
HALF_ORDERS = ("high_first", "low_first")


@dataclass(frozen=True)
class RuizeParams(DialectParams):
    """half_order: "high_first" or "low_first"; nibble_base: value added to each half."""

    half_order: str = "high_first"
    nibble_base: int = 0x00

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("half_order", self.half_order, HALF_ORDERS)
        if not 0 <= self.nibble_base <= 0xF0 or self.nibble_base <= END < self.nibble_base + 16:
            raise ParamsError(
                f"nibble_base {self.nibble_base:#x}: halves must stay in one byte and not hit 1A"
            )


class RuizeCodec(Codec):
    name = "ruize"
    params_type = RuizeParams
    address_range = range(0, 64 * 64)
    max_frame_len = 2048

    params: RuizeParams

    def _split(self, byte: int) -> bytes:
        high, low = byte >> 4, byte & 0x0F
        pair = (high, low) if self.params.half_order == "high_first" else (low, high)
        return bytes(self.params.nibble_base + half for half in pair)

    def encode_text(self, address: int, text: str, blink: bool | int, kind: ScreenKind) -> bytes:
        body = b"".join(self._split(byte) for byte in self.text_bytes(text))
        return bytes([LOW_BASE + address % 64, HIGH_BASE + address // 64, COMMAND]) + body + bytes([END])

    def frame_length(self, buf: bytes) -> int | None:
        expect(LOW_BASE <= buf[0] < HIGH_BASE, "ruize: first byte must be 80..BF", buf[:1])
        if len(buf) > 1:
            expect(buf[1] >= HIGH_BASE, "ruize: second byte must be C0..FF", bytes(buf[:2]))
        if len(buf) > 2:
            expect(buf[2] == COMMAND, "ruize: third byte must be 44", bytes(buf[:3]))
        end = bytes(buf).find(END, 3)
        return None if end < 0 else end + 1

    def decode(self, frame: bytes) -> DecodedFrame:
        expect(len(frame) >= 4, "ruize: frame shorter than 4 bytes", frame)
        expect(LOW_BASE <= frame[0] < HIGH_BASE, "ruize: first byte must be 80..BF", frame)
        expect(frame[1] >= HIGH_BASE, "ruize: second byte must be C0..FF", frame)
        expect(frame[2] == COMMAND and frame[-1] == END, "ruize: need 44 … 1A", frame)
        halves = frame[3:-1]
        expect(len(halves) % 2 == 0, "ruize: odd number of half-bytes", frame)
        base = self.params.nibble_base
        expect(all(base <= b < base + 16 for b in halves), "ruize: half-byte out of range", frame)
        data = bytearray()
        for index in range(0, len(halves), 2):
            first, second = halves[index] - base, halves[index + 1] - base
            high, low = (first, second) if self.params.half_order == "high_first" else (second, first)
            data.append(high << 4 | low)
        address = (frame[0] - LOW_BASE) + (frame[1] - HIGH_BASE) * 64
        return DecodedFrame(address=address, command=Command.TEXT, text=self.decode_text(bytes(data), frame))
