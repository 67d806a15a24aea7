"""LED window and zone screens: dialect codecs, screen bus driver, supervisor and simulator.

A library the hub uses: imports pyserial (via pyserial-asyncio-fast) and caller.serial_line (the shared send deadline) only, nothing of the hub.
"""

from display.led.bus import BusStats, ScreenBus
from display.led.codec import Codec
from display.led.dialects import DIALECTS, make_codec
from display.led.errors import (
    BusClosedError, BusOfflineError, EncodeError, FrameError, LedError, LineStalledError, ParamsError,
    PortInUseError,
)
from display.led.model import Command, DecodedFrame, ScreenKind, ScreenText

__all__ = [
    "DIALECTS",
    "BusClosedError",
    "BusOfflineError",
    "BusStats",
    "Codec",
    "Command",
    "DecodedFrame",
    "EncodeError",
    "FrameError",
    "LedError",
    "LineStalledError",
    "ParamsError",
    "PortInUseError",
    "ScreenBus",
    "ScreenKind",
    "ScreenText",
    "make_codec",
]
