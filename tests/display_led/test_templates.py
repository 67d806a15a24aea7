"""What citizens read: wording per screen kind and fitting zone lines into modules."""

from hypothesis import given
from hypothesis import strategies as st

from display.led.model import ScreenText
from display.led.templates import CallInfo, ZoneBoard, ZoneLayout, window_called, window_idle, window_paused, zone_line, zone_screens
from display.led.textcodec import display_width, encode_gbk, fit_cells


def test_window_screen_texts() -> None:
    assert window_called(CallInfo("A001", "3")).lines == ["A001 请到3号窗口"]
    assert window_called(CallInfo("A001", "3")).blink == 3
    assert window_idle("张三", "县市场监督管理局").lines == ["张三", "县市场监督管理局"]
    assert window_paused() == ScreenText(["暂停服务"])


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
    assert [s.lines[0] for s in screens.values()] == ["请A003号到3号窗", "请A002号到2号窗"]  # 16 cells
    screens = board.push(CallInfo("A002", "2"))  # recall
    assert [s.lines[0] for s in screens.values()] == ["请A002号到2号窗", "请A003号到3号窗"]
    assert all(display_width(s.lines[0]) <= 16 for s in screens.values())
