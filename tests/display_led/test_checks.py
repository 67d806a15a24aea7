"""Check functions against the published catalogue vectors."""

from display.led.checks import Crc16Variant, crc16, crc16_kermit, crc16_xmodem, sum8, xor8


def test_crc16_xmodem_check_vector() -> None:
    assert crc16_xmodem(b"123456789") == 0x31C3
    assert crc16(b"123456789", Crc16Variant.XMODEM) == 0x31C3


def test_crc16_kermit_check_vector() -> None:
    assert crc16_kermit(b"123456789") == 0x2189
    assert crc16(b"123456789", Crc16Variant.KERMIT) == 0x2189


def test_crc_of_empty_input_is_init_value() -> None:
    assert crc16_xmodem(b"") == 0 and crc16_kermit(b"") == 0


def test_sum8_and_xor8() -> None:
    assert sum8(bytes([0xFF, 0x02])) == 0x01
    assert xor8(bytes([0xA5, 0x5A, 0x01])) == 0xFE
