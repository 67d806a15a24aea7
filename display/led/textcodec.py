"""Text to screen bytes: GBK with the rules every dialect shares, and display-cell widths.

Screens take GBK (or ASCII); control characters would collide with frame delimiters of some
dialects (00, 07, 1A), so they are refused here once for all codecs.
"""

from __future__ import annotations

from collections.abc import Iterator

from display.led.errors import EncodeError

REPLACEMENT = "?"
UNENCODABLE_POLICIES = ("error", "replace")


def _check_printable(text: str) -> None:
    for index, char in enumerate(text):
        if ord(char) < 0x20 or ord(char) == 0x7F:
            raise EncodeError(
                f"control character U+{ord(char):04X} at position {index} of {text!r}: "
                "screens show printable text only"
            )


def encode_gbk(text: str, on_unencodable: str = "error") -> bytes:
    """GBK bytes of printable text; unencodable characters raise or become '?' per policy."""
    _check_printable(text)
    try:
        return text.encode("gbk")
    except UnicodeEncodeError as exc:
        if on_unencodable != "replace":
            bad = text[exc.start : exc.end]
            raise EncodeError(
                f"{bad!r} (U+{ord(bad[0]):04X}) in {text!r} has no GBK code; set "
                "on_unencodable = \"replace\" in the screen params to show '?' instead"
            ) from exc
        return gbk_showable(text).encode("gbk")


def gbk_showable(text: str) -> str:
    """``text`` with each character that has no GBK code, or is a control character, as '?': for
    free text a module must show whatever the bus's policy (a clerk's or a unit's name), where a
    refusal would leave the module showing its previous text, the last called ticket."""
    return "".join(_gbk_or_replacement(char) for char in text)


def _gbk_or_replacement(char: str) -> str:
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return REPLACEMENT
    try:
        char.encode("gbk")
    except UnicodeEncodeError:
        return REPLACEMENT
    return char


def gbk_char_spans(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each GBK character in data: a lead byte 0x81-0xFE takes two bytes."""
    index = 0
    while index < len(data):
        width = 2 if 0x81 <= data[index] <= 0xFE else 1
        yield index, min(index + width, len(data))
        index += width


def cell_width(char: str) -> int:
    """Display cells of one character: the bytes the screen receives for it. A module draws a GBK
    double-byte code from its 16-dot font and a single byte from the 8-dot one, so width follows
    the GBK code, not Unicode's East Asian width: that calls · — … “ ” ① ℃ "ambiguous" (one cell),
    yet each is two bytes in GBK and a full 16-dot glyph on the module (the · of a Uyghur name such
    as 阿依古丽·买买提 would push a cut line one cell over). A character with no GBK code goes out as
    '?' under on_unencodable = "replace": one cell."""
    try:
        return len(char.encode("gbk"))
    except UnicodeEncodeError:
        return len(REPLACEMENT)


def display_width(text: str) -> int:
    """Display cells of a string."""
    return sum(cell_width(char) for char in text)


def fit_cells(text: str, columns: int) -> str:
    """Longest prefix of text that fits in columns cells, never splitting a wide character."""
    used = 0
    for index, char in enumerate(text):
        used += cell_width(char)
        if used > columns:
            return text[:index]
    return text
