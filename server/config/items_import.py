"""Import the province's item export into config/items.csv.

Halls receive their catalogue as a spreadsheet from the provincial platform, in whatever encoding
the office PC saved it. The import upserts by item code, fills in the unit and queue the export
does not know about, rejects bad rows with their spreadsheet row number and reason, and replaces
the catalogue atomically: a failed import leaves the previous catalogue byte for byte.

Header mapping (English = the catalogue's own column names; Chinese = the provincial export):
    item_code 事项编码 · item_name 事项名称 · department 实施部门 · item_type 事项类型 · zone 分区 ·
    zone_name 分区名称 · instant 即办件 · promised_days 承诺时限 · unit 单位编码 · queue 队列 ·
    daily_cap 每日限额
unit, queue, daily_cap and zone_name are optional. Other columns are ignored and listed in the
report.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from server.config import checks
from server.config.items_csv import (
    FIELD_COLUMNS,
    CatalogueRow,
    item_from_row,
    item_to_row,
    parse_days,
    parse_instant,
    write_catalogue,
)
from server.config.loader import load_hall_for_catalogue
from server.config.models import ITEM_CODE_PATTERN, HallConfig, Item
from server.config.problems import ITEMS_FILE, ConfigProblem
from server.config.text import decode_utf8_or_gb18030

HEADER_ALIASES: dict[str, str] = {
    "item_code": "item_code", "事项编码": "item_code",
    "item_name": "item_name", "事项名称": "item_name",
    "department": "department", "实施部门": "department",
    "item_type": "item_type", "事项类型": "item_type",
    "zone": "zone", "分区": "zone",
    "zone_name": "zone_name", "分区名称": "zone_name",
    "instant": "instant", "即办件": "instant",
    "promised_days": "promised_days", "承诺时限": "promised_days",
    "unit": "unit", "单位编码": "unit",
    "queue": "queue", "队列": "queue",
    "daily_cap": "daily_cap", "每日限额": "daily_cap",
}
COLUMNS_ZH: dict[str, str] = {column: name for name, column in HEADER_ALIASES.items() if not name.isascii()}
"""Catalogue column -> its Chinese header, to name a column in a Chinese reason."""
REQUIRED_COLUMNS = (
    "item_code", "item_name", "department", "item_type", "zone", "instant", "promised_days",
)


class ItemsImportError(Exception):
    """The file as a whole cannot be imported (unreadable, wrong type, missing columns).

    Raised before anything is written, so the catalogue is untouched.
    """


class RowRejected(ValueError):
    """Why one row is not imported, in both of the hall's languages: the technician reads the
    report beside the province's Chinese export (str() is the English)."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.reason_zh = reason_zh


@dataclass(frozen=True)
class RejectedRow:
    row: int  # spreadsheet row number: the header is row 1
    item_code: str
    reason: str
    reason_zh: str


@dataclass
class ImportReport:
    source: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    written: bool = False
    replaced: list[ConfigProblem] = field(default_factory=list)
    """The problems of the catalogue before the import (missing, unreadable, bad rows): its bad
    rows are not carried over, and the old file is kept as `backup`."""
    backup: Path | None = None


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030 (server.config.text)."""
    try:
        return decode_utf8_or_gb18030(data)[0]
    except UnicodeDecodeError as error:
        raise ItemsImportError(f"the file is neither UTF-8 nor GB18030 text: {error}") from None


def _cell(value: object) -> str:
    """Spreadsheet cells as text: Excel stores 13-digit codes and day counts as numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(path: Path) -> list[list[str]]:
    text = _decode(path.read_bytes())
    if "\x00" in text:
        raise ItemsImportError("the file contains NUL bytes; it is not a CSV text file")
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as error:
        raise ItemsImportError(f"not a valid CSV file: {error}") from None


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as error:
        raise ItemsImportError(f"cannot open the workbook: {error}") from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ItemsImportError(f"cannot read the first sheet: {error}") from None
    finally:
        workbook.close()


