"""The one rounding of a share (part / whole) that every report figure shows.

Why one place: the report (metrics.py) and the leg rules it imports (leg_measures.py) each wrote
`round(part / whole, 4)`, None without a whole, and leg_measures cannot import metrics (metrics
imports it); two copies of the rule that a share has four places and none without a denominator
could drift, and the report's 过号率 would then read otherwise than the assessment's.
"""
from __future__ import annotations


def share(part: float, whole: float) -> float | None:
    """part / whole to four places (a share: 0.1234 is 12.34 %), or None when the whole is 0:
    a rate over nothing is not 0 %, it is no figure."""
    return round(part / whole, 4) if whole else None
