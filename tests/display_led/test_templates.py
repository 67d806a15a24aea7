"""What citizens read: wording per screen kind and fitting zone lines into modules."""

from display.led.model import ScreenText
from display.led.templates import CallInfo, ZoneBoard, ZoneLayout, window_called, window_idle, window_paused, zone_line, zone_screens
from display.led.textcodec import display_width, fit_cells


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
