"""Which windows serve a queue, as the ticket and the ticket screen say it (办理窗口：19-26号).

A queue served by many neighbouring windows ran to a line of its own per few numbers; runs of
three or more become ranges, so the common case (one zone's row of counters) stays one short
line on 58 mm paper too.
"""
from __future__ import annotations

RUN_MIN = 3
"""The shortest run of consecutive numbers written as a range: 19-21 is no shorter than 19、20、21
to read, but a hall's rows of eight or ten counters are."""


def window_hint(numbers: tuple[int, ...] | list[int]) -> str | None:
    """``(19, 20, 21, 22, 23, 25)`` -> ``"19-23、25号"``; ``None`` when no window serves the queue."""
    ordered = sorted(set(numbers))
    if not ordered:
        return None
    runs: list[list[int]] = []
    for n in ordered:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    if len(ordered) <= RUN_MIN:
        parts = [str(n) for n in ordered]
    else:
        parts = []
        for run in runs:
            parts.extend([f"{run[0]}-{run[-1]}"] if len(run) >= RUN_MIN else [str(n) for n in run])
    return "、".join(parts) + "号"
