"""Frames checked byte by byte against the documented layouts (PROTOCOLS.md, docs/screens.md)."""

import pytest

from display.led.checks import crc16_kermit, crc16_xmodem
from display.led.dialects import make_codec
from display.led.errors import EncodeError
from display.led.model import Command, ScreenKind, ScreenText

CALLED = "A001 请到3号窗口"
# GBK: 请 C7EB, 到 B5BD, 号 BAC5, 窗 B4B0, 口 BFDA
CALLED_GBK = bytes.fromhex("41 30 30 31 20 c7 eb b5 bd 33 ba c5 b4 b0 bf da")


def test_gbk_of_the_sample_text() -> None:
    assert CALLED.encode("gbk") == CALLED_GBK


def test_candle_text_blink_brightness_and_transliteration() -> None:
    codec = make_codec("candle")
    frames = codec.encode(0x31, ScreenText([CALLED], blink=3, brightness=2))
    assert frames == [
        bytes([0x02, 0x31, 0x22, 0x07]),  # brightness 2 -> 0x22
        bytes([0x01, 0x31, 0x24]) + b"A001 > 3" + bytes([0x07]),  # blink 3 times -> 0x21 + 3
    ]
    assert codec.encode(0x20, ScreenText(["A1"], blink=True))[0] == b"\x01\x20\x21A1\x07"
    assert codec.encode(0x20, ScreenText(["A1"]))[0] == b"\x01\x20\x20A1\x07"
    assert codec.encode(0x20, ScreenText(["暂停服务"]))[0] == b"\x01\x20\x20----\x07"
    assert codec.encode(0x20, ScreenText(["请A001号到3号窗口办理"]))[0] == b"\x01\x20\x20A001 > 3\x07"


def test_candle_change_address_frames() -> None:
    codec = make_codec("candle")
    assert codec.encode_set_address(0x31, 0x32) == bytes([0x03, 0x31, 0x32, 0x07])
    assert codec.encode_set_address(None, 0x32) == bytes([0x03, 0xFF, 0x32, 0x07])
    decoded = codec.decode(bytes([0x03, 0xFF, 0x32, 0x07]))
    assert decoded.command is Command.SET_ADDRESS and decoded.new_address == 0x32


def test_candle_refuses_addresses_outside_20_to_7f_and_too_many_blinks() -> None:
    codec = make_codec("candle")
    with pytest.raises(EncodeError, match="address 31 outside"):
        codec.encode(31, ScreenText(["A1"]))
    with pytest.raises(EncodeError, match="at most 94"):
        codec.encode(0x20, ScreenText(["A1"], blink=95))


@pytest.mark.parametrize(("kind", "code"), [(ScreenKind.WINDOW, b"\x01\x00"), (ScreenKind.ZONE, b"\x08\x02")])
def test_pingan_layout_and_check(kind: ScreenKind, code: bytes) -> None:
    frame = make_codec("pingan").encode(5, ScreenText([CALLED]), kind)[0]
    body = code + b"\x99\x00\x63" + CALLED_GBK + b"\xff"
    assert frame == bytes([0xAA, 0x05, 0xBB, 0x51, 0x54, sum(body) % 256]) + body


def test_pingan_check_without_end_byte() -> None:
    frame = make_codec("pingan", {"check_covers_end": False}).encode(5, ScreenText([CALLED]))[0]
    assert frame[5] == sum(frame[6:-1]) % 256
    assert frame[5] != sum(frame[6:]) % 256


