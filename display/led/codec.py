"""The shape every screen dialect codec has.

A codec is pure: ScreenText -> frames and frame -> DecodedFrame, with its device differences
in a params dataclass. The bus and the simulator only talk to this interface, so a new
vendor is one small module plus a line in display.led.dialects.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

from display.led.errors import EncodeError, FrameError
from display.led.model import DecodedFrame, ScreenKind, ScreenText
from display.led.params import DialectParams, params_from_mapping
from display.led.textcodec import encode_gbk


def expect(condition: bool, reason: str, frame: bytes) -> None:
    """Raise FrameError(reason) unless condition holds; keeps decoders flat and readable."""
    if not condition:
        raise FrameError(reason, frame)


class Codec(abc.ABC):
    """Base class: shared encode() pipeline; dialects implement three hooks.

    Hooks: encode_text (one text frame), decode (one complete frame), frame_length (how long
    the frame starting at buf[0] is, for splitting a byte stream). encode_brightness is
    optional: dialects without a brightness command leave ScreenText.brightness unused.
    """

    name: ClassVar[str]
    params_type: ClassVar[type[DialectParams]] = DialectParams
    address_range: ClassVar[range] = range(0, 256)
    max_frame_len: ClassVar[int] = 1024

    def __init__(self, params: DialectParams | None = None) -> None:
        self.params = params if params is not None else self.params_type()
        if not isinstance(self.params, self.params_type):
            raise TypeError(f"{self.name} needs {self.params_type.__name__}, got {type(params)}")

    @classmethod
    def from_config(cls, mapping: Mapping[str, Any], *, source: str = "params") -> "Codec":
        """Codec with parameters overridden from a device-config mapping."""
        return cls(params_from_mapping(cls.params_type, mapping, source=source))

    # --- encoding -----------------------------------------------------------------------
    def encode(
        self, address: int, text: ScreenText, kind: ScreenKind = ScreenKind.WINDOW
    ) -> list[bytes]:
        """Frames that make the screen at address show text (brightness first, if any)."""
        self.check_address(address)
        frames: list[bytes] = []
        if text.brightness is not None:
            frames.extend(self.encode_brightness(address, text.brightness))
        joined = self.params.line_separator.join(text.lines)
        frames.append(self.encode_text(address, joined, text.blink, kind))
        return frames

    def check_address(self, address: int) -> None:
        if isinstance(address, bool) or not isinstance(address, int):
            raise EncodeError(f"{self.name}: address must be an int, got {address!r}")
        if address not in self.address_range:
            raise EncodeError(
                f"{self.name}: address {address} outside "
                f"{self.address_range.start}..{self.address_range.stop - 1}"
            )

    def text_bytes(self, text: str) -> bytes:
        """Screen bytes of text in the dialect's character set (GBK unless overridden)."""
        return encode_gbk(text, self.params.on_unencodable)

    def decode_text(self, data: bytes, frame: bytes) -> str:
        try:
            return data.decode("gbk")
        except UnicodeDecodeError as exc:
            raise FrameError(f"{self.name}: text is not GBK ({exc.reason})", frame) from None

    @abc.abstractmethod
    def encode_text(self, address: int, text: str, blink: bool | int, kind: ScreenKind) -> bytes:
        """One frame showing text at address."""

    def encode_brightness(self, address: int, level: int) -> list[bytes]:
        """Frames setting brightness 0..3; none for dialects without the command."""
        return []

    # --- decoding -----------------------------------------------------------------------
    @abc.abstractmethod
    def decode(self, frame: bytes) -> DecodedFrame:
        """Parse one complete frame or raise FrameError saying what is wrong."""

    @abc.abstractmethod
    def frame_length(self, buf: bytes) -> int | None:
        """Length of the frame starting at buf[0]; None if more bytes are needed.

        Raises FrameError when buf[0] (or the header seen so far) cannot start a frame, so a
        stream reader can skip a byte and resynchronise.
        """

    # --- timing -------------------------------------------------------------------------
    def wire_seconds(self, frame: bytes, baud: int | None = None) -> float:
        """Time the frame occupies on an 8N1 line (10 bits a byte)."""
        return len(frame) * 10 / (baud or self.params.baud)

    def gap_after(self, frame: bytes, baud: int | None = None) -> float:
        """Minimum time from writing frame to writing the next one on the same bus."""
        return self.wire_seconds(frame, baud) + self.params.min_interval_s
