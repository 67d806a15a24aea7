"""CRC-16/MODBUS (poly 0x8005 reflected = 0xA001, init 0xFFFF, no final XOR).

Why table-driven: a hub checks every frame of up to 60 pads; the 256-entry table is built once
per process into an immutable tuple (no mutable module state) and makes each byte one lookup.
Check value: ``crc16_modbus(b"123456789") == 0x4B37``.
"""

from __future__ import annotations


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE: tuple[int, ...] = _make_table()


def crc16_modbus(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """CRC of ``data``; pass a previous result as ``crc`` to continue over more bytes."""
    for byte in bytes(data):
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


def crc16_modbus_bitwise(data: bytes) -> int:
    """The textbook bit-by-bit definition, kept as the reference the table is tested against."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc
