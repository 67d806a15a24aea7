"""Whether each zone screen is wide enough to show a call with its window, for `hallq check-config`.

Why: a zone screen shortens a call by words to fit its modules (display.led.templates), and with
too few `columns` for even `A1001 19号` it shows the ticket number alone, so citizens must find
the window some other way. The technician learnt it only by watching the screen: the file said
nothing about it. A warning, not a problem: the hall may mean it (window screens name the window).
"""

from __future__ import annotations

from display.led.templates import CallInfo, shortest_with_window, zone_line_fitted
from display.led.textcodec import display_width
from server.config.models import HallConfig
from server.config.problems import ConfigProblem
from server.devices.config import DEVICES_FILE, DeviceConfig


def widest_call(config: HallConfig, zone: str) -> CallInfo | None:
    """The call that takes the most cells on zone `zone`'s screen: its longest ticket number
    (prefix and digits) and the widest window number that calls into it, or None if none does."""
    queues = [q.prefix for q in config.queues if q.zone == zone]
    windows = [w.number for w in config.windows if w.kind == "window" and w.number is not None
               and (w.zone == zone or any(q in queues for q in w.queues))]
    if not queues or not windows:
        return None
    ticket = config.ticket_number(max(queues, key=len), config.rules.max_ticket_number)
    return CallInfo(ticket, str(max(windows)))


def zone_screen_warnings(devices: DeviceConfig, config: HallConfig) -> list[ConfigProblem]:
    """One warning per zone screen too narrow to show its widest call with the window."""
    warnings = []
    for b, bus in enumerate(devices.screen_buses):
        for s, screen in enumerate(bus.screens.zones):
            call = widest_call(config, screen.zone)
            if call is None or zone_line_fitted(call, screen.columns) not in ("", call.ticket):
                continue
            needed = display_width(shortest_with_window(call))
            warnings.append(ConfigProblem(
                DEVICES_FILE, f"screen_buses[{b}].screens.zones[{s}].columns",
                f"{screen.columns} cells cannot show a call with its window ({call.ticket} at window {call.window} needs "
                f"{needed}): zone {screen.zone}'s screen will show ticket numbers only (区域屏过窄，只能显示号码，不显示窗口)"))
    return warnings