def read_source(path: Path, report: ImportReport) -> tuple[int, list[CatalogueRow]]:
    """The header's width and the rows of a .csv or .xlsx export keyed by catalogue column names
    (a row counts its cells, to be judged by `CatalogueRow.misread`)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            table = _read_csv(path)
        elif suffix == ".xlsx":
            table = _read_xlsx(path)
        else:
            raise ItemsImportError(f"unsupported file type {suffix!r}: save it as .xlsx or .csv")
    except OSError as error:
        raise ItemsImportError(f"cannot read {path}: {error}") from None
    if not table:
        raise ItemsImportError("the file is empty")
    columns: list[str | None] = []
    for header in table[0]:
        name = str(header).strip().lstrip("\ufeff")
        canonical = HEADER_ALIASES.get(name) or HEADER_ALIASES.get(name.lower())
        if canonical is None and name:
            report.ignored_columns.append(name)
        columns.append(canonical)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ItemsImportError(f"missing column(s): {', '.join(missing)}")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {col: str(cell).strip() for col, cell in zip(columns, cells) if col is not None}
        extra = tuple(str(cell) for cell in cells[len(columns):])
        if any(values.values()) or any(cell.strip() for cell in extra):
            rows.append(CatalogueRow(number, values, len(cells), extra))
    return len(columns), rows


class _Resolver:
    """Turns a source row into a catalogue Item using the hall's units, zones and queues."""

    def __init__(self, config: HallConfig) -> None:
        self.config = config
        self.zones = {z.code: z for z in config.zones}
        self.units_by_name = {u.name: u for u in config.units}
        self.units = {u.code: u for u in config.units}
        self.queues = {q.prefix: q for q in config.queues}
        self.existing = {i.code: i for i in config.items}
        self.known = checks.known_from(config.zones, config.units, config.queues)

    def item(self, values: dict[str, str]) -> Item:
        """Raises RowRejected with the row's reason for rejection."""
        code = values.get("item_code", "")
        if not re.match(ITEM_CODE_PATTERN, code):
            raise RowRejected(f"bad item code {code!r} (4-40 letters, digits or '-')",
                              f"事项编码有误：{code!r}（应为 4 至 40 位字母、数字或 -）")
        if not values.get("item_name"):
            raise RowRejected("missing item name", "缺少事项名称")
        zone = values.get("zone", "").upper()
        if zone not in self.zones:
            raise RowRejected(f"unknown zone {values.get('zone', '')!r}", f"分区不存在：{values.get('zone', '')!r}")
        unit = self._unit(values)
        previous = self.existing.get(code)
        if previous is not None and (previous.unit, previous.zone) != (unit, zone):
            previous = None  # moved: its queue and cap were for another place
        queue = values.get("queue") or (previous.queue if previous is not None else self._queue_for(unit, zone))
        cap_text = values.get("daily_cap", "")
        daily_cap = cap_text or (previous.daily_cap if previous is not None else None)
        instant = parse_instant(values.get("instant", ""))
        if not isinstance(instant, bool):
            raise RowRejected(f"instant must be 是 or 否, got {values.get('instant', '')!r}",
                              f"即办件应填“是”或“否”，现为 {values.get('instant', '')!r}")
        try:
            promised_days = parse_days(values.get("promised_days", ""))
        except ValueError as error:
            raise RowRejected(str(error), f"承诺时限应为整数天数，现为 {values.get('promised_days', '')!r}") from None
        try:
            # by model_validate: daily_cap may still be the cell's text, which pydantic parses
            item = Item.model_validate(dict(
                code=code, name=values["item_name"], unit=unit,
                item_type=values.get("item_type", ""), zone=zone, queue=queue, instant=instant,
                promised_days=promised_days, daily_cap=daily_cap,
            ))
        except ValidationError as error:
            raise _rejected_by_model(error) from None
        problems = checks.check_items([("", item)], self.known)
        if problems:
            raise RowRejected("; ".join(f"{p.key_path}: {p.reason}" for p in problems),
                              "；".join(self._mismatch_zh(item, p.key_path) for p in problems))
        return item

    def _mismatch_zh(self, item: Item, field: str) -> str:
        """A check_items problem of `field` in Chinese: a code the hall lacks, or a queue of
        another zone (the only two it finds in an item built from the hall's own codes)."""
        value = getattr(item, field, "")
        queue_zone = self.known.queue_zones.get(item.queue)
        if field == "queue" and queue_zone is not None and queue_zone != item.zone:
            return f"队列 {item.queue} 属于 {queue_zone} 分区，不在事项所在的 {item.zone} 分区"
        return f"{_column_zh(field)}不存在：{value!r}"

    def _unit(self, values: dict[str, str]) -> str:
        given = values.get("unit", "")
        if given:
            if given not in self.units:
                raise RowRejected(f"unknown unit {given!r}", f"单位编码不存在：{given!r}")
            return given
        department = values.get("department", "")
        unit = self.units_by_name.get(department)
        if unit is None:
            raise RowRejected(f"unknown department {department!r} (not a unit in zones.toml)",
                              f"实施部门不存在：{department!r}（不是 zones.toml 中的单位）")
        return unit.code

    def _queue_for(self, unit: str, zone: str) -> str:
        """The unit's own queue in the zone, else the zone's shared queue (one with no unit)."""
        for wanted in (unit, None):
            for queue in self.queues.values():
                if queue.zone == zone and queue.unit == wanted:
                    return queue.prefix
        raise RowRejected(
            f"no queue for {self.units[unit].name} in zone {zone}; add one to zones.toml or give a queue column",
            f"{self.units[unit].name}在 {zone} 分区没有队列：请在 zones.toml 中添加，或填写“队列”列",
        )


