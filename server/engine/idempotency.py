"""How an issuing request's Idempotency-Key is stored: a SHA-256 digest of device and key.

The column holds 128 characters (tickets.idempotency_key). The key was stored as written,
`device:key`: a 64-character device name and a 100-character key made 165, which PostgreSQL
refused ("value too long for type character varying(128)"), a 500 that the kiosk retried for
ever; SQLite, which does not enforce lengths, stored it. A digest is always 64 hex characters, and
the device is part of what is hashed, so two kiosks' equal keys stay two tickets.
"""
from __future__ import annotations

import hashlib


def stored_key(device: str | None, key: str) -> str:
    """What the tickets table holds for `key` sent by `device` (None: a person's request)."""
    return hashlib.sha256(legacy_key(device, key).encode("utf-8")).hexdigest()


def legacy_key(device: str | None, key: str) -> str:
    """The form stored before the digest (`device:key`): a kiosk that retries across the hub's
    upgrade still finds the ticket it was issued just before, instead of getting a second one."""
    return f"{device or '-'}:{key}"
