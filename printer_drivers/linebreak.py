"""Where Chinese text may break into lines: one rule for the paper ticket and the kiosk's screen.

Chinese has no spaces, so breaking wherever a line is full splits words (说|明, 工|作人员, 打印|机,
19-2|6号), which a citizen who reads slowly takes for nonsense. The rule here is about text only:
the width of a line is the caller's business, given as a ``fits`` predicate (printer cells for
the ticket, pixels of a font for the screen). It lives in ``printer_drivers`` because the kiosk
already depends on this package, while the printer must depend on nothing of the kiosk or hub.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

NO_LINE_START = frozenset("。，、；：？！）》」』】〉”’…—·.,;:?!)]}%")
"""Closing marks: a line beginning with one reads as a stray dot (。 alone under a notice)."""
NO_LINE_END = frozenset("（《「『【〈“‘([{")
"""Opening marks: a line ending with one is cut off from what it opens."""
BREAK_AFTER = frozenset("，。；：、！？）》」』】〉”’… ,;!?)]")
"""A line may end after these: Chinese has no spaces, so its punctuation marks the phrases.
ASCII ``.`` and ``:`` are left out: a line must not end inside 1.5 or 14:00."""


def attached_cut(chars: Sequence[str], cut: int, following: str) -> int:
    """Where to end a line that would end before ``chars[cut]`` (``following`` when ``cut`` is the
    end) so that the next line starts with no closing mark and this one ends with no opening
    mark (避头尾): earlier, moving the character before down with the mark; ``cut`` itself when
    only an empty line would do."""
    moved = cut
    while moved > 0 and ((chars[moved] if moved < len(chars) else following) in NO_LINE_START
                         or chars[moved - 1] in NO_LINE_END):
        moved -= 1
    return moved or cut


def _ideograph(ch: str) -> bool:
    """A Chinese character (not a mark): the side of a break into a number or Latin word."""
    return not ch.isascii() and unicodedata.category(ch) == "Lo"


def may_break(text: str, at: int) -> bool:
    """Whether a line may end before ``text[at]``: after a phrase's punctuation (、 too, so a
    list of windows 19、21、23 breaks between its numbers) or a space, before an opening mark,
    or where Chinese meets a number or Latin word (到|19-26号). Not after the number (19-26|号: a
    counter belongs to its number) nor inside a date (11月|26日), and never so that the next line
    starts with a closing mark or this one ends with an opening mark (避头尾)."""
    before, after = text[at - 1], text[at]
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    return before in BREAK_AFTER or after in NO_LINE_END or _into_latin(text, at)


def _into_latin(text: str, at: int) -> bool:
    """Chinese, then a number or Latin word, at ``at``; a lone character between two numbers
    (11月26日, 9时30分) binds them."""
    before, after = text[at - 1], text[at]
    between_numbers = at >= 2 and text[at - 2].isascii() and text[at - 2].isdigit()
    return _ideograph(before) and after.isascii() and after.isalnum() and not between_numbers


def break_lines(text: str, fits: Callable[[str], bool]) -> list[str]:
    """``text`` in lines that each ``fits``, broken only where :func:`may_break` allows, so that no
    word is split (工|作人员 read as nonsense to a citizen who reads slowly); a phrase wider than a
    whole line alone is broken between characters, still without a closing mark at a line start.
    Joining the lines gives ``text`` back exactly; an empty text is one empty line.

    ``fits`` must hold for every start of a line it holds for (a width measure does): each line's
    longest fitting start is found by doubling then halving, so a long text costs a few
    measurements a line rather than one per break point from the end of the text (which made a
    long notice quadratic: the rest of the text was measured again at every break)."""
    if len(text) <= 1 or fits(text):  # most texts (a label, a queue's name) are one line: one measurement
        return [text]
    lines: list[str] = []
    start = 0
    while len(text) - start > 1:  # a lone too-wide character stays
        limit = _longest_fit(text, start, fits)
        if limit == len(text):
            break
        end = _phrase_end(text, start, limit) or _character_end(text, start, limit)
        lines.append(text[start:end])
        start = end
    lines.append(text[start:])
    return lines


def _longest_fit(text: str, start: int, fits: Callable[[str], bool]) -> int:
    """The largest ``end`` with ``text[start:end]`` fitting (``start`` when not even one
    character does): lengths 1, 2, 4, … until one does not fit, then halving between the last two,
    so that only about twice the line is ever measured, never the rest of a long text."""
    fitting, step = start, 1
    while True:
        probe = min(start + step, len(text))
        if not fits(text[start:probe]):
            break
        fitting = probe
        if probe == len(text):
            return fitting
        step *= 2
    while probe - fitting > 1:
        middle = (fitting + probe) // 2
        if fits(text[start:middle]):
            fitting = middle
        else:
            probe = middle
    return fitting


def _phrase_end(text: str, start: int, limit: int) -> int | None:
    """The last allowed break after ``start`` that leaves a line which fits (ends at or before
    ``limit``); None if none does."""
    for end in range(min(limit, len(text) - 1), start, -1):
        if may_break(text, end):
            return end
    return None


def _character_end(text: str, start: int, limit: int) -> int:
    """Where to cut a phrase too wide for a line: after as many characters as fit (at least one),
    moved back so that the next line starts with no closing mark."""
    end = max(start + 1, limit)
    return start + attached_cut(text[start:end + 1], end - start, "")
