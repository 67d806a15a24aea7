"""The windows of a queue as the ticket names them: short lists whole, rows of counters as ranges."""
from __future__ import annotations

import pytest

from kiosk.window_hint import window_hint


@pytest.mark.parametrize(("numbers", "expected"), [
    ((), None),
    ((7,), "7号"),
    ((21, 19, 20), "19、20、21号"),  # three read as well listed, and sorted
    ((19, 20, 21, 22, 23, 24, 25, 26), "19-26号"),  # zone C's row of eight
    ((19, 20, 21, 22, 23, 25, 27, 28), "19-23、25、27、28号"),  # a pair stays a pair
    ((1, 2, 3, 10, 11, 12, 13), "1-3、10-13号"),
])
def test_window_numbers_as_printed(numbers: tuple[int, ...], expected: str | None) -> None:
    assert window_hint(numbers) == expected
