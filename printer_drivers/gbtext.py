"""Chinese text for a printer in Chinese mode (after ``FS &``).

We encode text ourselves instead of python-escpos' ``text()``, which sends ``ESC t`` code page
switches that garble a printer in Chinese mode. The rules, in one place so the renderer, the
reader and the tests agree on them:

* A character is printable when it is not a control/format/private-use/unassigned character,
  survives a GB18030 round trip, and encodes in one or two bytes (or four bytes when the profile
  says the printer carries a full GB18030 font). Anything else becomes ``?`` - one character
  for one character, so nothing shifts and nothing is silently dropped.
* A tab becomes a space. In single-line fields a line break becomes a space; multi-line fields
  (notice, header, footer) split on it.
* A character's width in columns equals its encoded length (ASCII 1, Chinese 2; four-byte 2),
  which is how the printer advances its head.
"""

from __future__ import annotations

import unicodedata

from printer_drivers.linebreak import break_lines

REPLACEMENT = "?"
_REJECTED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def printable(ch: str, four_byte: bool = False) -> bool:
    """Whether the printer prints ``ch`` as itself (the rules above); public so ``check-config``
    can warn of a name that would print as ``?`` before a citizen holds the ticket."""
    if unicodedata.category(ch) in _REJECTED_CATEGORIES:
        return False
    try:
        encoded = ch.encode("gb18030")
    except UnicodeEncodeError:
        return False
    if len(encoded) == 4 and not four_byte:
        return False
    return encoded.decode("gb18030") == ch


def sanitize(text: str, *, four_byte: bool = False) -> str:
    """Map ``text`` to what the printer will print, one character for one character.

    Line breaks are kept (``\\r\\n`` and ``\\r`` count as ``\\n``); callers decide whether a
    field may span lines.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif printable(ch, four_byte):
            out.append(ch)
        else:
            out.append(REPLACEMENT)
    return "".join(out)


def single_line(text: str, *, four_byte: bool = False) -> str:
    """Sanitize a field that must stay on one logical line (line breaks become spaces)."""
    return sanitize(text, four_byte=four_byte).replace("\n", " ")


def char_columns(ch: str) -> int:
    """Columns a sanitized character occupies at normal size."""
    return 1 if ord(ch) < 0x80 else 2


def text_columns(text: str) -> int:
    """Columns a sanitized string occupies at normal size."""
    return sum(char_columns(ch) for ch in text)


def wrap(text: str, columns: int) -> list[str]:
    """Break a sanitized single line into pieces of at most ``columns`` columns.

    Breaks between phrases by :func:`printer_drivers.linebreak.break_lines`, the kiosk screen's
    rule: breaking wherever a line was full printed 重|新排队 and 工作|人员 in the ticket's notice.
    Only a phrase wider than a whole line breaks between characters; a line never splits a
    double-width character, none begins with a closing mark nor ends with an opening one (避头尾).
    A list of windows (19、21、23) breaks after its 、, never inside a number. Returns at least one
    (possibly empty) line. Joining the result gives ``text`` back exactly.
    """
    if columns < 2:
        raise ValueError(f"columns must be >= 2, got {columns}")
    return break_lines(text, lambda line: text_columns(line) <= columns)


def encode(text: str) -> bytes:
    """GB18030 bytes of a sanitized string (no line breaks)."""
    return text.encode("gb18030")
