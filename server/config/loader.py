"""Read a hall's configuration folder and report everything wrong with it at once.

The folder holds hall.toml, zones.toml, windows.toml and items.csv (see docs/configuration.md).
Each list entry is validated on its own, so one bad window does not hide the problems of the
others; a broken entry's other keys still go through the checks across entries and files
(`partial_entry`); and references are checked against every code a file declares (even in a
broken entry), so a single mistake is reported once rather than echoed by everything that points
at it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional, TypeVar

from pydantic import BaseModel, ValidationError, create_model

from server.config import checks
from server.config.checks import Known, Located
from server.config.items_csv import CATALOGUE_COLUMNS, FIELD_COLUMNS, CatalogueRow, item_data, item_from_row, read_catalogue
from server.config.models import (
    Calendar,
    HallConfig,
    HallInfo,
    Hours,
    Item,
    Queue,
    Rules,
    Unit,
    Window,
    Zone,
)
from server.config.text import decode_utf8_or_gb18030, looks_utf16
from server.config.problems import (
    HALL_FILE,
    ITEMS_FILE,
    WINDOWS_FILE,
    ZONES_FILE,
    ConfigError,
    ConfigProblem,
    join_path,
    problems_from_validation,
)

M = TypeVar("M", bound=BaseModel)

HALL_SECTIONS: dict[str, type[BaseModel]] = {
    "hall": HallInfo,
    "hours": Hours,
    "calendar": Calendar,
    "rules": Rules,
}
REQUIRED_HALL_SECTIONS = ("hall", "hours")
_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_toml(folder: Path, name: str, problems: list[ConfigProblem]) -> dict[str, Any] | None:
    """Parse one TOML file; a missing file or a syntax error becomes a problem (with its line)."""
    path = folder / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(ConfigProblem(name, "", f"file is missing (expected at {path})"))
        return None
    except OSError as error:
        problems.append(ConfigProblem(name, "", f"cannot read the file: {error}"))
        return None
    if looks_utf16(data):  # before decoding: UTF-16 without a BOM is valid UTF-8, full of NULs
        problems.append(ConfigProblem(name, "", f"{NOT_UTF8}; it looks like UTF-16 (Notepad's \"Unicode\"): {SAVE_AS_UTF8}"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.append(_not_utf8(name, data, error))
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = _LINE.search(str(error))
        where = f"line {match.group(1)}" if match else ""
        hint = (_full_width_hint(text, int(match.group(1)), int(match.group(2))) or _date_hint(text, int(match.group(1)))
                if match else None)
        problems.append(ConfigProblem(name, where, f"TOML syntax error: {error}" + (f"; {hint}" if hint else "")))
        return None


NOT_UTF8 = "the file must be saved as UTF-8"
SAVE_AS_UTF8 = "open it in an editor that can (Notepad++: Encoding > UTF-8; Notepad: Save as, Encoding UTF-8) and save it again"

FULL_WIDTH = {
    "＝": "=", "，": ",", "“": '"', "”": '"', "‘": "'", "’": "'", "：": "=", "［": "[", "］": "]",
    "｛": "{", "｝": "}", "＃": "#", "．": ".", "。": ".", "　": " ", "；": ";", "＂": '"', "＇": "'",
}
"""Punctuation a Chinese input method types in place of TOML's ASCII, and what was meant."""
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')


def _not_utf8(name: str, data: bytes, error: UnicodeDecodeError) -> ConfigProblem:
    """Where the first byte that is not UTF-8 is, and what the file looks like (GBK, the ANSI of
    a Chinese Windows editor), instead of a bare byte offset."""
    line = data[: error.start].count(b"\n") + 1
    try:
        _, encoding = decode_utf8_or_gb18030(data)
    except UnicodeDecodeError:
        what = f"byte 0x{data[error.start]:02x} is not UTF-8 (nor GBK)"
    else:
        what = f"it looks like GBK/GB18030 ({encoding}, a Chinese Windows editor's \"ANSI\")"
    return ConfigProblem(name, f"line {line}", f"{NOT_UTF8}; {what}: {SAVE_AS_UTF8}")


