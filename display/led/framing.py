"""Split a byte stream from a screen bus into frames, resynchronising after noise.

The simulator (and any bus sniffer) reads arbitrary chunks; this keeps the partial tail,
hands complete frames to the codec, and on a bad header or a frame that fails to decode skips
one byte and tries again, so one corrupt byte costs at most the frame it hit.
"""

from __future__ import annotations

from dataclasses import dataclass

from display.led.codec import Codec
from display.led.errors import FrameError
from display.led.model import DecodedFrame


@dataclass(frozen=True)
class ReadResult:
    """One complete frame and what it decoded to, or the error that rejected it."""

    frame: bytes
    decoded: DecodedFrame | None
    error: FrameError | None = None


class FrameReader:
    """Feed bytes in, get ReadResults out; holds only the undecided tail of the stream."""

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self._buffer = bytearray()
        self.skipped_bytes = 0

    def feed(self, data: bytes) -> list[ReadResult]:
        self._buffer += data
        results: list[ReadResult] = []
        while self._buffer:
            try:
                length = self.codec.frame_length(bytes(self._buffer))
            except FrameError as exc:
                self._skip(results, exc)
                continue
            if length is None:
                if len(self._buffer) > self.codec.max_frame_len:
                    self._skip(results, FrameError(f"{self.codec.name}: no frame end in {len(self._buffer)} bytes"))
                    continue
                break
            if length > len(self._buffer):
                if self._resync_ahead():
                    continue
                break
            frame = bytes(self._buffer[:length])
            try:
                decoded = self.codec.decode(frame)
            except FrameError as exc:
                self._skip(results, exc)
                continue
            del self._buffer[:length]
            results.append(ReadResult(frame=frame, decoded=decoded))
        return results

    def _resync_ahead(self) -> bool:
        """While a claimed length is not yet complete, look for a whole valid frame further on.

        Noise that looks like a length-prefixed header would otherwise hold the stream until
        that many bytes arrive; a complete frame that decodes later in the buffer proves the
        header was noise, so the bytes before it are dropped.
        """
        data = bytes(self._buffer)
        for offset in range(1, len(data)):
            try:
                length = self.codec.frame_length(data[offset:])
                if length is None or offset + length > len(data):
                    continue
                self.codec.decode(data[offset : offset + length])
            except FrameError:
                continue
            self.skipped_bytes += offset
            del self._buffer[:offset]
            return True
        return False

    def _skip(self, results: list[ReadResult], error: FrameError) -> None:
        """Drop one byte; report the error once per run of garbage, not once per byte."""
        if not results or results[-1].error is None:
            results.append(ReadResult(frame=error.frame, decoded=None, error=error))
        del self._buffer[:1]
        self.skipped_bytes += 1

    @property
    def pending(self) -> int:
        """Bytes held waiting for the rest of a frame."""
        return len(self._buffer)
