"""Checksums and CRCs used by the screen dialects, as plain functions over bytes.

Kept apart from the codecs so the published check vectors can be tested once and every
dialect reuses the same code.
"""

from __future__ import annotations

import enum


class Crc16Variant(str, enum.Enum):
    """The two readings of "CRC-16/CCITT, poly 0x1021, init 0" vendors mean in practice."""

    XMODEM = "xmodem"  # MSB-first, init 0, no reflection; check("123456789") = 0x31C3
    KERMIT = "kermit"  # reflected (0x8408), init 0; check("123456789") = 0x2189


def sum8(data: bytes) -> int:
    """Sum of bytes modulo 256."""
    return sum(data) & 0xFF


def xor8(data: bytes) -> int:
    """XOR of all bytes."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final XOR."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def crc16_kermit(data: bytes) -> int:
    """CRC-16/KERMIT: poly 0x1021 reflected (0x8408), init 0, reflected output, no final XOR.

    The register value is the catalogue's value (check 0x2189); a frame writes it high byte
    first like every other field of the dialect.
    """
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc >> 1) ^ 0x8408) if crc & 1 else (crc >> 1)
    return crc


def crc16(data: bytes, variant: Crc16Variant) -> int:
    """Dispatch on the configured variant."""
    if variant is Crc16Variant.KERMIT:
        return crc16_kermit(data)
    return crc16_xmodem(data)