def _full_width_hint(text: str, line: int, column: int) -> str | None:
    """A hint when a syntax error is at a full-width character typed with a Chinese input method
    (`name ＝ "x"`), or on its line: tomllib's own message names neither."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    row = lines[line - 1]
    at = row[column - 1] if 1 <= column <= len(row) else ""
    outside = _QUOTED.sub("", row)  # in a string they are text: `name = "民政，社保"`
    found = [at] if at in FULL_WIDTH else list(dict.fromkeys(c for c in outside if c in FULL_WIDTH))
    if not found:
        return None
    named = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in found)
    meant = ", ".join(f"'{FULL_WIDTH[c]}'" for c in found)
    return (f"line {line} has the full-width {named}, typed with a Chinese input method: "
            f"TOML's punctuation is the ASCII {meant} (inside quotes they are text: fine in a name, not in a time such as \"15:00\") "
            f"(第 {line} 行有中文输入法打出的全角标点，请改为半角)")


_DATE_LIKE = re.compile(r"\b\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?")


def _date_hint(text: str, line: int) -> str | None:
    """A hint when the line of a syntax error holds a date TOML cannot read (2026/12/31,
    2026-12-32, 2026-1-5): tomllib said only "Unclosed array", and a technician looked for a
    missing bracket (holidays and make-up days are lists of dates)."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    dates = _DATE_LIKE.findall(_QUOTED.sub("", lines[line - 1]))
    if not dates:
        return None
    return (f"line {line} has {', '.join(dates)}: a date is written YYYY-MM-DD without quotes (2026-01-05), "
            f"and must be a day of the calendar (日期应写作 YYYY-MM-DD，如 2026-01-05，且须为真实日期)")


def read_optional_toml(folder: Path, name: str) -> dict[str, Any] | None:
    """An optional file of the hall (devices.toml, voice.toml): None when absent, ConfigError
    (with the line of a syntax error) when it is there but unreadable."""
    if not (Path(folder) / name).exists():
        return None
    problems: list[ConfigProblem] = []
    raw = read_toml(Path(folder), name, problems)
    if problems:
        raise ConfigError(problems)
    return raw


