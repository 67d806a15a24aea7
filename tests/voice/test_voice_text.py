"""Announcement text: what the citizen hears, with every digit written as a Chinese word."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from display.voice.text import (
    SpeechRules,
    VoiceTextError,
    announcement_text,
    cardinal_from_reading,
    digits_from_reading,
    read_cardinal,
    read_digits,
    read_ticket_number,
    spoken_numbers,
    spoken_window,
)

ASCII_DIGIT = re.compile(r"[0-9]")


@pytest.mark.parametrize(
    ("number", "window", "zone", "expected"),
    [
        ("A001", 3, "", "请 A零零一号 到 三号窗口 办理"),
        ("B120", 12, "", "请 B一二零号 到 十二号窗口 办理"),
        ("K007", 20, "", "请 K零零七号 到 二十号窗口 办理"),
        ("a1000", 101, "", "请 A一零零零号 到 一百零一号窗口 办理"),
        ("C015", "不动产登记1号窗口", "", "请 C零一五号 到 不动产登记一号窗口 办理"),
        ("C015", "１２", "", "请 C零一五号 到 十二号窗口 办理"),
        ("001", "税务10号窗口", "", "请 零零一号 到 税务十号窗口 办理"),
    ],
)
def test_default_template_table(number: str, window: int | str, zone: str, expected: str) -> None:
    assert announcement_text(number, window, zone) == expected


@pytest.mark.parametrize(
    ("n", "reading"),
    [
        (0, "零"), (1, "一"), (10, "十"), (11, "十一"), (12, "十二"), (20, "二十"), (99, "九十九"),
        (100, "一百"), (101, "一百零一"), (110, "一百一十"), (1001, "一千零一"),
        (1010, "一千零一十"), (10000, "一万"), (10010, "一万零一十"), (100000, "十万"),
        (100001, "十万零一"), (1000001000, "十亿零一千"), (100010000, "一亿零一万"),
    ],
)
def test_cardinal_table(n: int, reading: str) -> None:
    assert read_cardinal(n) == reading
    assert cardinal_from_reading(reading) == n


def test_one_may_be_read_yao() -> None:
    rules = SpeechRules(one="幺")
    assert announcement_text("A101", 1, rules=rules) == "请 A幺零幺号 到 一号窗口 办理"
    assert read_digits("110", one="幺") == "幺幺零"


def test_template_with_zone_and_literal_digits() -> None:
    rules = SpeechRules(template="{zone}，请{number}号到{window}办理，请到2楼")
    text = announcement_text("A001", 5, zone="3区", rules=rules)
    assert text == "三区，请A零零一号到五号窗口办理，请到二楼"


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("请{number}号到{counter}办理", "unknown placeholders"),
        ("请到{window}办理", "must contain {number}"),
        ("请{number号", "malformed"),
    ],
)
def test_bad_templates_are_refused(template: str, reason: str) -> None:
    """Tried: a template with a typo. Kept: an error quoting the template and the reason."""
    with pytest.raises(VoiceTextError, match=re.escape(reason)):
        SpeechRules(template=template)


@pytest.mark.parametrize("number", ["", "A-1", "001A", "ABCD1", "A", "A١٢"])
def test_bad_ticket_numbers_are_refused(number: str) -> None:
    """Tried: malformed ticket numbers. Kept: an error naming the number."""
    with pytest.raises(VoiceTextError, match="ticket number"):
        read_ticket_number(number)


@pytest.mark.parametrize("window", ["", "   ", True, -1])
def test_bad_windows_are_refused(window: object) -> None:
    with pytest.raises(VoiceTextError):
        spoken_window(window)  # type: ignore[arg-type]


def test_bad_one_variant_is_refused() -> None:
    with pytest.raises(VoiceTextError, match="'one'"):
        SpeechRules(one="1")


tickets = st.builds(
    lambda prefix, digits: prefix + digits,
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", max_size=3),
    st.text(alphabet="0123456789", min_size=1, max_size=8),
)
windows = st.one_of(st.integers(min_value=0, max_value=10**12 - 1), st.text(min_size=1).filter(str.strip))


@given(number=tickets, window=windows, zone=st.text(max_size=20), one=st.sampled_from(["一", "幺"]))
def test_no_ascii_digit_is_ever_left(number: str, window: int | str, zone: str, one: str) -> None:
    try:
        text = announcement_text(number, window, zone, SpeechRules(one=one))
    except VoiceTextError:
        # Only an all-blank window name may be refused here; everything else must read.
        assert isinstance(window, str) and not window.strip()
        return
    assert not ASCII_DIGIT.search(text)
    assert not re.search(r"\d", text)


@given(number=tickets, one=st.sampled_from(["一", "幺"]))
def test_ticket_digits_reading_is_reversible(number: str, one: str) -> None:
    reading = read_ticket_number(number, one)
    assert reading.spoken == reading.prefix + reading.spoken[len(reading.prefix):]
    assert digits_from_reading(reading.spoken[len(reading.prefix):]) == reading.digits
    assert reading.prefix + reading.digits == number.upper()


@given(n=st.integers(min_value=0, max_value=10**12 - 1))
def test_cardinal_reading_is_reversible(n: int) -> None:
    reading = read_cardinal(n)
    assert not re.search(r"\d", reading)
    assert cardinal_from_reading(reading) == n


@given(name=st.text())
def test_spoken_numbers_never_leaves_digits(name: str) -> None:
    assert not re.search(r"\d", spoken_numbers(name))
