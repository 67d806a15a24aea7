"""Turn a call into what the citizen should hear, in Chinese words rather than digits.

espeak-ng reads ASCII digits with its own number rules, which for ticket numbers is wrong:
``A001`` must be heard as "A 零零一" (digit by digit, as printed on the ticket) while window 12
must be heard as "十二号窗口" (a cardinal). So every digit is written out here, and espeak only
gets Chinese characters and the ticket's Latin prefix letters (which its ``cmn`` voice reads as
English letter names, the way people in the hall say them).

Default template: ``请 {number}号 到 {window} 办理`` → ``请 A零零一号 到 三号窗口 办理``.
The spaces give espeak short pauses between the parts.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass

DIGIT_WORDS = "零一二三四五六七八九"
ONE_VARIANTS = ("一", "幺")
"""How the digit 1 may be read in ticket numbers: 一 (default) or 幺 (radio style, clearer)."""

PLACEHOLDERS = frozenset({"number", "window", "zone"})
DEFAULT_TEMPLATE = "请 {number}号 到 {window} 办理"

_TICKET_RE = re.compile(r"([A-Za-z]{0,3})([0-9]+)")
_DIGIT_RUN_RE = re.compile(r"\d+")
_SPACES_RE = re.compile(r"\s+")
_SMALL_UNITS = ("", "十", "百", "千")
_LARGE_UNITS = ("", "万", "亿")
_MAX_CARDINAL = 10**12 - 1


class VoiceTextError(ValueError):
    """A call cannot be turned into speech text (bad ticket number, template or option)."""


def read_digits(digits: str, one: str = "一") -> str:
    """Read a string of ASCII digits one by one: ``"001"`` → ``"零零一"``."""
    if one not in ONE_VARIANTS:
        raise VoiceTextError(f"'one' must be one of {ONE_VARIANTS}, got {one!r}")
    if not digits.isascii() or not digits.isdigit():
        raise VoiceTextError(f"expected ASCII digits, got {digits!r}")
    words = DIGIT_WORDS.replace("一", one)
    return "".join(words[int(d)] for d in digits)


def digits_from_reading(reading: str) -> str:
    """Inverse of :func:`read_digits` (accepts 一 or 幺 for 1)."""
    out = []
    for ch in reading:
        if ch == "幺":
            out.append("1")
        elif ch in DIGIT_WORDS:
            out.append(str(DIGIT_WORDS.index(ch)))
        else:
            raise VoiceTextError(f"{ch!r} is not a digit word in {reading!r}")
    return "".join(out)


def _read_below_10000(n: int) -> str:
    """0 < n < 10000, with inner zeros read as a single 零 (1001 → 一千零一)."""
    parts: list[str] = []
    pending_zero = False
    for power in (3, 2, 1, 0):
        digit = (n // 10**power) % 10
        if digit == 0:
            if parts:
                pending_zero = True
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        parts.append(DIGIT_WORDS[digit] + _SMALL_UNITS[power])
    return "".join(parts)


def read_cardinal(n: int) -> str:
    """Read a non-negative integer as a Chinese cardinal: 12 → 十二, 20 → 二十, 101 → 一百零一."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise VoiceTextError(f"expected an integer, got {n!r}")
    if n < 0 or n > _MAX_CARDINAL:
        raise VoiceTextError(f"number out of range 0..{_MAX_CARDINAL}: {n}")
    if n == 0:
        return "零"
    groups = []
    rest = n
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    parts: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        higher_written = bool(parts)
        if higher_written and (group < 1000 or groups[index + 1] == 0):
            parts.append("零")
        parts.append(_read_below_10000(group) + _LARGE_UNITS[index])
    text = "".join(parts)
    # 10..19 at the start are said 十, 十一 … rather than 一十, 一十一.
    if text.startswith("一十"):
        text = text[1:]
    return text


