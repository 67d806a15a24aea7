"""The line-break rule itself (printer_drivers.linebreak), with no screen: its results on the
texts that once broke badly, and that the linear search returns what the old quadratic one did."""
from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from printer_drivers.gbtext import text_columns
from printer_drivers.linebreak import BREAK_AFTER, NO_LINE_END, NO_LINE_START, attached_cut, break_lines, may_break

ADVICE = "请记住此号码并留意叫号，凭号码到19-26号窗口办理；也可用手机扫描下方二维码查看进度。已通知工作人员处理打印机故障。"
"""The kiosk's 号票未能打印 advice on an upright screen (kiosk.screens.unprinted_advice), as text."""
GREEN = "老年人、残疾人、孕妇、军人等可优先办理。请选择类别，并向窗口工作人员出示相关证件。"
CHARACTERS = ("号码窗口办理工作人员打印机故障身份证原件请携带月日时分国有建设用地使用权" "abcXYZ" "0123456789"
              + "".join(sorted(NO_LINE_START | NO_LINE_END | BREAK_AFTER)) + ".:-")
"""Chinese, Latin, digits, every mark the rule knows and the ASCII ones it must not break at."""


def within(columns: int) -> Callable[[str], bool]:
    return lambda line: text_columns(line) <= columns


def old_break_lines(text: str, fits: Callable[[str], bool]) -> list[str]:
    """The reference: ``break_lines`` as it was up to 3ea83b3, trying every break point from the end
    of the text with a measurement at each (quadratic on a long text)."""
    def phrase_end(start: int) -> int | None:
        for end in range(len(text) - 1, start, -1):
            if may_break(text, end) and fits(text[start:end]):
                return end
        return None

    def character_end(start: int) -> int:
        end = start + 1
        while end + 1 < len(text) and fits(text[start:end + 1]):
            end += 1
        return start + attached_cut(text[start:], end - start, "")

    lines: list[str] = []
    start = 0
    while len(text) - start > 1 and not fits(text[start:]):
        end = phrase_end(start) or character_end(start)
        lines.append(text[start:end])
        start = end
    lines.append(text[start:])
    return lines


def test_where_the_lines_of_the_unprinted_ticket_break() -> None:
    """At a break before a number (到|19-26号) and after each phrase's mark; at the space of a time
    but not inside the date (11月|26日 read as two things)."""
    assert break_lines(ADVICE, within(36)) == [
        "请记住此号码并留意叫号，凭号码到", "19-26号窗口办理；", "也可用手机扫描下方二维码查看进度。", "已通知工作人员处理打印机故障。"]
    assert break_lines("下次取号时间：11月26日 14:00", within(20)) == ["下次取号时间：", "11月26日 14:00"]
    assert break_lines("请携带身份证（原件）", within(14)) == ["请携带身份证", "（原件）"]


def test_a_phrase_wider_than_the_line_breaks_between_characters_but_not_before_a_stop() -> None:
    assert break_lines("国有建设用地使用权及房屋所有权首次登记", within(20)) == ["国有建设用地使用权及", "房屋所有权首次登记"]
    assert break_lines("请联系工作人员。", within(14)) == ["请联系工作人", "员。"]
    assert break_lines("", within(4)) == [""]
    assert break_lines("办理", within(1)) == ["办", "理"]  # nothing fits: one character a line, no empty one


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.sampled_from(CHARACTERS) | st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=160),
       columns=st.integers(1, 60))
def test_the_linear_search_breaks_every_text_where_the_old_one_did(text: str, columns: int) -> None:
    """Tried: random Chinese, Latin, digits and marks at any width down to less than a character.
    Kept: exactly the old algorithm's lines (the rule did not change, only how fast it is found)."""
    assert break_lines(text, within(columns)) == old_break_lines(text, within(columns))


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.sampled_from(CHARACTERS), max_size=120), width=st.integers(1, 400),
       weights=st.lists(st.integers(1, 40), min_size=len(CHARACTERS), max_size=len(CHARACTERS)))
def test_the_same_lines_with_a_font_of_any_widths(text: str, width: int, weights: list[int]) -> None:
    """As above with each character its own width, as a screen font's glyphs have (a comma narrower
    than 号, a digit narrower still): no width coincidence makes the two searches agree."""
    advance = dict(zip(CHARACTERS, weights))

    def fits(line: str) -> bool:
        return sum(advance[ch] for ch in line) <= width

    assert break_lines(text, fits) == old_break_lines(text, fits)


def measured(text: str, columns: int) -> int:
    """How many characters ``break_lines`` measures to break ``text`` at ``columns``."""
    total = 0

    def fits(line: str) -> bool:
        nonlocal total
        total += len(line)
        return text_columns(line) <= columns

    break_lines(text, fits)
    return total


def test_breaking_a_long_text_measures_in_proportion_to_its_length() -> None:
    """Tried: a notice of 4 and of 32 copies of a sentence at a ticket's 36 columns. It was: the old
    search measured the rest of the text again at every break point: 8 times the text cost 470
    times the measuring. Kept: 8 times the text costs at most 10 times the measuring."""
    short, long = measured(GREEN * 4, 36), measured(GREEN * 32, 36)
    assert long <= 10 * short, (short, long)
