"""What citizens read: wording per screen kind and fitting zone lines into modules."""

from hypothesis import given
from hypothesis import strategies as st

from display.led.dialects import make_codec
from display.led.model import ScreenText
from display.led.templates import (
    CallInfo,
    ZoneBoard,
    ZoneLayout,
    shortest_with_window,
    window_called,
    window_idle,
    window_paused,
    zone_line,
    zone_line_fitted,
    zone_screens,
)
from display.led.textcodec import display_width, encode_gbk, fit_cells


def test_window_screen_texts() -> None:
    assert window_called(CallInfo("A001", "3")).lines == ["A001 请到3号窗口"]
    assert window_called(CallInfo("A001", "3")).blink == 3
    assert window_idle("张三", "县市场监督管理局").lines == ["张三", "县市场监督管理局"]
    assert window_paused() == ScreenText(["暂停服务"])


def test_a_name_with_a_character_without_gbk_code_still_shows_between_calls() -> None:
    """Tried: a clerk named 王𠮷 (U+20BB7, no GBK code) and a unit with a stray tab, on a bus with
    the strict default (on_unencodable = "error"). It was: the dialect refused the idle text, and
    the window screen went on showing the last called ticket to the next citizen. Kept: the idle
    text is encoded on the strict bus, with '?' for what the module cannot draw."""
    idle = window_idle("王\U00020BB7", "县\t民政局")
    assert idle.lines == ["王?", "县?民政局"]
    codec = make_codec("pingan", {})
    assert codec.params.on_unencodable == "error"
    assert codec.text_bytes(" ".join(idle.lines)) == "王? 县?民政局".encode("gbk")


def test_zone_line_and_cell_width() -> None:
    line = zone_line(CallInfo("A001", "3"))
    assert line == "请A001号到3号窗口办理"
    assert display_width(line) == 21  # 8 CJK characters x 2 cells + 5 ASCII


def test_fit_never_splits_a_wide_character() -> None:
    assert fit_cells("请A001号", 3) == "请A"
    assert fit_cells("请A001号", 6) == "请A001"  # 号 needs 2 more cells: 7 > 6
    assert fit_cells("AB", 32) == "AB"


def test_punctuation_gbk_draws_full_width_takes_two_cells() -> None:
    """Tried: characters Unicode calls "ambiguous" width, two-byte full-width glyphs in GBK: the ·
    of a Uyghur name, — … “ ” ① ℃. It was: one cell each, so a line cut to a 16-cell module sent
    17 or more bytes and the module wrapped or dropped its last character. Kept: two cells each,
    as many as the GBK bytes; an unencodable character, sent as '?', one."""
    assert display_width("阿依古丽·买买提") == 16
    assert [display_width(c) for c in "·—…“”①℃"] == [2] * 7
    assert display_width("\U00020000") == 1  # no GBK code: '?' under on_unencodable = "replace"
    assert fit_cells("请A001号到①号窗口", 11) == "请A001号到"  # ① needs two more cells: 12 > 11


@given(text=st.text(alphabet=st.sampled_from("请号窗口A01 ·—…“”①℃€\u00e9\U00020000"), max_size=40),
       columns=st.integers(min_value=2, max_value=64))
def test_a_fitted_line_never_sends_more_bytes_than_the_module_has_cells(text: str, columns: int) -> None:
    fitted = fit_cells(text, columns)
    sent = encode_gbk(fitted, on_unencodable="replace")
    assert len(sent) == display_width(fitted) <= columns
    assert text.startswith(fitted) and (fitted == text or display_width(text[: len(fitted) + 1]) > columns)


def test_zone_screen_spreads_calls_over_consecutive_modules_newest_first() -> None:
    layout = ZoneLayout(first_address=10, rows=3, columns=32)
    screens = zone_screens(layout, [CallInfo("A002", "5"), CallInfo("A001", "3")])
    assert screens == {
        10: ScreenText(["请A002号到5号窗口办理"]),
        11: ScreenText(["请A001号到3号窗口办理"]),
        12: ScreenText([""]),  # cleared, not left showing an old call
    }


def test_zone_board_scrolls_and_a_recall_moves_to_top() -> None:
    board = ZoneBoard(ZoneLayout(first_address=1, rows=2, columns=16))
    board.push(CallInfo("A001", "1"))
    board.push(CallInfo("A002", "2"))
    screens = board.push(CallInfo("A003", "3"))
    assert [s.lines[0] for s in screens.values()] == ["A003号到3号窗口", "A002号到2号窗口"]  # 16 cells
    screens = board.push(CallInfo("A002", "2"))  # recall
    assert [s.lines[0] for s in screens.values()] == ["A002号到2号窗口", "A003号到3号窗口"]
    assert all(display_width(s.lines[0]) <= 16 for s in screens.values())


def test_a_narrow_zone_screen_drops_words_never_digits_of_the_window() -> None:
    """Tried: a hub driving a 12-cell zone module (screen-sim, yinda) with C1001 called to
    window 19. It was: the line cut at 12 cells, `请C1001号到1`: window 1, where the citizen is
    not expected. Kept: words go first, the number and the whole window stay."""
    screens = zone_screens(ZoneLayout(first_address=20, rows=1, columns=12), [CallInfo("C1001", "19")])
    assert screens == {20: ScreenText(["C1001到19号"])}
    assert zone_line_fitted(CallInfo("C1001", "19"), 6) == "C1001"  # no room for a window: the number alone
    assert zone_line_fitted(CallInfo("C1001", "19"), 4) == ""  # nor for the number: nothing half shown


@given(ticket=st.from_regex(r"[A-K][0-9]{3,5}", fullmatch=True), window=st.integers(min_value=1, max_value=999))
def test_the_shortest_wording_with_the_window_is_the_narrowest_screen_that_names_it(ticket: str, window: int) -> None:
    """What check-config measures a zone screen against (server/devices/zone_width.py): with its
    width the screen names the window; one cell less and it shows the ticket number alone."""
    call = CallInfo(ticket, str(window))
    needed = display_width(shortest_with_window(call))
    assert zone_line_fitted(call, needed) == shortest_with_window(call)
    assert f"{window}号" in shortest_with_window(call)
    assert zone_line_fitted(call, needed - 1) == ticket


@given(ticket=st.from_regex(r"[A-K][0-9]{3,5}", fullmatch=True), window=st.integers(min_value=1, max_value=999),
       columns=st.integers(min_value=2, max_value=40))
def test_a_zone_line_shows_the_ticket_and_window_whole_or_not_at_all(ticket: str, window: int, columns: int) -> None:
    line = zone_screens(ZoneLayout(first_address=1, rows=1, columns=columns), [CallInfo(ticket, str(window))])[1].lines[0]
    assert display_width(line) <= columns
    assert line in ("", ticket) or (line.startswith((ticket, f"请{ticket}")) and f"{window}号" in line
                                     and not line.split(ticket, 1)[1].startswith(tuple("0123456789")))
