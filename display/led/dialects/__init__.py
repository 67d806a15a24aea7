"""The dialect table: name -> codec class. Adding a vendor is one module and one line here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from display.led.codec import Codec
from display.led.dialects.candle import CandleCodec
from display.led.dialects.pingan import PinganCodec
from display.led.dialects.ruize import RuizeCodec
from display.led.dialects.yinda import YindaCodec
from display.led.dialects.yongtai import YongtaiCodec
from display.led.dialects.zhongyi import ZhongyiCodec
from display.led.errors import ParamsError

DIALECTS: Mapping[str, type[Codec]] = MappingProxyType(
    {
        codec.name: codec
        for codec in (CandleCodec, PinganCodec, RuizeCodec, ZhongyiCodec, YindaCodec, YongtaiCodec)
    }
)


def make_codec(dialect: str, params: Mapping[str, Any] | None = None, *, source: str = "params") -> Codec:
    """A codec for a dialect name with config overrides; errors name the source and the key."""
    try:
        codec_type = DIALECTS[dialect]
    except KeyError:
        raise ParamsError(f"{source}: unknown dialect {dialect!r}; known: {sorted(DIALECTS)}") from None
    return codec_type.from_config(params or {}, source=source)
