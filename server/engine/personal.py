"""Personal data: keep only what a rule needs, and never in clear.

Per-person caps need to recognise the same citizen twice in a day, not to know who they are: we
store a keyed hash (HMAC with the hall's secret) for that and a masked form for screens and tickets.
"""
from __future__ import annotations

import hashlib
import hmac
import re


def normalise_person_id(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw).upper()


def person_key(secret: bytes, raw: str) -> str:
    return hmac.new(secret, normalise_person_id(raw).encode(), hashlib.sha256).hexdigest()[:40]


def mask_person_id(raw: str) -> str:
    """4302********1234 for an ID number, 138****5678 for a phone, a shorter mask otherwise."""
    value = normalise_person_id(raw)
    if len(value) >= 15:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]
