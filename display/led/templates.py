"""What a citizen reads on window and zone screens, as ScreenText, in Simplified Chinese.

Wording lives here and nowhere else so a hall can review it in one file; layout (which module
of a chained zone screen shows which call, how many cells fit) is computed here too, so codecs
never see anything but one address and its text.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from display.led.errors import EncodeError
from display.led.model import ScreenText
from display.led.textcodec import fit_cells, gbk_showable

PAUSED = "暂停服务"


@dataclass(frozen=True)
class CallInfo:
    """One call as screens show it: ticket number and the window's label (e.g. "3")."""

    ticket: str
    window: str


def window_called(call: CallInfo, blink: bool | int = 3) -> ScreenText:
    """Window screen when a ticket is called: `A001 请到3号窗口`, blinking to catch the eye."""
    return ScreenText(lines=[f"{call.ticket} 请到{call.window}号窗口"], blink=blink)


def window_idle(staff_name: str, unit: str) -> ScreenText:
    """Window screen between calls: who serves here and for which unit. Names are free text (a
    rare character of a given name, 𠮷, has no GBK code): shown with '?' in its place, as a
    strict bus refused the whole text and the screen went on showing the last called ticket."""
    return ScreenText(lines=[gbk_showable(line) for line in (staff_name, unit) if line])


def window_paused() -> ScreenText:
    """Window screen while the window is paused."""
    return ScreenText(lines=[PAUSED])


def zone_line(call: CallInfo) -> str:
    """One zone-screen line: `请A001号到3号窗口办理`."""
    return f"请{call.ticket}号到{call.window}号窗口办理"


def _call_wordings(call: CallInfo) -> tuple[str, ...]:
    """A call's zone-screen wordings, fullest first, each a whole-word shortening of the one
    before; the last names the ticket alone."""
    ticket, window = call.ticket, call.window
    return (
        zone_line(call),
        f"请{ticket}号到{window}号窗口",
        f"{ticket}号到{window}号窗口",
        f"{ticket}到{window}号窗口",
        f"{ticket}到{window}号",
        f"{ticket} {window}号",
        ticket,
    )


def shortest_with_window(call: CallInfo) -> str:
    """The shortest wording that still names the window: what a zone screen needs room for so
    that citizens learn where to go (check-config warns of screens narrower than that)."""
    return _call_wordings(call)[-2]


def zone_line_fitted(call: CallInfo, columns: int) -> str:
    """The fullest wording of a call that fits in `columns` cells, shortened by whole words.

    The line was cut at the module's width, which could cut inside a number: 19号窗口 on a
    12-cell module read `请C1001号到1`, window 1, and a shorter module cut the ticket number
    itself. A citizen reading a zone screen must never see a different window or number, so
    words go first; with no room for the window at all, the ticket number stands alone (the
    window screens name the window)."""
    for line in _call_wordings(call):
        if fit_cells(line, columns) == line:
            return line
    return ""


@dataclass(frozen=True)
class ZoneLayout:
    """A zone screen of `rows` one-line modules at consecutive addresses, `columns` cells wide.

    A CJK character takes two cells: a 32-column module shows 16 Chinese characters.
    """

    first_address: int
    rows: int
    columns: int

    def __post_init__(self) -> None:
        if self.rows < 1 or self.columns < 2:
            raise EncodeError(f"zone layout needs rows >= 1 and columns >= 2, got {self}")

    @property
    def addresses(self) -> range:
        return range(self.first_address, self.first_address + self.rows)


def zone_screens(layout: ZoneLayout, calls: Sequence[CallInfo]) -> dict[int, ScreenText]:
    """Text for every module: newest call on the top row, empty rows cleared, lines shortened to fit."""
    lines = [zone_line_fitted(call, layout.columns) for call in list(calls)[: layout.rows]]
    lines += [""] * (layout.rows - len(lines))
    return {address: ScreenText(lines=[line]) for address, line in zip(layout.addresses, lines)}


class ZoneBoard:
    """The last `rows` calls of one zone screen; a recall moves its ticket back to the top, a
    transfer takes it off.

    Per-screen state held by whoever drives the screen (the hub keeps one per zone screen).
    """

    def __init__(self, layout: ZoneLayout) -> None:
        self.layout = layout
        self._calls: deque[CallInfo] = deque(maxlen=layout.rows)

    def push(self, call: CallInfo) -> dict[int, ScreenText]:
        """Record a call (newest first) and return the text of every module."""
        remaining = [known for known in self._calls if known.ticket != call.ticket]
        self._calls.clear()
        self._calls.extend([call, *remaining][: self.layout.rows])
        return self.screens()

    def drop(self, ticket: str) -> dict[int, ScreenText]:
        """Take a ticket's call off (a transferred case: it waits for another window now) and
        return the text of every module, the calls below moved up; nothing if it was not shown."""
        remaining = [known for known in self._calls if known.ticket != ticket]
        if len(remaining) == len(self._calls):
            return {}
        self._calls.clear()
        self._calls.extend(remaining)
        return self.screens()

    def screens(self) -> dict[int, ScreenText]:
        return zone_screens(self.layout, list(self._calls))