@pytest.mark.parametrize(("order", "first_pair"), [("high_first", b"\x04\x01"), ("low_first", b"\x01\x04")])
def test_ruize_address_bytes_and_half_order(order: str, first_pair: bytes) -> None:
    frame = make_codec("ruize", {"half_order": order}).encode(130, ScreenText([CALLED]))[0]
    assert frame[:3] == bytes([0x80 + 130 % 64, 0xC0 + 130 // 64, 0x44])
    assert frame[3:5] == first_pair  # 'A' = 0x41
    assert frame[-1] == 0x1A and len(frame) == 3 + 2 * len(CALLED_GBK) + 1
    if order == "high_first":
        assert frame[3:-1] == bytes(b for byte in CALLED_GBK for b in (byte >> 4, byte & 0xF))


def test_zhongyi_pads_every_character_and_xors_from_index_2() -> None:
    frame = make_codec("zhongyi").encode(7, ScreenText(["A请"]))[0]
    data = b"A\x00\xc7\xeb\x00"
    head = bytes([0xA0, 0x90, 0x07, 0xA5, 0x00, len(data)]) + data
    xor = 0
    for byte in head[2:]:
        xor ^= byte
    assert frame == head + bytes([xor])


@pytest.mark.parametrize(
    ("params", "length", "data"),
    [
        ({"length_counts": "text_bytes"}, 3, b"A\x00\xc7\xeb\x00"),
        ({"length_counts": "chars"}, 2, b"A\x00\xc7\xeb\x00"),
        ({"pad_unit": "byte"}, 6, b"A\x00\xc7\x00\xeb\x00"),
    ],
)
def test_zhongyi_length_and_pad_parameters(params: dict, length: int, data: bytes) -> None:
    frame = make_codec("zhongyi", params).encode(7, ScreenText(["A请"]))[0]
    assert frame[4:6] == length.to_bytes(2, "big")
    assert frame[6:-1] == data


def test_yinda_layout_and_xmodem_crc() -> None:
    frame = make_codec("yinda").encode(9, ScreenText([CALLED]))[0]
    body = bytes([0x09, 0xFE, 9 + len(CALLED_GBK) + 3, 0x00, 0x86, 0x3C, 0x00, 0x05, 0x00]) + CALLED_GBK + b"\x00"
    assert frame == body + crc16_xmodem(body).to_bytes(2, "big")


def test_yinda_kermit_crc_over_chosen_bytes_and_sequence() -> None:
    codec = make_codec("yinda", {"crc_variant": "kermit", "crc_from": 3, "seq_start": 250})
    first, second = (codec.encode(1, ScreenText(["A1"]))[0] for _ in range(2))
    assert first[-2:] == crc16_kermit(first[3:-2]).to_bytes(2, "big")
    assert (first[3], second[3]) == (250, 251)


def test_yinda_refuses_text_longer_than_one_length_byte() -> None:
    with pytest.raises(EncodeError, match="too long"):
        make_codec("yinda").encode(1, ScreenText(["请" * 130]))


@pytest.mark.parametrize(("counts", "length"), [("after_length", 5 + 16), ("text", 16), ("frame", 8 + 16)])
def test_yongtai_layout_and_length_parameter(counts: str, length: int) -> None:
    frame = make_codec("yongtai", {"length_counts": counts}).encode(3, ScreenText([CALLED]))[0]
    assert frame == bytes([0xAA, 0x55, length, 0x03, 0xF8, 0x21, 0x00]) + CALLED_GBK + b"\x00"


@pytest.mark.parametrize("dialect", ["pingan", "ruize", "zhongyi", "yinda", "yongtai"])
def test_text_outside_gbk_is_refused_or_replaced(dialect: str) -> None:
    # Tried: an emoji (no GBK code). Strict default raises naming the character; "replace" shows '?'.
    with pytest.raises(EncodeError, match="no GBK code"):
        make_codec(dialect).encode(1, ScreenText(["A001 😀"]))
    codec = make_codec(dialect, {"on_unencodable": "replace"})
    assert codec.decode(codec.encode(1, ScreenText(["A001 😀"]))[0]).text == "A001 ?"


@pytest.mark.parametrize("dialect", ["candle", "pingan", "ruize", "zhongyi", "yinda", "yongtai"])
def test_control_characters_are_refused(dialect: str) -> None:
    # Tried: a newline inside text (would collide with delimiters). Nothing is encoded.
    codec = make_codec(dialect)
    address = 0x20 if dialect == "candle" else 1
    if dialect == "candle":  # candle omits non-ASCII but must not pass control bytes either
        assert b"\n" not in codec.encode(address, ScreenText(["A\n1"]))[0]
    else:
        with pytest.raises(EncodeError, match="control character"):
            codec.encode(address, ScreenText(["A\n1"]))


def test_lines_are_joined_by_the_line_separator() -> None:
    codec = make_codec("yongtai", {"line_separator": "/"})
    assert codec.decode(codec.encode(3, ScreenText(["张三", "县市场监督管理局"]))[0]).text == "张三/县市场监督管理局"
