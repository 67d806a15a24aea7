"""Error types of the LED screen package.

One base class so the hub can catch every screen problem in one place, and narrow subclasses
so tests and callers can tell a bad frame (simulator, decoder) from text we cannot put on a
screen (encoder) and from a bus that is gone (futures of show()).
"""

from __future__ import annotations


class LedError(Exception):
    """Base of every error raised by display.led."""


class FrameError(LedError, ValueError):
    """A byte string is not a valid frame of the dialect; says why and keeps the bytes."""

    def __init__(self, reason: str, frame: bytes = b"") -> None:
        self.reason = reason
        self.frame = bytes(frame)
        shown = self.frame[:48].hex(" ")
        more = " …" if len(self.frame) > 48 else ""
        super().__init__(f"{reason} (frame: {shown}{more})" if frame else reason)


class EncodeError(LedError, ValueError):
    """Text, address or setting cannot be expressed in the dialect."""


class ParamsError(LedError, ValueError):
    """Device configuration for a dialect is wrong: names the key and the reason."""


class BusClosedError(LedError, ConnectionError):
    """The screen bus closed, or its link dropped, before a frame was written."""


class BusOfflineError(BusClosedError):
    """show() was called while the bus had no open link; the content is kept for replay."""


class LineStalledError(BusClosedError):
    """The serial line stopped taking bytes (hung adapter, cable, flow control); the link is dropped."""


class PortInUseError(LedError, OSError):
    """Another process (a second hub) holds the serial port: both would write to the screens."""
