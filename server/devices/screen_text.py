"""Unit names an LED window screen cannot show, for `hallq check-config`.

Why: an LED window screen shows, between calls, the clerk's name and the window's unit
(display.led.templates.window_idle, from zones.toml units[].name). LED modules draw GBK, which
has no code for a four-byte GB18030 character (CJK Extensions A and B: rare given names, emoji).
The idle text shows such a character as '?' whatever the bus's on_unencodable (a strict bus
refused the whole text, and the screen went on showing the last called ticket): nobody learns of
it until someone reads the screen.

These are warnings, like those of the ticket names (server.config.ticket_text): the hall runs.
Only what the configuration decides is checked: units of windows that have a window screen on a
bus whose screens draw Chinese (a candle board draws ASCII only and drops all Chinese by design).
A window without a unit shows its clerk's unit, and the clerk's name comes from the accounts:
neither is known before the hub runs. The other LED texts are ticket and window numbers.
"""

from __future__ import annotations

from display.led.dialects import make_codec
from display.led.errors import EncodeError, LedError
from display.led.textcodec import encode_gbk
from server.config.models import HallConfig
from server.config.problems import ZONES_FILE, ConfigProblem
from server.devices.config import DEVICES_FILE, DeviceConfig

CHINESE_PROBE = "中"
"""A character every Chinese LED module draws: a bus whose codec sends it as its GBK code shows
Chinese; one that does not (candle) never shows a unit's name at all."""


def unit_names_on_screens(devices: DeviceConfig, config: HallConfig) -> list[ConfigProblem]:
    """One warning per unit name and screen bus when the name has characters without a GBK code,
    at the unit's name (what to change), naming the bus and the windows whose screens show it."""
    warnings = []
    for b_index, bus in enumerate(devices.screen_buses):
        try:
            codec = make_codec(bus.dialect, bus.params, source=f"screen_buses[{b_index}].params")
        except LedError:  # reported as a problem by the devices' checks already
            continue
        if codec.text_bytes(CHINESE_PROBE) != CHINESE_PROBE.encode("gbk"):
            continue
        windows: dict[str, list[str]] = {}  # unit code -> ids of its windows with a screen here
        for window_id in bus.screens.windows.values():
            window = config.window(window_id)
            if window is not None and window.unit is not None and window_id not in windows.get(window.unit, []):
                windows.setdefault(window.unit, []).append(window_id)
        for u_index, unit in enumerate(config.units):
            missing = [ch for ch in dict.fromkeys(unit.name) if not _screens_show(ch)]
            if unit.code in windows and missing:
                warnings.append(ConfigProblem(
                    ZONES_FILE, f"units[{u_index}].name",
                    _reason(missing, f"{bus.name} ({DEVICES_FILE} screen_buses[{b_index}])", windows[unit.code])))
    return warnings


def _screens_show(ch: str) -> bool:
    """What the screens' codec accepts (control characters are refused too)."""
    try:
        encode_gbk(ch)
    except EncodeError:
        return False
    return True


def _reason(chars: list[str], bus: str, windows: list[str]) -> str:
    named = ", ".join(f"'{c}' (U+{ord(c):04X})" if c.isprintable() else f"U+{ord(c):04X}" for c in chars)
    it = "them" if len(chars) > 1 else "it"
    return (f"LED screens cannot show {named} (GBK text only): screen bus {bus} shows {it} as ? on the window "
            f"screens of {', '.join(windows)} between calls; change the wording")


__all__ = ["unit_names_on_screens"]
