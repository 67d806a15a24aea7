"""Dialect "qsystem-ub485": QSystem's UB485 four-key pads (push, no check, no acknowledgement).

Frame ``01 ADDR DATA… 07``, ADDR 0x20–0x7F, DATA bytes 0x20–0x7E. A key frame carries one byte
0x31..0x34; what the key means depends on the window's state (call or recall, no-show or finish),
so the table below reports the key's semantic and the hub resolves it.

A display frame is ``01 ADDR MODE TEXT… 07``: MODE is the blink byte the candle boards use too
(0x20 steady, 0x21 blinking), as QSystem's own UB485 driver sends it: blinking while a number is
called, steady once its citizen is served. Without it the pad took the ticket's first character
for its blink mode. ``blink_byte = false`` is for pads that take the text alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from caller.actions import ActionKind, DisplayKind, PadAction, PadDisplay, PadKeyEvent
from caller.dialects.base import DelimitedDecoder, Frame, Mode, check_address, printable_ascii
from caller.errors import UnsupportedByDialect

START = 0x01
END = 0x07
STEADY, BLINKING = 0x20, 0x21

#: key byte -> (key name, semantic); the hub resolves the two state-dependent semantics.
DEFAULT_KEYS: dict[int, tuple[str, ActionKind]] = {
    0x31: ("key1", ActionKind.CALL_OR_RECALL),
    0x32: ("key2", ActionKind.START),
    0x33: ("key3", ActionKind.TRANSFER_PRESET),
    0x34: ("key4", ActionKind.NO_SHOW_OR_FINISH),
}

#: What a pad-side encoder sends for the precise kinds a hub-side test may script.
_KIND_ALIASES: dict[ActionKind, ActionKind] = {
    ActionKind.CALL_NEXT: ActionKind.CALL_OR_RECALL,
    ActionKind.RECALL: ActionKind.CALL_OR_RECALL,
    ActionKind.NO_SHOW: ActionKind.NO_SHOW_OR_FINISH,
    ActionKind.FINISH: ActionKind.NO_SHOW_OR_FINISH,
}


@dataclass(frozen=True)
class UB485Params:
    """Technician-tunable details (device configuration ``dialect_params``).

    width: characters of the pad's display; texts are cut/padded to it (0 = send as is).
    blink_byte: display frames start with the blink-mode byte (QSystem's driver sends one; a
    called number blinks); False for pads whose display frame is the text alone.
    """

    width: int = 4
    blink_byte: bool = True
    keys: dict[int, tuple[str, ActionKind]] = field(default_factory=lambda: dict(DEFAULT_KEYS))


class QSystemUB485:
    """Codec and table for UB485 pads; stateless, so one instance may serve many buses."""

    name: ClassVar[str] = "qsystem-ub485"
    mode: ClassVar[Mode] = "push"
    address_range: ClassVar[tuple[int, int]] = (0x20, 0x7F)
    Params: ClassVar[type[UB485Params]] = UB485Params

    def __init__(self, params: UB485Params | None = None) -> None:
        self.params = params or UB485Params()
        self._by_kind = {kind: (byte, name) for byte, (name, kind) in self.params.keys.items()}

    @property
    def display_width(self) -> int | None:
        """What ``_fit`` cuts texts to (0 = sent as is)."""
        return self.params.width or None

    # hub side -----------------------------------------------------------------------------
    def new_decoder(self) -> DelimitedDecoder:
        return DelimitedDecoder(START, END, max_len=3 + 64, parse=self._parse)

    def _parse(self, raw: bytes) -> Frame | None:
        if len(raw) < 3 or not 0x20 <= raw[1] <= 0x7F:
            return None
        data = raw[2:-1]
        if any(not 0x20 <= b <= 0x7E for b in data):
            return None
        return Frame(address=raw[1], kind=data[0] if data else 0, data=data, raw=raw)

    def decode_frame(self, frame: Frame) -> PadKeyEvent | None:
        if len(frame.data) != 1 or frame.data[0] not in self.params.keys:
            return None
        key, kind = self.params.keys[frame.data[0]]
        return PadKeyEvent(frame.address, PadAction.simple(kind, key=key), frame.raw)

    def encode_display(self, address: int, display: PadDisplay, seq: int = 0) -> bytes:
        check_address(self, address)
        mode = bytes([BLINKING if display.blink else STEADY]) if self.params.blink_byte else b""
        return bytes([START, address]) + mode + self._fit(self._text_for(display)) + bytes([END])

    def encode_poll(self, address: int) -> bytes:
        raise UnsupportedByDialect(f"{self.name} is a push dialect: pads are never polled")

    def needs_confirmation(self, display: PadDisplay) -> bool:
        return False

    def confirms(self, frame: Frame, address: int, display: PadDisplay, seq: int) -> bool | None:
        return None

    def reply_to(self, frame: Frame) -> bytes | None:
        return None

    def poll_reply_address(self, frame: Frame) -> int | None:
        return None

    def pending_request(self, frame: Frame) -> tuple[str, ...] | None:
        return None

    def _text_for(self, display: PadDisplay) -> str:
        """The pad has a few 7-segment-like characters: map each display to the closest text."""
        match display.kind:
            case DisplayKind.SHOW:
                return display.number or display.text
            case DisplayKind.WAITING:
                return str(display.waiting)
            case DisplayKind.ACK:
                return "OK" if display.ok else f"E{display.error_code}"
            case DisplayKind.LOGIN_STATE:
                return "ON" if display.logged_in else "OFF"
            case DisplayKind.STARS:
                return "*" * display.stars
            case _:
                return ""

    def _fit(self, text: str) -> bytes:
        data = printable_ascii(text)
        width = self.params.width
        return data[:width].ljust(width) if width else data

    # pad side -----------------------------------------------------------------------------
    def encode_action(self, address: int, action: PadAction, seq: int = 0) -> bytes:
        check_address(self, address)
        kind = _KIND_ALIASES.get(action.kind, action.kind)
        if kind not in self._by_kind:
            raise UnsupportedByDialect(f"{self.name} pads have no key for {action.kind.value}")
        return bytes([START, address, self._by_kind[kind][0], END])

    def decode_display(self, frame: Frame) -> PadDisplay | None:
        data, blink = frame.data, False
        if self.params.blink_byte and data:
            data, blink = data[1:], data[0] != STEADY
        text = data.decode("ascii").strip()
        return PadDisplay.show(text, blink=blink) if text else PadDisplay.clear()

    def is_poll(self, frame: Frame) -> bool:
        return False

    def pad_reply(self, frame: Frame) -> bytes | None:
        return None

    def encode_status(
        self, address: int, pending: PadAction | None, shown_number: str, logged_in: bool, paused: bool = False
    ) -> bytes:
        raise UnsupportedByDialect(f"{self.name} pads push keys; they have no status reply")


DIALECT = QSystemUB485
