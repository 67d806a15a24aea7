"""An ESC/POS decoder for the commands HallQ sends, so tests can read a ticket like paper.

:func:`parse` turns bytes into :class:`Operation` records (offset, command, parameters);
:func:`to_document` plays them like a printer would and yields a :class:`PrintedDocument`:
text lines with the size, alignment and weight in effect, QR payloads, raster images, feeds and
cuts. :func:`read` does both.

It models the character-size rule that matters for Chinese tickets: ``GS !`` sizes both
single-byte and Chinese characters, ``ESC !`` only single-byte ones and ``FS !`` only Chinese
ones - so a ticket reset with ``ESC ! 0`` alone visibly keeps big Chinese text here too.

Anything it does not know raises :class:`EscposDecodeError` with the byte offset: a decoder that
skipped unknown bytes would let a stray command through the golden tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, CR = 0x0A, 0x0D

#: Single-byte code pages selected by ``ESC t n`` that the reader can decode.
CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 16: "cp1252", 17: "cp866", 19: "cp858"}
ALIGNMENTS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
#: ESC/FS/GS commands that take exactly one parameter byte and do not change the printed view.
_ONE_BYTE_SETTINGS = {
    (ESC, ord("-")): "underline",
    (ESC, ord("M")): "font",
    (ESC, ord("G")): "double_strike",
    (ESC, ord("{")): "upside_down",
    (ESC, ord("V")): "rotate",
    (ESC, ord(" ")): "right_spacing",
    (ESC, ord("R")): "international_set",
    (ESC, ord("3")): "line_spacing",
    (GS, ord("B")): "invert",
    (GS, ord("b")): "smoothing",
    (GS, ord("a")): "auto_status_back",
    (FS, ord("-")): "kanji_underline",
}


class EscposDecodeError(ValueError):
    """The bytes are not ESC/POS this reader understands; ``offset`` is where it stopped."""

    def __init__(self, offset: int, reason: str, data: bytes = b"") -> None:
        snippet = data[offset : offset + 8].hex(" ")
        super().__init__(f"at byte {offset}: {reason} (bytes: {snippet or 'end of data'})")
        self.offset = offset
        self.reason = reason


@dataclass(frozen=True)
class Operation:
    """One decoded command or run of text, with the offset of its first byte."""

    offset: int
    command: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """A run of characters printed with one size and weight."""

    text: str
    width: int
    height: int
    bold: bool


@dataclass(frozen=True)
class PrintedLine:
    """One printed text line. ``width``/``height`` are the largest multipliers on the line."""

    text: str
    width: int
    height: int
    align: str
    bold: bool
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class QrCode:
    payload: str
    payload_bytes: bytes
    module_size: int
    error_correction: str
    align: str


@dataclass(frozen=True)
class RasterImage:
    """A ``GS v 0`` image: ``width_bytes`` * 8 dots wide, one bit per dot, 1 = black."""

    width_bytes: int
    height: int
    density: int
    data: bytes
    align: str

    @property
    def width(self) -> int:
        return self.width_bytes * 8

    def dot(self, x: int, y: int) -> bool:
        byte = self.data[y * self.width_bytes + x // 8]
        return bool(byte & (0x80 >> (x % 8)))

    def rows(self) -> list[list[bool]]:
        return [[self.dot(x, y) for x in range(self.width)] for y in range(self.height)]


@dataclass(frozen=True)
class Feed:
    amount: int
    unit: str  # "lines" or "dots"


@dataclass(frozen=True)
class Cut:
    partial: bool
    feed_dots: int


Block = Union[PrintedLine, QrCode, RasterImage, Feed, Cut]


@dataclass(frozen=True)
class PrintedDocument:
    """What came out of the printer, in order."""

    blocks: tuple[Block, ...]
    status_requests: tuple[int, ...]

    @property
    def lines(self) -> list[PrintedLine]:
        return [b for b in self.blocks if isinstance(b, PrintedLine)]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def qr_codes(self) -> list[QrCode]:
        return [b for b in self.blocks if isinstance(b, QrCode)]

    @property
    def images(self) -> list[RasterImage]:
        return [b for b in self.blocks if isinstance(b, RasterImage)]

    @property
    def cuts(self) -> list[Cut]:
        return [b for b in self.blocks if isinstance(b, Cut)]

    def find_line(self, needle: str) -> PrintedLine:
        """The first line containing ``needle``; raises ``LookupError`` listing the lines."""
        for line in self.lines:
            if needle in line.text:
                return line
        raise LookupError(f"no printed line contains {needle!r}; lines: {self.text!r}")


class _Parser:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.chinese = False
        self.code_page = 0
        self.ops: list[Operation] = []

    def fail(self, offset: int, reason: str) -> EscposDecodeError:
        return EscposDecodeError(offset, reason, self.data)

    def take(self, start: int, count: int, what: str) -> bytes:
        end = self.pos + count
        if end > len(self.data):
            raise self.fail(start, f"truncated {what}: needs {count} more byte(s)")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def emit(self, offset: int, command: str, **params: Any) -> None:
        self.ops.append(Operation(offset, command, params))

    def run(self) -> list[Operation]:
        while self.pos < len(self.data):
            start = self.pos
            byte = self.data[start]
            if byte == ESC:
                self.pos += 1
                self.esc(start)
            elif byte == GS:
                self.pos += 1
                self.gs(start)
            elif byte == FS:
                self.pos += 1
                self.fs(start)
            elif byte == DLE:
                self.pos += 1
                self.dle(start)
            elif byte == LF:
                self.pos += 1
                self.emit(start, "newline")
            elif byte == CR:
                self.pos += 1
                self.emit(start, "carriage_return")
            elif byte < 0x20 or byte == 0x7F:
                raise self.fail(start, f"unknown control byte 0x{byte:02x}")
            else:
                self.text(start)
        return self.ops

    def text(self, start: int) -> None:
        """A run of printable bytes up to the next control byte."""
        end = start
        while end < len(self.data) and self.data[end] >= 0x20 and self.data[end] != 0x7F:
            end += 1
        raw = self.data[start:end]
        if self.chinese:
            chars = self.decode_gb18030(start, raw)
        else:
            encoding = CODE_PAGES.get(self.code_page)
            chars = [
                chr(b) if b < 0x80 else (bytes([b]).decode(encoding) if encoding else "\ufffd")
                for b in raw
            ]
        self.pos = end
        wide = [self.chinese and ord(c) >= 0x80 for c in chars]
        self.emit(start, "text", text="".join(chars), raw=raw, double_byte=wide)

    def decode_gb18030(self, start: int, raw: bytes) -> list[str]:
        chars: list[str] = []
        i = 0
        while i < len(raw):
            b = raw[i]
            if b < 0x80:
                chars.append(chr(b))
                i += 1
                continue
            if not 0x81 <= b <= 0xFE:
                raise self.fail(start + i, f"byte 0x{b:02x} cannot start a GB18030 character")
            length = 4 if i + 1 < len(raw) and 0x30 <= raw[i + 1] <= 0x39 else 2
            chunk = raw[i : i + length]
            if len(chunk) < length:
                raise self.fail(start + i, "GB18030 character cut short")
            try:
                chars.append(chunk.decode("gb18030"))
            except UnicodeDecodeError as exc:
                raise self.fail(start + i, f"invalid GB18030 sequence: {exc.reason}") from exc
            i += length
        return chars

    def esc(self, start: int) -> None:
        cmd = self.take(start, 1, "ESC command")[0]
        if cmd == ord("@"):
            self.chinese = False
            self.code_page = 0
            self.emit(start, "init")
        elif cmd == ord("t"):
            self.code_page = self.take(start, 1, "ESC t")[0]
            self.emit(start, "code_page", table=self.code_page)
        elif cmd == ord("a"):
            n = self.take(start, 1, "ESC a")[0]
            if n not in ALIGNMENTS:
                raise self.fail(start, f"bad alignment {n}")
            self.emit(start, "align", align=ALIGNMENTS[n])
        elif cmd == ord("E"):
            self.emit(start, "bold", on=bool(self.take(start, 1, "ESC E")[0] & 1))
        elif cmd == ord("!"):
            n = self.take(start, 1, "ESC !")[0]
            self.emit(start, "print_mode", bold=bool(n & 0x08), width=2 if n & 0x20 else 1,
                      height=2 if n & 0x10 else 1)
        elif cmd == ord("d"):
            self.emit(start, "feed", amount=self.take(start, 1, "ESC d")[0], unit="lines")
        elif cmd == ord("J"):
            self.emit(start, "feed", amount=self.take(start, 1, "ESC J")[0], unit="dots")
        elif cmd == ord("2"):
            self.emit(start, "line_spacing_default")
        elif cmd == ord("p"):
            pin, on, off = self.take(start, 3, "ESC p")
            self.emit(start, "drawer_kick", pin=pin, on=on, off=off)
        elif (ESC, cmd) in _ONE_BYTE_SETTINGS:
            value = self.take(start, 1, "ESC setting")[0]
            self.emit(start, _ONE_BYTE_SETTINGS[(ESC, cmd)], value=value)
        else:
            raise self.fail(start, f"unknown command ESC 0x{cmd:02x}")

    def gs(self, start: int) -> None:
        cmd = self.take(start, 1, "GS command")[0]
        if cmd == ord("!"):
            n = self.take(start, 1, "GS !")[0]
            self.emit(start, "size", width=(n >> 4) + 1, height=(n & 0x0F) + 1)
        elif cmd == ord("V"):
            self.cut(start)
        elif cmd == ord("v"):
            self.raster(start)
        elif cmd == ord("("):
            self.gs_paren(start)
        elif (GS, cmd) in _ONE_BYTE_SETTINGS:
            value = self.take(start, 1, "GS setting")[0]
            self.emit(start, _ONE_BYTE_SETTINGS[(GS, cmd)], value=value)
        else:
            raise self.fail(start, f"unknown command GS 0x{cmd:02x}")

    def cut(self, start: int) -> None:
        m = self.take(start, 1, "GS V")[0]
        if m in (0, 48, 1, 49):
            self.emit(start, "cut", partial=m in (1, 49), feed_dots=0)
        elif m in (65, 66):
            n = self.take(start, 1, "GS V m n")[0]
            self.emit(start, "cut", partial=m == 66, feed_dots=n)
        else:
            raise self.fail(start, f"unknown cut mode {m}")

    def raster(self, start: int) -> None:
        if self.take(start, 1, "GS v")[0] != ord("0"):
            raise self.fail(start, "only GS v 0 raster images are known")
        m, xl, xh, yl, yh = self.take(start, 5, "GS v 0 header")
        if m not in (0, 1, 2, 3, 48, 49, 50, 51):
            raise self.fail(start, f"bad raster density {m}")
        width_bytes, height = xl + 256 * xh, yl + 256 * yh
        data = self.take(start, width_bytes * height, "GS v 0 image data")
        self.emit(start, "raster", width_bytes=width_bytes, height=height, density=m & 3,
                  data=data)

    def gs_paren(self, start: int) -> None:
        fn_letter = self.take(start, 1, "GS (")[0]
        pl, ph = self.take(start, 2, "GS ( length")
        body = self.take(start, pl + 256 * ph, "GS ( parameters")
        if fn_letter != ord("k") or len(body) < 2 or body[0] != 0x31:
            raise self.fail(start, f"unknown GS ( {chr(fn_letter)!r} function (only QR GS ( k)")
        fn, args = body[1], body[2:]
        if fn == 65 and len(args) == 2:
            self.emit(start, "qr_model", model=args[0] - 48)
        elif fn == 67 and len(args) == 1:
            self.emit(start, "qr_module_size", size=args[0])
        elif fn == 69 and len(args) == 1:
            self.emit(start, "qr_error_correction", level="LMQH"[(args[0] - 48) % 4])
        elif fn == 80 and args[:1] == b"0":
            self.emit(start, "qr_store", payload=bytes(args[1:]))
        elif fn == 81 and args == b"0":
            self.emit(start, "qr_print")
        else:
            raise self.fail(start, f"unknown QR function {fn} with {len(args)} parameter byte(s)")

    def fs(self, start: int) -> None:
        cmd = self.take(start, 1, "FS command")[0]
        if cmd == ord("&"):
            self.chinese = True
            self.emit(start, "chinese_mode", on=True)
        elif cmd == ord("."):
            self.chinese = False
            self.emit(start, "chinese_mode", on=False)
        elif cmd == ord("!"):
            n = self.take(start, 1, "FS !")[0]
            self.emit(start, "kanji_mode", width=2 if n & 0x04 else 1, height=2 if n & 0x08 else 1)
        elif (FS, cmd) in _ONE_BYTE_SETTINGS:
            value = self.take(start, 1, "FS setting")[0]
            self.emit(start, _ONE_BYTE_SETTINGS[(FS, cmd)], value=value)
        else:
            raise self.fail(start, f"unknown command FS 0x{cmd:02x}")

    def dle(self, start: int) -> None:
        cmd, n = self.take(start, 2, "DLE command")
        if cmd != 0x04 or n not in (1, 2, 3, 4):
            raise self.fail(start, f"unknown command DLE 0x{cmd:02x} 0x{n:02x}")
        self.emit(start, "status_request", n=n)


def parse(data: bytes) -> list[Operation]:
    """Decode ``data`` into operations. Raises :class:`EscposDecodeError`."""
    return _Parser(bytes(data)).run()


@dataclass
class _State:
    ank_size: tuple[int, int] = (1, 1)
    kanji_size: tuple[int, int] = (1, 1)
    bold: bool = False
    align: str = "left"
    qr_size: int = 3
    qr_ec: str = "L"
    qr_payload: bytes | None = None


class _Player:
    """Plays operations like a printer: a line buffer, the modes in effect, the output."""

    def __init__(self) -> None:
        self.state = _State()
        self.blocks: list[Block] = []
        self.status: list[int] = []
        self.spans: list[Span] = []
        self.line_align: str | None = None

    def add_text(self, text: str, wide: list[bool]) -> None:
        if self.line_align is None:
            self.line_align = self.state.align
        for ch, is_wide in zip(text, wide):
            w, h = self.state.kanji_size if is_wide else self.state.ank_size
            last = self.spans[-1] if self.spans else None
            if last and (last.width, last.height, last.bold) == (w, h, self.state.bold):
                self.spans[-1] = Span(last.text + ch, w, h, last.bold)
            else:
                self.spans.append(Span(ch, w, h, self.state.bold))

    def flush_line(self, always: bool) -> None:
        if not self.spans and not always:
            return
        w, h = self.state.ank_size
        spans = tuple(self.spans)
        self.blocks.append(
            PrintedLine(
                text="".join(s.text for s in spans),
                width=max((s.width for s in spans), default=w),
                height=max((s.height for s in spans), default=h),
                align=self.line_align or self.state.align,
                bold=any(s.bold for s in spans) if spans else self.state.bold,
                spans=spans,
            )
        )
        self.spans = []
        self.line_align = None

    def play(self, op: Operation) -> None:
        s, p = self.state, op.params
        c = op.command
        if c == "text":
            self.add_text(p["text"], p["double_byte"])
        elif c == "newline":
            self.flush_line(always=True)
        elif c == "init":
            self.flush_line(always=False)
            self.state = _State()
        elif c == "align":
            s.align = p["align"]
        elif c == "bold":
            s.bold = p["on"]
        elif c == "size":
            s.ank_size = s.kanji_size = (p["width"], p["height"])
        elif c == "print_mode":
            s.ank_size, s.bold = (p["width"], p["height"]), p["bold"]
        elif c == "kanji_mode":
            s.kanji_size = (p["width"], p["height"])
        elif c == "feed":
            self.flush_line(always=False)
            self.blocks.append(Feed(p["amount"], p["unit"]))
        elif c == "cut":
            self.flush_line(always=False)
            self.blocks.append(Cut(p["partial"], p["feed_dots"]))
        elif c == "raster":
            self.flush_line(always=False)
            self.blocks.append(
                RasterImage(p["width_bytes"], p["height"], p["density"], p["data"], s.align)
            )
        elif c == "qr_module_size":
            s.qr_size = p["size"]
        elif c == "qr_error_correction":
            s.qr_ec = p["level"]
        elif c == "qr_store":
            s.qr_payload = p["payload"]
        elif c == "qr_print":
            if s.qr_payload is None:
                raise EscposDecodeError(op.offset, "QR print without stored data")
            self.flush_line(always=False)
            payload = s.qr_payload.decode("utf-8", errors="replace")
            self.blocks.append(QrCode(payload, s.qr_payload, s.qr_size, s.qr_ec, s.align))
        elif c == "status_request":
            self.status.append(p["n"])
        # chinese_mode, code_page and the pure settings do not change the printed view.


def to_document(operations: list[Operation]) -> PrintedDocument:
    """Play ``operations`` into the printed view. Unterminated text at the end is kept as a line
    (a printer would print it on the next LF, so tests can still see it)."""
    player = _Player()
    for op in operations:
        player.play(op)
    player.flush_line(always=False)
    return PrintedDocument(tuple(player.blocks), tuple(player.status))


def read(data: bytes) -> PrintedDocument:
    """Decode ``data`` into the printed view. Raises :class:`EscposDecodeError`."""
    return to_document(parse(data))
