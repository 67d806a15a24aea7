"""The item catalogue file (config/items.csv): its columns, reading, and atomic writing.

The catalogue is a CSV because technicians maintain it in Excel and the province exports it that
way. It is written as UTF-8 with a BOM so Excel shows the Chinese correctly, and always through a
temporary file and os.replace, so a crash or a failed import never leaves half a catalogue.
`department` and `zone_name` repeat the unit's and zone's names for people reading the file;
the loader checks they agree with zones.toml so they cannot drift.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from server.config.models import Item
from server.config.problems import ConfigProblem, join_path

CATALOGUE_COLUMNS: tuple[str, ...] = (
    "item_code",
    "item_name",
    "department",
    "item_type",
    "zone",
    "zone_name",
    "instant",
    "promised_days",
    "unit",
    "queue",
    "daily_cap",
)

FIELD_COLUMNS: dict[str, str] = {
    "code": "item_code",
    "name": "item_name",
    "unit": "unit",
    "item_type": "item_type",
    "zone": "zone",
    "queue": "queue",
    "instant": "instant",
    "promised_days": "promised_days",
    "daily_cap": "daily_cap",
}
"""Item field -> catalogue column, so validation errors name the column a technician sees."""

_YES = {"是", "true", "yes", "y", "1", "t"}
_NO = {"否", "false", "no", "n", "0", "f"}


@dataclass(frozen=True)
class CatalogueRow:
    """One data row and its line number in the file (the header is line 1), with how many cells
    it has: a row whose cells do not line up with the header's columns is read all the same, and
    judged by `misread`."""

    line: int
    values: dict[str, str]
    cells: int
    extra: tuple[str, ...] = ()

    def misread(self, columns: int, valid: bool) -> Misread | None:
        """Why the row was not read as its writer meant, when that is the problem to fix first.

        A cell running over several lines: a quote opened and not closed on its line, which
        swallows the rows below it up to the next quote (no item's name or field holds a line
        break), whether or not the cells then happen to line up. Otherwise cells that do not line
        up with the header's `columns`: cells past the last column that hold something (they would
        be dropped unseen), or a row of another length whose values are wrong (they are their
        neighbours'). A valid row that merely ends early (no trailing commas for its empty cells),
        or has empty cells past the end, is read as it was."""
        swallowed = max(cell.count("\n") for cell in (*self.values.values(), *self.extra, ""))
        if swallowed:
            return Misread(
                f"a cell runs over {swallowed + 1} lines: a quote (\") not closed on its line reads the rows below "
                f"it as part of the cell, and they are not read as rows (close the quote or delete it); no item's "
                f"field holds a line break",
                f"某格跨了 {swallowed + 1} 行：引号（\"）未在本行闭合时，其下各行被读成这一格的内容，不再作为事项读取"
                f"（请补上或删去该引号）；事项各栏不能含换行")
        if self.cells == columns or (valid and not any(cell.strip() for cell in self.extra)):
            return None
        return Misread(
            f"{self.cells} cells where the header has {columns} columns, so its values are not under their "
            f"headers: a comma inside a value that is not in quotes, or one deleted, shifts every cell after it "
            f"(save from Excel as \"CSV UTF-8\", which quotes it)",
            f"该行有 {self.cells} 个单元格，表头有 {columns} 列，各值未对准表头：值中的逗号未加引号或被删去，"
            f"其后各格都会错位（请在 Excel 中另存为“CSV UTF-8”，会自动加引号）")


@dataclass(frozen=True)
class Misread:
    """Why a row was not read as its writer meant, in both of the hall's languages."""

    reason: str
    reason_zh: str


def parse_instant(text: str) -> bool | str:
    """是/否 as the province writes it, or true/false; anything else is left for pydantic to reject."""
    lowered = text.strip().lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    return text


_DAYS = re.compile(r"^(\d+)(?:\.0+)?\s*(?:个?工作日|天|日)?$")


def parse_days(text: str) -> int:
    """A promised time limit in days: "10", "10.0" (from Excel), "10个工作日", "10天"."""
    match = _DAYS.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a whole number of days")
    return int(match.group(1))


def item_data(values: Mapping[str, str]) -> dict[str, object]:
    """A catalogue row's cells as the Item's fields, before validation."""
    fields = {field: (values.get(column) or "").strip() for field, column in FIELD_COLUMNS.items()}
    data: dict[str, object] = dict(fields)
    data["instant"] = parse_instant(fields["instant"])
    data["daily_cap"] = fields["daily_cap"] or None
    return data


def item_from_row(values: Mapping[str, str], path: str, file: str) -> Item | list[ConfigProblem]:
    """Validate one catalogue row into an Item, or explain every bad cell of it."""
    data = item_data(values)
    try:
        return Item.model_validate(data)
    except ValidationError as error:
        problems = []
        for detail in error.errors(include_url=False):
            column = FIELD_COLUMNS.get(str(detail["loc"][0]), str(detail["loc"][0])) if detail["loc"] else ""
            reason = detail["msg"].removeprefix("Value error, ")
            if detail["type"] == "missing" or detail.get("input") == "":
                reason = "empty"
            else:
                reason = f"{reason} (got {detail.get('input')!r})"
            problems.append(ConfigProblem(file, join_path(path, column), reason))
        return problems


def item_to_row(item: Item, department: str, zone_name: str) -> dict[str, str]:
    return {
        "item_code": item.code,
        "item_name": item.name,
        "department": department,
        "item_type": item.item_type,
        "zone": item.zone,
        "zone_name": zone_name,
        "instant": "是" if item.instant else "否",
        "promised_days": str(item.promised_days),
        "unit": item.unit,
        "queue": item.queue,
        "daily_cap": "" if item.daily_cap is None else str(item.daily_cap),
    }


def read_catalogue(path: Path) -> tuple[list[str], list[CatalogueRow]]:
    """Header and rows of a UTF-8 catalogue (BOM optional). Raises OSError/UnicodeDecodeError."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        rows.append(CatalogueRow(line, dict(zip(header, cells)), len(cells), tuple(cells[len(header):])))
    return header, rows


def write_catalogue(path: Path, rows: Iterable[Mapping[str, str]]) -> None:
    """Write the whole catalogue to a temporary file beside it, then swap it in atomically."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CATALOGUE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    descriptor, temp_name = tempfile.mkstemp(prefix=".items-", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temp_name, _mode_for(path))
        with os.fdopen(descriptor, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """Keep the catalogue's permissions; mkstemp would make a new one private to its owner."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o644
