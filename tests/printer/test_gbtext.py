"""gbtext: what reaches the paper, one character for one character."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from printer_drivers import gbtext


def test_sanitize_keeps_chinese_and_marks_the_unprintable() -> None:
    assert gbtext.sanitize("请到3号窗口，谢谢！") == "请到3号窗口，谢谢！"
    assert gbtext.sanitize("A\x1b@B\x00C") == "A?@B?C"  # no command can be smuggled in
    assert gbtext.sanitize("办\t理") == "办 理"
    assert gbtext.sanitize("㐀😀") == "??"  # four-byte GB18030, no GBK glyph on most printers
    assert gbtext.sanitize("㐀😀", four_byte=True) == "㐀😀"
    assert gbtext.sanitize("a\r\nb\rc") == "a\nb\nc"
    assert gbtext.single_line("一\n二") == "一 二"


def test_wrap_never_splits_a_chinese_character() -> None:
    assert gbtext.wrap("ab办理业务", 5) == ["ab办", "理业", "务"]


def test_a_list_wraps_after_its_separator_not_inside_a_number() -> None:
    assert gbtext.wrap("窗口：19、21、23号", 11) == ["窗口：19、", "21、23号"]
    # A number wider than its line starts one of its own (窗口：|1234…), then breaks where full.
    assert gbtext.wrap("窗口：123456789", 8) == ["窗口：", "12345678", "9"]


def test_a_line_breaks_between_phrases_not_inside_a_word() -> None:
    """Tried: the ticket's notice on 58 mm paper, cut wherever a line was full (说|明, 工作人员|可
    at other widths). Kept: a line ends after a phrase's mark, before a number (到|19-26号, not
    19-26|号), at a space, never inside a date; one phrase per line when two do not fit."""
    assert gbtext.wrap("请到办理窗口说明，工作人员", 20) == ["请到办理窗口说明，", "工作人员"]
    # The phrase alone is wider than 16 columns: only then does it break between characters.
    assert gbtext.wrap("请到办理窗口说明，工作人员", 16) == ["请到办理窗口说", "明，工作人员"]
    assert gbtext.wrap("凭号码到19-26号窗口办理", 20) == ["凭号码到", "19-26号窗口办理"]
    assert gbtext.wrap("下次取号时间：11月26日 14:00", 20) == ["下次取号时间：", "11月26日 14:00"]
    assert gbtext.wrap("ab办理业务", 5) == ["ab办", "理业", "务"]  # no phrase boundary: as before


def test_no_line_begins_with_a_closing_mark_or_ends_with_an_opening_one() -> None:
    """Tried: the hall's two-sentence notice on 80 mm paper, whose last full stop fell on a line of
    its own (a lone 。 under the notice, read as a stray dot), and a bracket at a line's end.
    Kept: the character before moves down with the mark (避头尾), nothing lost, every line fits."""
    notice = "请留意叫号屏幕和语音提示。过号请到服务台重新排队。"
    assert gbtext.wrap(notice, 48) == ["请留意叫号屏幕和语音提示。", "过号请到服务台重新排队。"]
    assert gbtext.wrap("请联系工作人员。", 14) == ["请联系工作人", "员。"]  # one phrase, too wide
    assert gbtext.wrap("请携带身份证（原件）", 14) == ["请携带身份证", "（原件）"]
    assert gbtext.wrap("。。。。", 4) == ["。。", "。。"]  # nothing but marks: cut as before


@given(st.text(alphabet="、0123456789-号窗口a"), st.integers(min_value=2, max_value=64))
def test_wrap_after_separators_loses_nothing_and_fits(text: str, columns: int) -> None:
    pieces = gbtext.wrap(text, columns)
    assert "".join(pieces) == text
    assert all(gbtext.text_columns(p) <= columns for p in pieces)


@given(st.text())
def test_sanitized_text_round_trips_through_gb18030(text: str) -> None:
    clean = gbtext.sanitize(text)
    assert clean.replace("\n", "").encode("gb18030").decode("gb18030") == clean.replace("\n", "")
    assert all(len(ch.encode("gb18030")) <= 2 for ch in clean)
    assert not any(ch < " " and ch != "\n" for ch in clean)


@given(st.text(), st.integers(min_value=2, max_value=64))
def test_wrap_loses_nothing_and_fits(text: str, columns: int) -> None:
    clean = gbtext.single_line(text)
    pieces = gbtext.wrap(clean, columns)
    assert "".join(pieces) == clean
    assert all(gbtext.text_columns(p) <= columns for p in pieces)