def validate_one(
    model: type[M], data: object, file: str, path: str, problems: list[ConfigProblem]
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems.extend(problems_from_validation(error, file, path))
        return None


def validate_list(
    raw: Mapping[str, Any] | None,
    key: str,
    model: type[M],
    file: str,
    problems: list[ConfigProblem],
    partial: list[Located[M]] | None = None,
) -> list[Located[M]]:
    """Validate each entry of an array of tables on its own, keeping the valid ones.

    `partial`, when given, receives each invalid entry that is a table as `partial_entry` builds
    it: what the entry's own problems do not concern, for the checks that span entries and files
    (a duplicate id, an unknown queue) to look at in the same run, instead of after the fix."""
    if raw is None:
        return []
    entries = raw.get(key)
    if entries is None:
        problems.append(ConfigProblem(file, key, f"required list [[{key}]] is missing"))
        return []
    if not isinstance(entries, list):
        problems.append(ConfigProblem(file, key, f"must be a list of [[{key}]] tables"))
        return []
    located = []
    for index, entry in enumerate(entries):
        path = f"{key}[{index}]"
        before = len(problems)
        obj = validate_one(model, entry, file, path, problems)
        if obj is not None:
            located.append((path, obj))
        elif partial is not None and isinstance(entry, dict):
            bad = {p.key_path.removeprefix(path + ".").split(".")[0].split("[")[0] for p in problems[before:]}
            partial.append((path, partial_entry(model, entry, bad)))
    return located


def partial_entry(model: type[M], entry: Mapping[str, Any], bad: set[str]) -> M:
    """An invalid entry's keys that are right by themselves, validated; a key it leaves out, its
    default; every other field None (the keys named in `bad`, required ones missing), whatever
    its type says; its model_fields_set
    are the keys the entry gave, as a valid entry's. Checks read such an
    object as "not known": `checks.duplicates` and references skip None. Built without the
    entry's rules between keys (a window's number and kind), which its own problems concern."""
    good = {k: v for k, v in entry.items() if k in model.model_fields and k not in bad}
    values: dict[str, Any] = {
        name: None if name in bad or field.is_required() else field.get_default(call_default_factory=True)
        for name, field in model.model_fields.items()
    }
    for name, value in good.items():
        try:  # one key at a time, through the model's own validators for it (pads' addresses)
            values[name] = _lenient(model).model_validate({name: value}).__dict__[name]
        except ValidationError:  # right in the entry, wrong alone (never seen): unknown
            pass
    # fields set: the keys the file gave, right or not, as for a valid entry
    return model.model_construct({k for k in entry if k in model.model_fields}, **values)


_LENIENT: dict[type[BaseModel], type[BaseModel]] = {}


def _passes(self: BaseModel) -> BaseModel:
    """An after-validator that finds nothing wrong."""
    return self


def _lenient(model: type[BaseModel]) -> type[BaseModel]:
    """The model with every field optional (default None) and without its model validators
    (rules between fields: an Item's instant and promised_days refused an Item of its code
    alone), for `partial_entry`; its field validators stay (the pads' addresses)."""
    if model not in _LENIENT:
        fields: dict[str, Any] = {name: (Optional[field.annotation], None) for name, field in model.model_fields.items()}
        optional = create_model(f"Partial{model.__name__}", __base__=model, **fields)
        # pydantic calls a subclass's attribute of a validator's name in its place
        unchecked = {name: _passes for name, validator in model.__pydantic_decorators__.model_validators.items()
                     if validator.info.mode == "after"}
        _LENIENT[model] = type(optional.__name__, (optional,), unchecked)
    return _LENIENT[model]


def in_file_order(*lists: list[Located[M]]) -> list[Located[M]]:
    """validate_list's valid and partial entries of one list, back in the file's order."""
    return sorted((entry for located in lists for entry in located), key=lambda entry: _index(entry[0]))


def _index(path: str) -> int:
    """The position in "windows[12]" (12), or the line in "row 57" (57)."""
    return int(re.split(r"[\[ ]", path)[-1].rstrip("]"))


def unknown_keys(
    raw: Mapping[str, Any] | None, allowed: tuple[str, ...], file: str, problems: list[ConfigProblem]
) -> None:
    for key in raw or {}:
        if key not in allowed:
            problems.append(
                ConfigProblem(file, key, f"unknown key (expected only: {', '.join(allowed)})")
            )


def declared(raw: Mapping[str, Any] | None, key: str, field: str) -> frozenset[str] | None:
    """Codes a file declares, read from the raw entries so broken entries still count."""
    if raw is None or not isinstance(raw.get(key), list):
        return None
    return frozenset(
        entry[field]
        for entry in raw[key]
        if isinstance(entry, dict) and isinstance(entry.get(field), str)
    )


def _load_hall_sections(raw: Mapping[str, Any] | None, problems: list[ConfigProblem]) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    if raw is None:
        return sections
    unknown_keys(raw, tuple(HALL_SECTIONS), HALL_FILE, problems)
    for name, model in HALL_SECTIONS.items():
        if name in raw:
            sections[name] = validate_one(model, raw[name], HALL_FILE, name, problems)
        elif name in REQUIRED_HALL_SECTIONS:
            problems.append(ConfigProblem(HALL_FILE, name, f"required section [{name}] is missing"))
        else:
            sections[name] = model()
    return sections


def _served_prefixes(raw: Mapping[str, Any] | None) -> set[str]:
    served: set[str] = set()
    for entry in (raw or {}).get("windows") or []:
        if isinstance(entry, dict) and isinstance(entry.get("queues"), dict):
            served.update(entry["queues"])
    return served


def _load_items(
    folder: Path, known: Known, problems: list[ConfigProblem]
) -> list[Located[Item]]:
    try:
        header, rows = read_catalogue(folder / ITEMS_FILE)
    except FileNotFoundError:
        problems.append(
            ConfigProblem(ITEMS_FILE, "", f"file is missing (expected at {folder / ITEMS_FILE})")
        )
        return []
    except (OSError, UnicodeDecodeError) as error:
        problems.append(ConfigProblem(ITEMS_FILE, "", f"cannot read the file as UTF-8: {error}"))
        return []
    missing = [c for c in CATALOGUE_COLUMNS if c not in header]
    for column in header:
        if column not in CATALOGUE_COLUMNS:
            problems.append(ConfigProblem(ITEMS_FILE, f"header.{column}", "unknown column"))
    if missing:
        problems.append(
            ConfigProblem(ITEMS_FILE, "header", f"missing column(s): {', '.join(missing)}")
        )
        return []
    items: list[Located[Item]] = []
    broken: list[Located[Item]] = []
    for row in rows:
        path = f"row {row.line}"
        result = item_from_row(row.values, path, ITEMS_FILE)
        misread = row.misread(len(header), valid=not isinstance(result, list))
        if misread:  # its cells' own problems would be those of their neighbours' values
            problems.append(ConfigProblem(ITEMS_FILE, path, misread.reason))
            continue
        if isinstance(result, list):
            problems.extend(result)
            # its other cells are still cross-checked (a duplicate code, an unknown queue)
            bad = {field for field, column in FIELD_COLUMNS.items()
                   if any(_within(p.key_path, join_path(path, column)) for p in result)}
            broken.append((path, partial_entry(Item, item_data(row.values), bad)))
            continue
        problems.extend(_names_agree(row, result, known, path))
        items.append((path, result))
    problems += checks.check_items(in_file_order(items, broken), known, code_key="item_code")
    return items


def _names_agree(row: CatalogueRow, item: Item, known: Known, path: str) -> list[ConfigProblem]:
    """department/zone_name are for readers; make sure they still say what unit/zone say."""
    problems = []
    for column, expected in (
        ("department", known.unit_names.get(item.unit)),
        ("zone_name", known.zone_names.get(item.zone)),
    ):
        given = (row.values.get(column) or "").strip()
        if expected is not None and given != expected:
            problems.append(
                ConfigProblem(
                    ITEMS_FILE,
                    join_path(path, column),
                    f"{given!r} does not match {expected!r} declared in {ZONES_FILE}",
                )
            )
    return problems


def load_hall_config(dir: Path) -> HallConfig:
    """Load and cross-check a configuration folder; raise ConfigError listing every problem."""
    parts, problems, items, catalogue_problems = _read_folder(Path(dir))
    if problems or catalogue_problems:
        raise ConfigError(problems + catalogue_problems)
    return _build(parts, items, Path(dir))


def load_hall_for_catalogue(dir: Path) -> tuple[HallConfig, list[ConfigProblem]]:
    """The hall with only the valid rows of its catalogue, and the catalogue's problems.

    For `import-items`, the tool that repairs a broken or missing items.csv: it needs the other
    files right (units, zones and queues place the imported items), not the catalogue it replaces.
    Raises ConfigError when the other files have problems."""
    parts, problems, items, catalogue_problems = _read_folder(Path(dir))
    if problems:
        raise ConfigError(problems + catalogue_problems)
    valid = [(path, item) for path, item in items if not any(_within(p.key_path, path) for p in catalogue_problems)]
    return _build(parts, valid, Path(dir)), catalogue_problems


def _within(key: str, path: str) -> bool:
    """Whether a problem's key path points into the row at `path` ("row 9.queue" into "row 9")."""
    return key == path or key.startswith(path + ".")


def _read_folder(
    folder: Path,
) -> tuple[dict[str, Any], list[ConfigProblem], list[Located[Item]], list[ConfigProblem]]:
    """(the parts of a HallConfig but its items, the problems of hall/zones/windows, the valid
    catalogue rows, the catalogue's problems)."""
    problems: list[ConfigProblem] = []
    if folder.is_file():  # `check-config config/hall.toml`: the folder is what it takes
        raise ConfigError([ConfigProblem(str(folder), "", f"this is a file: give the configuration folder ({folder.parent})")])
    if not folder.is_dir():
        raise ConfigError([ConfigProblem(str(folder), "", "configuration folder does not exist")])

    hall_raw = read_toml(folder, HALL_FILE, problems)
    zones_raw = read_toml(folder, ZONES_FILE, problems)
    windows_raw = read_toml(folder, WINDOWS_FILE, problems)

    sections = _load_hall_sections(hall_raw, problems)
    unknown_keys(zones_raw, ("zones", "units", "queues"), ZONES_FILE, problems)
    unknown_keys(windows_raw, ("windows",), WINDOWS_FILE, problems)
    # The invalid entries' other keys are cross-checked too (`partial_entry`), in file order.
    broken_zones: list[Located[Zone]] = []
    broken_units: list[Located[Unit]] = []
    broken_queues: list[Located[Queue]] = []
    broken_windows: list[Located[Window]] = []
    zones = validate_list(zones_raw, "zones", Zone, ZONES_FILE, problems, broken_zones)
    units = validate_list(zones_raw, "units", Unit, ZONES_FILE, problems, broken_units)
    queues = validate_list(zones_raw, "queues", Queue, ZONES_FILE, problems, broken_queues)
    windows = validate_list(windows_raw, "windows", Window, WINDOWS_FILE, problems, broken_windows)

    valid = checks.known_from(
        (z for _, z in zones), (u for _, u in units), (q for _, q in queues)
    )
    known = Known(
        zones=declared(zones_raw, "zones", "code"),
        units=declared(zones_raw, "units", "code"),
        queues=declared(zones_raw, "queues", "prefix"),
        queue_zones=valid.queue_zones,
        unit_names=valid.unit_names,
        zone_names=valid.zone_names,
    )
    if sections.get("hours") is not None:
        problems += checks.check_hours(sections["hours"])
    if sections.get("calendar") is not None:
        problems += checks.check_calendar(sections["calendar"])
    problems += checks.check_zones(in_file_order(zones, broken_zones))
    problems += checks.check_units(in_file_order(units, broken_units))
    problems += checks.check_queues(in_file_order(queues, broken_queues), known, sections.get("rules"))
    problems += checks.check_assisted_queue(sections.get("hall"), known, queues)
    problems += checks.check_windows(in_file_order(windows, broken_windows), known)
    if windows_raw is not None:
        problems += checks.check_queues_served(in_file_order(queues, broken_queues), _served_prefixes(windows_raw))
    catalogue_problems: list[ConfigProblem] = []
    items = _load_items(folder, known, catalogue_problems)
    if not catalogue_problems:  # a catalogue that did not load would name every listed code
        problems += checks.check_id_required_items(sections.get("rules"), {i.code for _, i in items})
    parts = dict(
        **sections,
        zones=[z for _, z in zones],
        units=[u for _, u in units],
        queues=[q for _, q in queues],
        windows=[w for _, w in windows],
    )
    return parts, problems, items, catalogue_problems


def _build(parts: dict[str, Any], items: list[Located[Item]], folder: Path) -> HallConfig:
    try:
        return HallConfig(**parts, items=[i for _, i in items])
    except ValidationError as error:  # a rule the per-file checks missed: still report it
        raise ConfigError(problems_from_validation(error, str(folder))) from error
