"""CRC-16/MODBUS against published check values and the bit-by-bit definition."""

from hypothesis import given
from hypothesis import strategies as st

from caller.crc import crc16_modbus, crc16_modbus_bitwise


def test_catalogue_check_value() -> None:
    # The CRC catalogue's check value for CRC-16/MODBUS over ASCII "123456789".
    assert crc16_modbus(b"123456789") == 0x4B37


def test_known_modbus_request() -> None:
    # Modbus RTU "read holding registers" 01 03 00 00 00 0A has CRC C5 CD on the wire (low byte first).
    assert crc16_modbus(bytes.fromhex("01030000000A")).to_bytes(2, "little") == bytes.fromhex("C5CD")


def test_empty_input_is_init_value() -> None:
    assert crc16_modbus(b"") == 0xFFFF


@given(st.binary(max_size=300), st.integers(min_value=0, max_value=300))
def test_table_matches_definition_and_continues(data: bytes, cut: int) -> None:
    assert crc16_modbus(data) == crc16_modbus_bitwise(data)
    assert crc16_modbus(data[cut:], crc16_modbus(data[:cut])) == crc16_modbus(data)
