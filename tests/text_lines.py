"""What a reader sees in wrapped lines, for the tests of the paper ticket and the kiosk's screens
(one break rule serves both, so both are checked the same way)."""
from __future__ import annotations

from collections.abc import Iterable


def split_words(lines: list[str], words: Iterable[str]) -> list[str]:
    """The ``words`` that a boundary between ``lines`` falls inside (说|明, 19-2|6号)."""
    text = "".join(lines)
    boundaries = {sum(map(len, lines[:i])) for i in range(1, len(lines))}
    return [word for word in words for start in range(len(text)) if text.startswith(word, start)
            and any(start < b < start + len(word) for b in boundaries)]


def consecutive_lines(texts: list[str], whole: str) -> list[str]:
    """The consecutive lines of ``texts`` that make up ``whole``: how it was wrapped."""
    for start in range(len(texts)):
        for end in range(start + 1, len(texts) + 1):
            if "".join(texts[start:end]) == whole:
                return texts[start:end]
    raise AssertionError(f"{whole!r} not shown whole: {texts}")
