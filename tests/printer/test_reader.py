"""escpos_reader: decodes what HallQ sends and refuses, with an offset, what it does not know."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st

from printer_drivers.escpos_reader import EscposDecodeError, parse, read


def test_text_sizes_alignment_and_bold_per_line() -> None:
    data = (b"\x1b@\x1c&\x1ba\x01\x1d!\x11\x1bE\x01" + "号".encode("gb18030") + b"\n"
            + b"\x1d!\x00\x1bE\x00\x1ba\x02ok\n")
    first, second = read(data).lines
    assert (first.text, first.width, first.height, first.align, first.bold) == (
        "号", 2, 2, "center", True)
    assert (second.text, second.width, second.height, second.align, second.bold) == (
        "ok", 1, 1, "right", False)


def test_four_byte_gb18030_decodes() -> None:
    text = "㐀😀"  # CJK Ext. A and an emoji: four-byte GB18030 sequences
    assert read(b"\x1c&" + text.encode("gb18030") + b"\n").lines[0].text == text


def test_outside_chinese_mode_high_bytes_use_the_code_page() -> None:
    assert read(b"\x1bt\x10\xe9\n").lines[0].text == "é"  # ESC t 16 = cp1252


def test_escpos_cut_without_feed_is_a_partial_cut() -> None:
    """The python-escpos trap: cut(feed=False) sends GS V B 0, a partial cut."""
    p = Dummy()
    p.cut(mode="FULL", feed=False)
    assert [(c.partial, c.feed_dots) for c in read(p.output).cuts] == [(True, 0)]


def test_native_qr_with_python_escpos_commands() -> None:
    p = Dummy()
    p.qr("https://例子.cn/a", native=True, size=6)
    [code] = read(p.output).qr_codes
    assert (code.payload, code.module_size, code.error_correction) == ("https://例子.cn/a", 6, "L")


def test_status_requests_are_recorded() -> None:
    assert read(b"\x10\x04\x01\x10\x04\x04").status_requests == (1, 4)


@pytest.mark.parametrize(
    ("data", "offset", "reason"),
    [
        (b"ok\x07", 2, "unknown control byte 0x07"),
        (b"\x1bZ1", 0, "unknown command ESC 0x5a"),
        (b"ab\x1d!", 2, "truncated GS !"),
        (b"\x1c&\xb0", 2, "GB18030 character cut short"),
        (b"\x1c&\xff\xff", 2, "cannot start a GB18030 character"),
        (b"\x1dv0\x00\x01\x00\x02\x00\xff", 0, "truncated GS v 0 image data"),
        (b"\x1d(k\x03\x001Q0", 0, "QR print without stored data"),
    ],
)
def test_bad_bytes_raise_with_offset(data: bytes, offset: int, reason: str) -> None:
    """Tried: corrupt or unknown bytes. Kept: nothing is guessed; the error names the offset."""
    with pytest.raises(EscposDecodeError) as info:
        read(data)
    assert info.value.offset == offset
    assert reason in str(info.value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_fuzzed_bytes_decode_or_raise_our_error(data: bytes) -> None:
    try:
        ops = parse(data)
    except EscposDecodeError as exc:
        assert 0 <= exc.offset <= len(data)
    else:
        assert all(0 <= op.offset < len(data) for op in ops)
        read(data)  # playing decoded operations never fails except on QR print without data


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None)
@given(st.binary(max_size=2_000))
def test_long_fuzz_of_the_reader(data: bytes) -> None:
    try:
        read(data)
    except EscposDecodeError as exc:
        assert 0 <= exc.offset <= len(data)