def _column_zh(field: str) -> str:
    """An Item field as the Chinese header of its column (事项编码 for code)."""
    column = FIELD_COLUMNS.get(field, field)
    return COLUMNS_ZH.get(column, column)


def _rejected_by_model(error: ValidationError) -> RowRejected:
    """The first rule of Item a row breaks. A rule of the whole row (no field) is the one that
    instant and promised_days must agree."""
    first = error.errors(include_url=False)[0]
    reason = first["msg"].removeprefix("Value error, ")
    if not first["loc"]:
        return RowRejected(reason, "即办件与承诺时限不符：即办件承诺时限为 0，承诺件至少 1 天")
    field = str(first["loc"][0])
    return RowRejected(f"{field}: {reason}", f"{_column_zh(field)}填写有误（{first.get('input')!r}）")


def import_items(config_dir: Path, file: Path) -> ImportReport:
    """Upsert the export's items into config_dir/items.csv; see the module docstring.

    A missing or broken items.csv does not stop it: this is the tool that repairs one. The old
    catalogue's valid rows are kept, its problems reported (`ImportReport.replaced`) and the old
    file copied aside before the new one is written. Raises ConfigError if the hall's other files
    are broken (run check-config first), and ItemsImportError if the file cannot be read; in both
    cases nothing is written.
    """
    config_dir, file = Path(config_dir), Path(file)
    config, replaced = load_hall_for_catalogue(config_dir)
    report = ImportReport(source=file, replaced=replaced)
    columns, rows = read_source(file, report)
    resolver = _Resolver(config)

    rows_of_code: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        rows_of_code[row.values.get("item_code", "")].append(row.line)

    merged = dict(resolver.existing)
    for row in rows:
        code = row.values.get("item_code", "")
        if code and len(rows_of_code[code]) > 1:
            where = ", ".join(str(r) for r in rows_of_code[code])
            reason = f"duplicate item code in the file (rows {where}); none of them imported"
            report.rejected.append(RejectedRow(row.line, code, reason, f"文件中事项编码重复（第 {where} 行），均未导入"))
            continue
        try:
            item = resolver.item(row.values)
            rejected = None
        except RowRejected as error:
            rejected = error
        # A row not read as written is refused for that first: its values may look valid in the
        # wrong columns, cells past the header would be lost unseen, an open quote swallows rows.
        misread = row.misread(columns, valid=rejected is None)
        if misread:
            report.rejected.append(RejectedRow(row.line, code, misread.reason, misread.reason_zh))
            continue
        if rejected is not None:
            report.rejected.append(RejectedRow(row.line, code, str(rejected), rejected.reason_zh))
            continue
        previous = merged.get(code)
        if previous is None:
            report.added.append(code)
        elif previous == item:
            report.unchanged.append(code)
        else:
            report.updated.append(code)
        merged[code] = item

    if report.added or report.updated or (report.replaced and merged):
        catalogue = [
            item_to_row(i, resolver.units[i.unit].name, resolver.zones[i.zone].name)
            for i in merged.values()
        ]
        _check_round_trip(catalogue)
        if report.replaced and (config_dir / ITEMS_FILE).exists():
            report.backup = _keep_aside(config_dir / ITEMS_FILE)
        write_catalogue(config_dir / ITEMS_FILE, catalogue)
        report.written = True
    return report


def _keep_aside(path: Path) -> Path:
    """Copy a catalogue that had problems to items.csv.bak (.bak2, … when taken): its bad rows are
    not carried over, and may hold what the technician meant to keep."""
    backup, number = path.with_name(path.name + ".bak"), 1
    while backup.exists():
        number += 1
        backup = path.with_name(f"{path.name}.bak{number}")
    shutil.copy2(path, backup)
    return backup


def _check_round_trip(catalogue: list[dict[str, str]]) -> None:
    """Every row we are about to write must read back as a valid item; refuse to write otherwise."""
    for index, row in enumerate(catalogue, start=2):
        result = item_from_row(row, f"row {index}", ITEMS_FILE)
        if isinstance(result, list):
            raise ItemsImportError(
                "refusing to write a catalogue that would not load: " + str(result[0])
            )
