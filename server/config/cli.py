"""Entry points behind `hallq check-config [DIR]` and `hallq import-items FILE`.

They return an exit status instead of exiting, so the hub's CLI can wire them into its own argument
parser and tests can call them directly. Output is meant for a technician at a terminal: one
problem per line, `file: key: reason`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO, TypeVar
from urllib.parse import urlsplit

from server.config.items_import import ImportReport, ItemsImportError, import_items
from server.config.loader import load_hall_config
from server.config.models import HallConfig
from server.config.paths import default_config_dir
from server.config import checks
from server.config.problems import HALL_FILE, ITEMS_FILE, ConfigError, ConfigProblem

T = TypeVar("T")


def check_config_main(dir: Path | None = None, out: TextIO | None = None) -> int:
    """Print every problem of a configuration folder; 0 when there are none, 1 otherwise.

    Every file the hub reads at start is checked, and a problem in one does not hide those of the
    others: a technician fixes them all after one run. The files that refer to the hall (devices,
    voice) are checked against it when it loads; when it does not, their own problems are still
    reported, and what could not be checked is named (it said nothing of them at all)."""
    out = out or sys.stdout
    folder = Path(dir) if dir is not None else default_config_dir()
    if dir is None:  # an OK for the sample read as an OK for the technician's own hall
        print(f"note: no DIR given: checking the SAMPLE hall in {folder}, not this hall's; give the folder the hub serves "
              f"(hallq check-config DIR, the hub's --config) (未指定文件夹，检查的是示例大厅配置)", file=out)
    from server.devices import config as devices_file  # devices.toml is checked against the hall
    from server.stats.assessment_rules import load_rules  # assessment.toml (optional)
    from server.stats.roster import load_roster  # the optional duty roster (roster.toml)
    from server.voice import config as voice_file  # voice.toml, against the hall's zones

    problems: list[ConfigProblem] = []

    def checked(load: Callable[[], T]) -> T | None:
        try:
            return load()
        except ConfigError as error:
            problems.extend(error.problems)
            return None

    config = checked(lambda: load_hall_config(folder))
    if not folder.is_dir():  # nothing else to read: the problem says why
        return _print_problems(problems, folder, out)
    devices = checked(lambda: devices_file.load_device_config(folder, config))
    roster = checked(lambda: load_roster(folder))
    checked(lambda: load_rules(folder))
    checked(lambda: voice_file.load_voice_plan(folder, config))
    problems += voice_file.check_voice_names(folder)
    problems += _ticket_layout_problems(folder)
    if config is None:
        skipped = [
            ConfigProblem(file, "", f"not checked against the hall ({what}): the hall's own files have problems, above")
            for file, what in ((devices_file.DEVICES_FILE, devices_file.HALL_CHECKS), (voice_file.VOICE_FILE, voice_file.HALL_CHECKS))
            if (folder / file).exists()
        ]
        return _print_problems(problems, folder, out, skipped)
    if problems or devices is None or roster is None:
        return _print_problems(problems, folder, out)
    from server.devices.ports import port_warnings  # the serial ports it names, on this machine
    from server.devices.screen_text import unit_names_on_screens  # what its LED screens show
    from server.devices.zone_width import zone_screen_warnings

    warnings = _warnings(config, folder) + port_warnings(devices)
    for warning in warnings + unit_names_on_screens(devices, config) + zone_screen_warnings(devices, config):
        print(f"warning: {warning}", file=out)
    print(
        f"OK {folder}: {config.hall.name}, {len(config.zones)} zones, {len(config.units)} units, "
        f"{len(config.queues)} queues, {_windows_text(config)}, {len(config.items)} items, "
        f"{_count(len(devices.pad_buses), 'pad bus', 'pad buses')}, "
        f"{_count(len(devices.screen_buses), 'screen bus', 'screen buses')}, "
        f"{len(roster.staff)} staff on the roster",
        file=out,
    )
    return 0


def _ticket_layout_problems(folder: Path) -> list[ConfigProblem]:
    """What the kiosk would refuse the folder's ticket.toml for, by the kiosk's own rules
    (kiosk.layout): before this, a technician learned of a mistyped key at the kiosk, in the hall,
    the morning after. The file is optional (a kiosk without --layout prints the defaults)."""
    from server.config.ticket_text import TICKET_FILE

    if not (folder / TICKET_FILE).exists():
        return []
    from kiosk.layout import layout_problems  # pydantic and the printer driver: no pygame

    return layout_problems(folder / TICKET_FILE)


def _warnings(config: HallConfig, folder: Path) -> list[ConfigProblem]:
    """What is valid but almost certainly not meant for a real hall (the sample's own defaults),
    or what a hall runs with but reads wrong (a name its tickets print with a '?')."""
    from server.config.ticket_text import unprintable_on_tickets  # python-escpos: only check-config needs it

    warnings = []
    host = urlsplit(config.hall.status_base_url).hostname or ""
    if host == "localhost" or host.startswith("127.") or host == "::1":
        warnings.append(ConfigProblem(
            HALL_FILE, "",
            f"status_base_url is {config.hall.status_base_url}: the tickets' QR codes point at the machine that scans them, so a "
            "citizen's phone cannot open them; set the hub's address on the hall network"))
    return warnings + checks.numbers_past_width(config) + unprintable_on_tickets(config, folder)


SAME_REASON_SHOWN = 3


def _print_problems(problems: Sequence[ConfigProblem], folder: Path, out: TextIO,
                    skipped: Sequence[ConfigProblem] = ()) -> int:
    """Every problem, except that past SAME_REASON_SHOWN of one file with the same reason the rest
    are counted in one line: one zone code mistyped in zones.toml used to bury its own line under
    145 'unknown zone B' of the queues, windows and items that name it. Then the checks `skipped`
    (not problems: what was not looked at, and why)."""
    shown: dict[tuple[str, str], int] = {}
    for problem in problems:
        key = (problem.file, problem.reason)
        shown[key] = shown.get(key, 0) + 1
        if shown[key] <= SAME_REASON_SHOWN:
            print(problem, file=out)
    for (file, reason), count in shown.items():
        if count > SAME_REASON_SHOWN:
            print(f"{file}: … and {count - SAME_REASON_SHOWN} more with the same problem: {reason}", file=out)
    for skip in skipped:
        print(f"skipped: {skip}", file=out)
    print(f"{len(problems)} problem(s) in {folder}", file=out)
    return 1


def import_items_main(file: Path, config_dir: Path | None = None, out: TextIO | None = None) -> int:
    """Import an export; 0 when every row was imported, 1 if rows were rejected, 2 on failure."""
    out = out or sys.stdout
    folder = Path(config_dir) if config_dir is not None else default_config_dir()
    try:
        report = import_items(folder, Path(file))
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=out)
        print(f"the configuration in {folder} has problems; fix them before importing (hallq check-config) "
              "(大厅配置有误，请先按 hallq check-config 修正后再导入)", file=out)
        return 2
    except ItemsImportError as error:
        print(f"{file}: {error}; nothing was changed (文件无法导入，事项目录未改动)", file=out)
        return 2
    print_report(report, out)
    return 1 if report.rejected else 0


def print_report(report: ImportReport, out: TextIO) -> None:
    if report.replaced:
        for problem in report.replaced:
            print(f"before the import: {problem}", file=out)
        if not report.written:
            outcome = "it was not rewritten (nothing valid to write) (事项目录原有问题，未改写)"
        elif report.backup is not None:
            outcome = (f"its rows with problems were not carried over (the old file is kept as {report.backup.name}) "
                       f"(原目录中有问题的行未保留，原文件另存为 {report.backup.name})")
        else:
            outcome = "a new catalogue was written from the import (已按导入文件新建事项目录)"
        print(f"{ITEMS_FILE} had {len(report.replaced)} problem(s) before the import; {outcome}", file=out)
    for rejected in report.rejected:
        print(f"{report.source}: row {rejected.row} ({rejected.item_code}): {rejected.reason} ({rejected.reason_zh})", file=out)
    if report.ignored_columns:
        print(f"ignored columns: {', '.join(report.ignored_columns)} (未识别的列，已忽略)", file=out)
    counts = (len(report.added), len(report.updated), len(report.unchanged), len(report.rejected))
    print(
        "added {}, updated {}, unchanged {}, rejected {}; ".format(*counts)
        + ("catalogue written" if report.written else "catalogue not changed")
        + " (新增 {} 项，更新 {} 项，未变 {} 项，拒绝 {} 项；".format(*counts)
        + ("已写入事项目录)" if report.written else "事项目录未改动)"),
        file=out,
    )


def _count(n: int, one: str, many: str) -> str:
    """1 pad bus, 2 pad buses (it said 1 screen buses)."""
    return f"{n} {one if n == 1 else many}"


def _windows_text(config: HallConfig) -> str:
    """60 windows and 3 back offices, as the hub's start line counts them (63 windows here read as
    a window too many against it and the docs)."""
    offices = sum(w.kind == "back_office" for w in config.windows)
    return f"{len(config.windows) - offices} windows and {offices} back offices"
