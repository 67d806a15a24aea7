"""The caller package's documented error types.

Why a hierarchy: the hub catches ``CallerError`` around device calls and reports a clear
message; decoders never raise at all (bad bytes are skipped and counted instead).
"""


class CallerError(Exception):
    """Base of every error the caller package raises on purpose."""


class InvalidPadValue(CallerError, ValueError):
    """A PadAction/PadDisplay field is out of range (rating 7, stars 9…)."""


class UnsupportedByDialect(CallerError, ValueError):
    """The dialect cannot express this action or display (e.g. a login on a 4-key pad)."""


class UnknownDialect(CallerError, LookupError):
    """No dialect of that name is registered, or a parameter is not one the dialect has."""


class BusClosedError(CallerError, ConnectionError):
    """The bus closed (or went offline) before a display was written and confirmed."""


class LineStalledError(BusClosedError):
    """The serial line stopped taking bytes (hung bus converter, cable, flow control); the bus is dropped."""


class DisplayNotConfirmed(CallerError, TimeoutError):
    """The pad did not acknowledge a display after all retries."""


class PortInUse(CallerError, OSError):
    """Another process (a second hub) holds the serial port: two readers would split the pads' bytes."""
