"""check-config reports every problem it can find in one run, through the real loader and the
command's own entry point, on a copy of the sample hall written to a tmp folder."""

from __future__ import annotations

import csv
import io
import shutil
import tomllib
from pathlib import Path

from server.config.cli import check_config_main
from server.config.paths import default_config_dir
from server.config.toml_write import dump_toml


def _hall(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(default_config_dir(), folder)
    return folder


def _edit(folder: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    data = tomllib.loads((folder / name).read_text(encoding="utf-8"))
    change(data)
    (folder / name).write_text(dump_toml(data), encoding="utf-8")


def _check(folder: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    status = check_config_main(folder, out)
    return status, out.getvalue().splitlines()


def test_an_invalid_window_is_still_cross_checked(tmp_path: Path) -> None:
    """Tried: windows[5] with a number that is not a number, the id of windows[0] and a queue Z9
    nobody declares; and queues[3] with daily_cap 0, a queue windows serve. Reported at once: the
    number, the duplicate id and the unknown queue of windows[5] (the last two used to wait for the
    next run), and the cap; the windows serving the invalid queue are not told it does not exist."""
    folder = _hall(tmp_path)

    def window(data: dict) -> None:  # type: ignore[type-arg]
        data["windows"][5].update(number="x", id=data["windows"][0]["id"])
        data["windows"][5]["queues"]["Z9"] = 1

    _edit(folder, "windows.toml", window)
    _edit(folder, "zones.toml", lambda data: data["queues"][3].update(daily_cap=0))
    status, lines = _check(folder)
    assert status == 1
    problems = [line for line in lines if not line.startswith(("skipped:", "note:"))]
    first_id = tomllib.loads((folder / "windows.toml").read_text(encoding="utf-8"))["windows"][0]["id"]
    assert problems == [
        "zones.toml: queues[3].daily_cap: Input should be greater than or equal to 1 (got 0)（数值太小）",
        "windows.toml: windows[5].number: Input should be a valid integer, unable to parse string as an integer (got 'x')（应为整数）",
        f"windows.toml: windows[5].id: duplicate window id {first_id} (already used by windows[0])",
        "windows.toml: windows[5].queues.Z9: unknown queue Z9 (not declared in zones.toml)",
        "4 problem(s) in " + str(folder),
    ]


def test_an_invalid_bus_is_still_cross_checked(tmp_path: Path) -> None:
    """Tried: devices.toml with a valid pad bus, then a pad bus with a baud no port speaks
    (19201) but also the first one's name and port, a pad for the first one's window, a pad for
    a window W99 and a transfer key without a pad; then a screen bus with baud 12 on the same port
    showing W99. Reported in one run: both bauds and every other mistake of the two invalid buses
    (before, only the two bauds)."""
    folder = _hall(tmp_path)
    (folder / "devices.toml").write_text(
        '[[pad_buses]]\nname = "a"\nurl = "/dev/ttyUSB0"\ndialect = "hallq"\npads = { 1 = "W01" }\n'
        '[[pad_buses]]\nname = "a"\nurl = "/dev/ttyUSB0"\ndialect = "hallq"\nbaud = 19201\n'
        'pads = { 2 = "W01", 3 = "W99" }\ntransfer_presets = { 7 = { kind = "queue", target = "ZZ" } }\n'
        '[[screen_buses]]\nname = "s"\nurl = "/dev/ttyUSB0"\ndialect = "pingan"\nbaud = 12\n'
        '[screen_buses.screens]\nwindows = { 1 = "W99" }\n',
        encoding="utf-8",
    )
    status, lines = _check(folder)
    assert status == 1
    for line in (
        "devices.toml: pad_buses[1].name: bus name 'a' is already used by pad_buses[0]",
        "devices.toml: pad_buses[1].url: '/dev/ttyUSB0' is already the line of pad_buses[0]",
        "devices.toml: screen_buses[0].url: '/dev/ttyUSB0' is already the line of pad_buses[0]",
        "devices.toml: pad_buses[1].pads.2: window 'W01' already has a pad at pad_buses[0].pads.1",
        "devices.toml: pad_buses[1].pads.3: unknown window 'W99'",
        "devices.toml: pad_buses[1].transfer_presets.7: no pad at this address (add it to pads first)",
        "devices.toml: pad_buses[1].transfer_presets.7.target: unknown queue 'ZZ'",
        "devices.toml: screen_buses[0].screens.windows.1: unknown window 'W99'",
    ):
        assert line in lines, (line, lines)
    assert sum("not a standard serial rate" in line for line in lines) == 2
    assert lines[-1] == f"10 problem(s) in {folder}"


def test_sample_hall_still_passes(tmp_path: Path) -> None:
    """Tried: the shipped config/ unchanged. Kept: OK and exit 0, no problem line."""
    status, lines = _check(_hall(tmp_path))
    assert status == 0 and lines[-1].startswith("OK "), lines


def _buses(folder: Path, *urls: str) -> None:
    (folder / "devices.toml").write_text(
        "".join(
            f'[[pad_buses]]\nname = "p{i}"\nurl = "{url}"\ndialect = "hallq"\npads = {{ 1 = "W0{i + 1}" }}\n'
            for i, url in enumerate(urls)
        ),
        encoding="utf-8",
    )


def test_one_port_spelled_two_ways_is_one_line(tmp_path: Path) -> None:
    """Tried: pad buses on /dev/ttyUSB0, then /dev/ttyUSB0/, /dev/../dev/ttyUSB0 and
    //dev/ttyUSB0; in another hall socket://10.0.0.5:4001 then SOCKET://10.0.0.5:4001/. Reported:
    each later spelling as already the line of pad_buses[0], naming the first spelling (they
    passed as separate lines, and the second bus could not open its port at run time)."""
    folder = _hall(tmp_path)
    _buses(folder, "/dev/ttyUSB0", "/dev/ttyUSB0/", "/dev/../dev/ttyUSB0", "//dev/ttyUSB0")
    status, lines = _check(folder)
    assert status == 1
    assert [line for line in lines if ".url:" in line] == [
        f"devices.toml: pad_buses[{i}].url: {url!r} is already the line of pad_buses[0] (the same port as '/dev/ttyUSB0')"
        for i, url in ((1, "/dev/ttyUSB0/"), (2, "/dev/../dev/ttyUSB0"), (3, "//dev/ttyUSB0"))
    ]
    _buses(folder, "socket://10.0.0.5:4001", "SOCKET://10.0.0.5:4001/")
    status, lines = _check(folder)
    assert status == 1
    assert "devices.toml: pad_buses[1].url: 'SOCKET://10.0.0.5:4001/' is already the line of pad_buses[0] " \
        "(the same port as 'socket://10.0.0.5:4001')" in lines


def test_different_lines_stay_apart(tmp_path: Path) -> None:
    """Tried: buses on /dev/ttyUSB0, /dev/ttyUSB1, socket://10.0.0.5:4001, socket://10.0.0.5:4002,
    and two on loop:// (pyserial's loopback: every opening is a line of its own). Kept: OK, no
    url problem."""
    folder = _hall(tmp_path)
    _buses(folder, "/dev/ttyUSB0", "/dev/ttyUSB1", "socket://10.0.0.5:4001", "socket://10.0.0.5:4002", "loop://", "loop://")
    status, lines = _check(folder)
    assert status == 0, lines


def test_bus_names_are_checked_in_words(tmp_path: Path) -> None:
    """Tried: pad buses named "", " pads-A" (a leading space), "pads\\tA" (a tab) and "区A",
    then a screen bus named "pads-B" like the pad bus before it. Reported: each bad name at its
    key path with the rule in words (it was the raw regular expression), and the second
    "pads-B" as already used (the existing uniqueness rule, across pad and screen buses)."""
    folder = _hall(tmp_path)
    names = ["", " pads-A", "pads\\tA", "区A", "pads-B"]
    (folder / "devices.toml").write_text(
        "".join(
            f'[[pad_buses]]\nname = "{name}"\nurl = "/dev/ttyUSB{i}"\ndialect = "hallq"\npads = {{ 1 = "W0{i + 1}" }}\n'
            for i, name in enumerate(names)
        )
        + '[[screen_buses]]\nname = "pads-B"\nurl = "/dev/ttyS0"\ndialect = "pingan"\n[screen_buses.screens]\n',
        encoding="utf-8",
    )
    status, lines = _check(folder)
    assert status == 1
    rule = "a bus name is 1 to 40 ASCII letters, digits, '_', '.' or '-', starting with a letter or digit"
    shown = {"": "''", " pads-A": "' pads-A'", "pads\\tA": "'pads\\tA'", "区A": "'区A'"}
    assert [line for line in lines if ".name:" in line] == [
        *(f"devices.toml: pad_buses[{i}].name: {rule} (got {shown[name]})" for i, name in enumerate(names[:4])),
        "devices.toml: screen_buses[0].name: bus name 'pads-B' is already used by pad_buses[4]",
    ], lines


def test_an_invalid_catalogue_row_is_still_cross_checked(tmp_path: Path) -> None:
    """Tried: items.csv row 5 given promised_days "x", the item_code of row 2 and a queue Z9
    nobody declares. Reported in one run: the bad days, the duplicate code and the unknown queue
    (the last two used to wait for the fix of the first)."""
    folder = _hall(tmp_path)
    with open(folder / "items.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[3].update(promised_days="x", item_code=rows[0]["item_code"], queue="Z9")
    with open(folder / "items.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    status, lines = _check(folder)
    assert status == 1
    problems = [line for line in lines if line.startswith("items.csv")]
    assert problems[0].startswith("items.csv: row 5.promised_days: ") and "'x'" in problems[0]
    assert problems[1:] == [
        f"items.csv: row 5.item_code: duplicate item code {rows[0]['item_code']} (already used by row 2)",
        "items.csv: row 5.queue: unknown queue Z9 (not declared in zones.toml)",
    ]
