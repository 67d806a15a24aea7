"""Arithmetic on sets of time spans: how long a window was logged in AND unpaused AND idle AND
people were waiting is an intersection of such sets, so we keep it exact instead of sampling."""
from __future__ import annotations

from collections.abc import Iterable

Span = tuple[float, float]


def normalise(spans: Iterable[Span]) -> list[Span]:
    """Sorted, disjoint, non-empty spans covering the same time as `spans`."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def intersect(a: list[Span], b: list[Span]) -> list[Span]:
    """Both inputs normalised; the time covered by both."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Span], b: list[Span]) -> list[Span]:
    """Both inputs normalised; the time in `a` not covered by `b`."""
    out: list[Span] = []
    j = 0
    for start, end in a:
        cursor = start
        while j < len(b) and b[j][1] <= cursor:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def total(spans: Iterable[Span]) -> float:
    return sum(end - start for start, end in spans)