def cardinal_from_reading(reading: str) -> int:
    """Inverse of :func:`read_cardinal` for its own output (used to prove the reading is exact)."""
    if not reading:
        raise VoiceTextError("empty reading")
    total = 0
    section = 0
    digit: int | None = None
    for ch in reading:
        if ch in DIGIT_WORDS:
            digit = DIGIT_WORDS.index(ch)
        elif ch in "十百千":
            factor = 10 ** ("十百千".index(ch) + 1)
            section += (1 if digit is None else digit) * factor
            digit = None
        elif ch in "万亿":
            factor = 10 ** (4 * ("万亿".index(ch) + 1))
            section += digit or 0
            total = (total + section) * factor if ch == "亿" else total + section * factor
            section, digit = 0, None
        else:
            raise VoiceTextError(f"{ch!r} is not a number word in {reading!r}")
    return total + section + (digit or 0)


def spoken_numbers(text: str) -> str:
    """Replace every run of decimal digits (any script, full-width too) by its Chinese cardinal.

    Used for window names and zone names, where "不动产登记12号窗口" means window twelve.
    """

    def cardinal(match: re.Match[str]) -> str:
        run = match.group(0)
        value = int(run)
        if value > _MAX_CARDINAL:
            return "".join(DIGIT_WORDS[unicodedata.digit(d)] for d in run)
        return read_cardinal(value)

    return _DIGIT_RUN_RE.sub(cardinal, text)


@dataclass(frozen=True)
class TicketReading:
    """A ticket number split into what is spoken as letters and what is spoken as digits."""

    prefix: str
    digits: str
    spoken: str


def read_ticket_number(number: str, one: str = "一") -> TicketReading:
    """``"A001"`` → prefix ``A``, spoken ``A零零一``. Up to three Latin letters, then digits."""
    match = _TICKET_RE.fullmatch(number.strip())
    if match is None:
        raise VoiceTextError(
            f"ticket number {number!r} is not letters followed by digits (e.g. A001)"
        )
    prefix = match.group(1).upper()
    digits = match.group(2)
    return TicketReading(prefix=prefix, digits=digits, spoken=prefix + read_digits(digits, one))


def spoken_window(window: int | str) -> str:
    """Window 3 → ``三号窗口``; a named window keeps its name with numbers read as cardinals."""
    if isinstance(window, bool):
        raise VoiceTextError(f"window must be a number or a name, got {window!r}")
    if isinstance(window, int):
        return read_cardinal(window) + "号窗口"
    name = window.strip()
    if not name:
        raise VoiceTextError("window name is empty")
    if name.isdecimal():
        return read_cardinal(int(name)) + "号窗口"
    return spoken_numbers(name)


@dataclass(frozen=True)
class SpeechRules:
    """How a hall words its calls. ``template`` uses ``{number}``, ``{window}``, ``{zone}``."""

    template: str = DEFAULT_TEMPLATE
    one: str = "一"

    def __post_init__(self) -> None:
        if self.one not in ONE_VARIANTS:
            raise VoiceTextError(f"'one' must be one of {ONE_VARIANTS}, got {self.one!r}")
        try:
            fields = {
                name for _, name, _, _ in string.Formatter().parse(self.template) if name is not None
            }
        except ValueError as exc:
            raise VoiceTextError(f"template {self.template!r} is malformed: {exc}") from exc
        unknown = fields - PLACEHOLDERS
        if unknown:
            raise VoiceTextError(
                f"template {self.template!r} has unknown placeholders {sorted(unknown)}; "
                f"allowed: {sorted(PLACEHOLDERS)}"
            )
        if "number" not in fields:
            raise VoiceTextError(f"template {self.template!r} must contain {{number}}")


def announcement_text(
    number: str, window: int | str, zone: str = "", rules: SpeechRules = SpeechRules()
) -> str:
    """The words to synthesize for one call; contains no digits of any script."""
    ticket = read_ticket_number(number, rules.one)
    filled = rules.template.format(
        number=ticket.spoken,
        window=spoken_window(window),
        zone=spoken_numbers(zone),
    )
    # Digits typed into the template itself (e.g. "请到2楼") are cardinals too.
    return _SPACES_RE.sub(" ", spoken_numbers(filled)).strip()
