"""check-config warns of unit names an LED window screen cannot show (GBK text only).

A private copy of the sample hall (tmp_path) gets a rare character in a unit's name and LED
window screens in devices.toml; the test reads the exact warning lines of `hallq check-config`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config.cli import check_config_main

from .hallfiles import rename


def test_unit_names_led_window_screens_cannot_show_are_warned_about(hall_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tried: a unit named with 𠀾 (no GBK code), its window W11 on LED window screens, one bus
    strict (on_unencodable = "error"), one not. The idle text (clerk and unit) shows '?' for it on
    both (window_idle). Kept: a warning at the unit's name per bus, naming the bus and the
    windows; none for the other units on the buses (W12's U09, W13's U10: their names are fine),
    nor for a candle board, which draws no Chinese at all."""
    rename(hall_dir, "units", "U08", "县𠀾市场监督管理局", "department")
    (hall_dir / "devices.toml").write_text(
        '[[screen_buses]]\nname = "screens-B"\nurl = "socket://127.0.0.1:4001"\ndialect = "pingan"\n'
        '[screen_buses.screens]\nwindows = { 1 = "W11", 2 = "W12", 3 = "W13" }\n'
        '[[screen_buses]]\nname = "screens-B2"\nurl = "socket://127.0.0.1:4002"\ndialect = "pingan"\n'
        'params = { on_unencodable = "replace" }\n[screen_buses.screens]\nwindows = { 5 = "W11", 6 = "W12" }\n'
        '[[screen_buses]]\nname = "screens-B3"\nurl = "socket://127.0.0.1:4003"\ndialect = "candle"\n'
        '[screen_buses.screens]\nwindows = { 32 = "W11" }\n',
        encoding="utf-8")
    assert check_config_main(hall_dir) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("OK ") and "3 screen buses" in lines[-1]
    assert [line for line in lines if "LED screens" in line] == [
        "warning: zones.toml: units[7].name: LED screens cannot show '𠀾' (U+2003E) (GBK text only): screen bus screens-B "
        "(devices.toml screen_buses[0]) shows it as ? on the window screens of W11 between calls; change the wording",
        "warning: zones.toml: units[7].name: LED screens cannot show '𠀾' (U+2003E) (GBK text only): screen bus "
        "screens-B2 (devices.toml screen_buses[1]) shows it as ? on the window screens of W11 between calls; change the "
        "wording",
    ]


def test_the_ok_line_counts_one_bus_as_one(hall_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tried: a hall with one screen bus. Seen: "1 screen buses". Kept: "1 screen bus", "0 pad buses"."""
    (hall_dir / "devices.toml").write_text(
        '[[screen_buses]]\nname = "screens-B"\nurl = "socket://127.0.0.1:4001"\ndialect = "pingan"\n'
        '[screen_buses.screens]\nwindows = { 1 = "W12" }\n', encoding="utf-8")
    assert check_config_main(hall_dir) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert ", 0 pad buses, 1 screen bus, " in last, last
