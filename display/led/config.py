"""Configuration of one screen bus, next to the code that uses it.

Keys: url (pyserial URL), dialect, baud (default: the dialect's), params (dialect parameter
overrides), screens (address -> "window" | "zone"). Errors name the source, the key and the
reason; unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from display.led.codec import Codec
from display.led.dialects import make_codec
from display.led.errors import ParamsError
from display.led.model import ScreenKind

KEYS = ("url", "dialect", "baud", "params", "screens")


@dataclass(frozen=True)
class ScreenBusConfig:
    url: str
    codec: Codec
    baud: int
    screens: dict[int, ScreenKind]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "screen bus") -> "ScreenBusConfig":
        unknown = sorted(set(data) - set(KEYS))
        if unknown:
            raise ParamsError(f"{source}: unknown key(s) {unknown}; known: {list(KEYS)}")
        for key in ("url", "dialect"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise ParamsError(f"{source}: {key} is required and must be a string")
        params = data.get("params", {})
        if not isinstance(params, Mapping):
            raise ParamsError(f"{source}: params must be a table")
        codec = make_codec(data["dialect"], params, source=f"{source}: params")
        baud = data.get("baud", codec.params.baud)
        if isinstance(baud, bool) or not isinstance(baud, int) or baud <= 0:
            raise ParamsError(f"{source}: baud must be a positive integer, got {baud!r}")
        return cls(url=data["url"], codec=codec, baud=baud, screens=_screens(data.get("screens", {}), codec, source))


def _screens(raw: Any, codec: Codec, source: str) -> dict[int, ScreenKind]:
    if not isinstance(raw, Mapping):
        raise ParamsError(f"{source}: screens must be a table of address = \"window\" | \"zone\"")
    screens: dict[int, ScreenKind] = {}
    for key, value in raw.items():
        try:
            address = int(key, 0) if isinstance(key, str) else int(key)
        except ValueError:
            raise ParamsError(f"{source}: screens: address {key!r} is not a number") from None
        if address not in codec.address_range:
            raise ParamsError(f"{source}: screens: address {key!r} outside the {codec.name} range")
        try:
            screens[address] = ScreenKind(value)
        except ValueError:
            raise ParamsError(f"{source}: screens.{key}: expected \"window\" or \"zone\", got {value!r}") from None
    return screens
