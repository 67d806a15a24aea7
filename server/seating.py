"""Who may take which window: a unit's window is for that unit's people.

Why: windows.toml names the unit that staffs a window (``unit``), and a clerk's account names
the clerk's unit (进驻单位). Nothing held the two together: a 公安 clerk could sign in at a 税务
window from the web pad's list or a pad's keys and serve 税务 citizens, their tickets, waits and
ratings recorded at a window of the wrong unit, and the clerk's own unit's queue went unserved.
Free for all stay a window with no unit (the shared 综合受理 and 帮代办 windows) and a clerk with
no unit (the hall's own staff, managers). Relief across units is the hall manager's decision, so
a manager signing a clerk in (POST /windows/{id}/login with ``staff_id``) is not held to it.
"""
from __future__ import annotations

from server.accounts import Principal
from server.config.models import HallConfig
from server.errors import HallQError


def refuse_other_unit(config: HallConfig, window_id: str, person: Principal) -> None:
    """Raise 403 ``other_unit`` when ``person`` belongs to a unit and the window to another."""
    window = config.window(window_id)
    if window is None or window.unit is None or person.unit is None or window.unit == person.unit:
        return
    raise HallQError(
        "other_unit",
        f"{window.name}属于{_unit_name(config, window.unit)}，您的账号属于{_unit_name(config, person.unit)}；"
        "跨单位顶岗请由大厅管理员安排",
        f"{person.name} belongs to unit {person.unit}; window {window_id} is unit {window.unit}'s",
        403,
        {"window_unit": window.unit, "staff_unit": person.unit},
    )


def _unit_name(config: HallConfig, code: str) -> str:
    unit = config.unit(code)
    return unit.name if unit is not None else code
