"""candle: QSystem LED boards, `01 ADDR BLINK TEXT… 07`, ASCII only, no check.

The boards come from a Russian system and draw ASCII letters and digits only, so Chinese is
transliterated by an ordered replacement table (a parameter) and whatever is left that is not
printable ASCII is omitted: `A001 请到3号窗口` shows as `A001 > 3`. `<` `>` `-` light the
board's arrows. Candle screens share `01 … 07` framing with qsystem-ub485 call-pads: give them
separate address ranges on one bus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from display.led.codec import Codec, expect
from display.led.errors import EncodeError, FrameError, ParamsError
from display.led.model import Command, DecodedFrame, ScreenKind
from display.led.params import DialectParams

SOH, BRIGHT, SET_ADDRESS, END = 0x01, 0x02, 0x03, 0x07
STEADY, BLINK_FOREVER, BLINK_MAX = 0x20, 0x21, 0x7F
BROADCAST_OLD = 0xFF
BRIGHTNESS_BASE = 0x20

DEFAULT_TRANSLITERATION: tuple[tuple[str, str], ...] = (
    ("暂停服务", "----"),
    ("请到", " > "),
    ("号到", " > "),
    ("号窗口", " "),
    ("窗口", " "),
    ("办理", " "),
    ("请", " "),
    ("号", " "),
)


@dataclass(frozen=True)
class CandleParams(DialectParams):
    """transliteration: ordered (Chinese, ASCII) replacements applied before omitting the rest;
    omitted: what replaces each remaining non-ASCII character ("" drops it)."""

    min_interval_s: float = 0.2
    baud: int = 57600
    transliteration: tuple[tuple[str, str], ...] = DEFAULT_TRANSLITERATION
    omitted: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if any(not 0x20 <= ord(char) < 0x7F for char in self.omitted):
            raise ParamsError(f"omitted must be printable ASCII, got {self.omitted!r}")


class CandleCodec(Codec):
    name = "candle"
    params_type = CandleParams
    address_range = range(0x20, 0x80)
    max_frame_len = 512

    params: CandleParams

    def transliterate(self, text: str) -> str:
        """ASCII the board can draw: table replacements, then drop what is left, tidy spaces."""
        for chinese, ascii_text in self.params.transliteration:
            text = text.replace(chinese, ascii_text)
        kept = "".join(
            char if 0x20 <= ord(char) < 0x7F else self.params.omitted for char in text
        )
        return re.sub(r" {2,}", " ", kept).strip()

    def text_bytes(self, text: str) -> bytes:
        return self.transliterate(text).encode("ascii")

    def encode_text(self, address: int, text: str, blink: bool | int, kind: ScreenKind) -> bytes:
        return bytes([SOH, address, self._blink_code(blink)]) + self.text_bytes(text) + bytes([END])

    @staticmethod
    def _blink_code(blink: bool | int) -> int:
        if blink is True:
            return BLINK_FOREVER
        if not blink:
            return STEADY
        if blink > BLINK_MAX - BLINK_FOREVER:
            raise EncodeError(f"candle blinks at most {BLINK_MAX - BLINK_FOREVER} times, got {blink}")
        return BLINK_FOREVER + blink

    def encode_brightness(self, address: int, level: int) -> list[bytes]:
        return [bytes([BRIGHT, address, BRIGHTNESS_BASE + level, END])]

    def encode_set_address(self, old: int | None, new: int) -> bytes:
        """Change a board's address; old=None addresses every board on the bus (FF)."""
        self.check_address(new)
        if old is not None:
            self.check_address(old)
        return bytes([SET_ADDRESS, BROADCAST_OLD if old is None else old, new, END])

    def frame_length(self, buf: bytes) -> int | None:
        expect(buf[0] in (SOH, BRIGHT, SET_ADDRESS), "candle: frame must start 01/02/03", buf[:1])
        end = bytes(buf).find(END, 1)
        if end < 0:
            return None
        return end + 1

    def decode(self, frame: bytes) -> DecodedFrame:
        expect(len(frame) >= 4, "candle: frame shorter than 4 bytes", frame)
        expect(frame[-1] == END, "candle: frame must end with 07", frame)
        command, address = frame[0], frame[1]
        if command == SET_ADDRESS:
            expect(len(frame) == 4, "candle: address change is 4 bytes", frame)
            new = frame[2]
            expect(new in self.address_range, "candle: new address outside 20..7F", frame)
            return DecodedFrame(address=address, command=Command.SET_ADDRESS, new_address=new)
        expect(address in self.address_range, "candle: address outside 20..7F", frame)
        if command == BRIGHT:
            expect(len(frame) == 4, "candle: brightness frame is 4 bytes", frame)
            level = frame[2] - BRIGHTNESS_BASE
            expect(0 <= level <= 3, "candle: brightness byte must be 20..23", frame)
            return DecodedFrame(address=address, command=Command.BRIGHTNESS, brightness=level)
        expect(command == SOH, "candle: frame must start 01/02/03", frame)
        code = frame[2]
        expect(STEADY <= code <= BLINK_MAX, "candle: blink byte must be 20..7F", frame)
        body = frame[3:-1]
        if any(not 0x20 <= byte < 0x7F for byte in body):
            raise FrameError("candle: text must be printable ASCII", frame)
        blink: bool | int = False if code == STEADY else True if code == BLINK_FOREVER else code - BLINK_FOREVER
        return DecodedFrame(address=address, command=Command.TEXT, text=body.decode("ascii"), blink=blink)
