"""Importing the province's export: encodings, spreadsheets, bad rows, and an intact catalogue.

Each test imports into a private copy of the sample hall and then reloads it with the normal
loader, so "imported" always means "the hall would start with it".
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from server.config.loader import load_hall_config
from server.config.cli import import_items_main
from server.config.items_import import ItemsImportError, RejectedRow, import_items

from .hallfiles import read_items, write_items

ENGLISH = ["item_code", "item_name", "department", "item_type", "zone", "zone_name", "instant", "promised_days"]
CHINESE = ["事项编码", "事项名称", "实施部门", "事项类型", "分区", "分区名称", "即办件", "承诺时限"]

NEW_POLICE = ["4302249990001", "居民身份证跨省通办", "县公安局", "公共服务", "E", "公安服务区", "是", "0"]
NEW_TAX = ["4302249990002", "个体工商户定额核定", "国家税务总局茶陵县税务局", "行政确认", "F", "税务服务区", "否", "5"]


def export_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def existing_row(hall_dir: Path, index: int = 0) -> list[str]:
    row = read_items(hall_dir)[index]
    return [row[c] for c in ENGLISH]


def test_csv_with_good_and_bad_rows(hall_dir: Path, tmp_path: Path) -> None:
    """Good rows are added or updated; each bad row is reported with its row number and reason."""
    changed = existing_row(hall_dir)
    changed[1] = "政务服务咨询（含政策解读）"
    rows = [
        NEW_POLICE,                                                             # row 2: new
        changed,                                                                # row 3: update
        ["4302249990003", "未知分区事项", "县公安局", "公共服务", "Z", "", "是", "0"],         # row 4
        ["4302249990004", "未知部门事项", "县不存在局", "公共服务", "E", "", "是", "0"],      # row 5
        ["12", "编码过短", "县公安局", "公共服务", "E", "", "是", "0"],                      # row 6
        ["4302249990005", "", "县公安局", "公共服务", "E", "", "是", "0"],                   # row 7
        ["4302249990006", "重复一", "县公安局", "公共服务", "E", "", "是", "0"],             # row 8
        ["4302249990006", "重复二", "县公安局", "公共服务", "E", "", "是", "0"],             # row 9
        ["4302249990007", "时限不明", "县公安局", "公共服务", "E", "", "是", "十天"],         # row 10
    ]
    source = tmp_path / "export.csv"
    source.write_text(export_text(ENGLISH, rows), encoding="utf-8")

    report = import_items(hall_dir, source)

    assert report.added == ["4302249990001"]
    assert report.updated == [changed[0]]
    duplicate = ("duplicate item code in the file (rows 8, 9); none of them imported", "文件中事项编码重复（第 8, 9 行），均未导入")
    assert report.rejected == [
        RejectedRow(4, "4302249990003", "unknown zone 'Z'", "分区不存在：'Z'"),
        RejectedRow(5, "4302249990004", "unknown department '县不存在局' (not a unit in zones.toml)",
                    "实施部门不存在：'县不存在局'（不是 zones.toml 中的单位）"),
        RejectedRow(6, "12", "bad item code '12' (4-40 letters, digits or '-')", "事项编码有误：'12'（应为 4 至 40 位字母、数字或 -）"),
        RejectedRow(7, "4302249990005", "missing item name", "缺少事项名称"),
        RejectedRow(8, "4302249990006", *duplicate),
        RejectedRow(9, "4302249990006", *duplicate),
        RejectedRow(10, "4302249990007", "'十天' is not a whole number of days", "承诺时限应为整数天数，现为 '十天'"),
    ]
    assert report.written
    config = load_hall_config(hall_dir)
    assert len(config.items) == 899
    police = config.item("4302249990001")
    assert police is not None and police.queue == "E1" and police.instant and police.promised_days == 0
    assert config.unit(police.unit).name == "县公安局"
    assert config.item(changed[0]).name == "政务服务咨询（含政策解读）"
    assert config.item("4302249990003") is None  # rejected rows added nothing


def test_gb18030_csv_with_chinese_headers(hall_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "省平台导出.csv"
    source.write_bytes(export_text(CHINESE, [NEW_TAX]).encode("gb18030"))
    report = import_items(hall_dir, source)
    assert (report.added, report.rejected) == (["4302249990002"], [])
    item = load_hall_config(hall_dir).item("4302249990002")
    assert item is not None and item.name == "个体工商户定额核定" and item.queue == "F1"


def test_utf8_bom_csv_and_ignored_columns(hall_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(export_text(CHINESE + ["备注"], [NEW_POLICE + ["无"]]), encoding="utf-8-sig")
    report = import_items(hall_dir, source)
    assert report.added == ["4302249990001"]
    assert report.ignored_columns == ["备注"]


def test_xlsx_made_with_openpyxl(hall_dir: Path, tmp_path: Path) -> None:
    """Excel stores codes and day counts as numbers; they are imported as text codes and ints."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(CHINESE)
    sheet.append([4302249990002, "个体工商户定额核定", "国家税务总局茶陵县税务局", "行政确认", "F", "税务服务区", "否", 5])
    sheet.append([4302249990008, "缺部门", None, "行政确认", "F", "税务服务区", "否", 5])
    source = tmp_path / "export.xlsx"
    workbook.save(source)

    report = import_items(hall_dir, source)

    assert report.added == ["4302249990002"]
    assert report.rejected == [RejectedRow(3, "4302249990008", "unknown department '' (not a unit in zones.toml)",
                                           "实施部门不存在：''（不是 zones.toml 中的单位）")]
    item = load_hall_config(hall_dir).item("4302249990002")
    assert item is not None and item.promised_days == 5 and item.instant is False


def test_reimport_keeps_a_technicians_queue_and_cap(hall_dir: Path, tmp_path: Path) -> None:
    """An item moved to another queue of its zone, with a cap, keeps both when re-imported."""
    rows = read_items(hall_dir)
    queues_of_zone = {(r["zone"], r["queue"]) for r in rows}
    target = next(r for r in rows if r["instant"] == "否" and len({q for z, q in queues_of_zone if z == r["zone"]}) > 1)
    other = sorted(q for z, q in queues_of_zone if z == target["zone"] and q != target["queue"])[0]
    target["queue"], target["daily_cap"] = other, "20"
    write_items(hall_dir, rows)
    export = [[target[c] for c in ENGLISH]]
    export[0][7] = "30"  # the province changed the time limit
    source = tmp_path / "export.csv"
    source.write_text(export_text(ENGLISH, export), encoding="utf-8")

    report = import_items(hall_dir, source)

    assert report.updated == [target["item_code"]]
    item = load_hall_config(hall_dir).item(target["item_code"])
    assert item is not None and (item.queue, item.daily_cap, item.promised_days) == (other, 20, 30)


def test_importing_the_same_catalogue_changes_nothing(hall_dir: Path) -> None:
    before = (hall_dir / "items.csv").read_bytes()
    report = import_items(hall_dir, hall_dir / "items.csv")
    assert len(report.unchanged) == 898 and not report.written
    assert (hall_dir / "items.csv").read_bytes() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("truncated.xlsx", b"PK\x03\x04 not really a workbook", "cannot open the workbook"),
        ("garbage.csv", b"\xff\xfe\x80\x81\xff" * 10, "neither UTF-8 nor GB18030"),
        ("nul.csv", "item_code\x00".encode(), "NUL bytes"),
        ("export.xls", b"old excel", "unsupported file type '.xls'"),
        ("headers.csv", "事项编码,事项名称\n4302249990001,某事项\n".encode(), "missing column(s): department"),
        ("empty.csv", b"", "the file is empty"),
    ],
)
def test_unreadable_file_leaves_the_catalogue_intact(
    hall_dir: Path, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    """Tried: a broken file. Kept: the catalogue, byte for byte, and no temporary files behind."""
    before = (hall_dir / "items.csv").read_bytes()
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(ItemsImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_items(hall_dir, source)
    assert (hall_dir / "items.csv").read_bytes() == before
    assert sorted(p.name for p in hall_dir.iterdir()) == ["hall.toml", "items.csv", "windows.toml", "zones.toml"]


def test_missing_file_is_an_import_error(hall_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ItemsImportError, match="cannot read"):
        import_items(hall_dir, tmp_path / "nowhere.csv")


def test_cli_prints_rejections_and_returns_status(hall_dir: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "export.csv"
    bad = ["4302249990003", "未知分区事项", "县公安局", "公共服务", "Z", "", "是", "0"]
    source.write_text(export_text(ENGLISH, [NEW_POLICE, bad]), encoding="utf-8")
    assert import_items_main(source, hall_dir) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{source}: row 3 (4302249990003): unknown zone 'Z' (分区不存在：'Z')"
    assert out[-1] == "added 1, updated 0, unchanged 0, rejected 1; catalogue written (新增 1 项，更新 0 项，未变 0 项，拒绝 1 项；已写入事项目录)"

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK")
    assert import_items_main(broken, hall_dir) == 2
    assert "nothing was changed" in capsys.readouterr().out


cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cells, min_size=8, max_size=8), min_size=1, max_size=5), st.sampled_from(["utf-8", "gb18030"]))
def test_fuzzed_rows_never_break_the_catalogue(hall_dir: Path, tmp_path: Path, rows: list[list[str]], encoding: str) -> None:
    """Whatever the cells hold: only our own error type, and the hall still loads afterwards."""
    source = tmp_path / "fuzz.csv"
    try:
        source.write_bytes(export_text(ENGLISH, rows).encode(encoding))
    except UnicodeEncodeError:
        return
    try:
        report = import_items(hall_dir, source)
    except ItemsImportError:
        pass
    else:
        outcomes = len(report.added) + len(report.updated) + len(report.unchanged) + len(report.rejected)
        assert outcomes == len([r for r in rows if any(c.strip() for c in r)])
    assert len(load_hall_config(hall_dir).items) >= 898


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200), st.sampled_from([".csv", ".xlsx"]))
def test_fuzzed_bytes_raise_only_our_error(hall_dir: Path, tmp_path: Path, data: bytes, suffix: str) -> None:
    before = (hall_dir / "items.csv").read_bytes()
    source = tmp_path / f"fuzz{suffix}"
    source.write_bytes(data)
    try:
        import_items(hall_dir, source)
    except ItemsImportError:
        assert (hall_dir / "items.csv").read_bytes() == before


def test_an_imported_items_days_must_fit_its_kind(hall_dir: Path, tmp_path: Path) -> None:
    """Tried: the platform's export with an instant item promised in 20 days. Kept: that row
    rejected with the reason, the good row imported."""
    bad = ["4302249990008", "即办却承诺二十天", "县公安局", "公共服务", "E", "", "是", "20"]
    source = tmp_path / "export.csv"
    source.write_text(export_text(ENGLISH, [NEW_POLICE, bad]), encoding="utf-8")
    report = import_items(hall_dir, source)
    assert report.added == ["4302249990001"]
    assert [(r.row, r.item_code) for r in report.rejected] == [(3, "4302249990008")]
    assert "promised_days must be 0, not 20" in report.rejected[0].reason
    assert report.rejected[0].reason_zh == "即办件与承诺时限不符：即办件承诺时限为 0，承诺件至少 1 天"


def test_every_rejected_row_is_explained_in_chinese_too(hall_dir: Path, tmp_path: Path, capsys) -> None:
    """Tried: an export with a bad cap, a unit code that does not exist, an unknown 即办件 value
    and a queue of another zone. It was: English reasons only, in a hall that works in Chinese.
    Kept: each rejected row printed as `English (中文)`, naming the column by its Chinese header."""
    rows = [
        [*NEW_POLICE[:1], *NEW_POLICE[1:], "", "", "abc"],              # row 2: daily_cap
        ["4302249990011", *NEW_POLICE[1:], "U99", "", ""],              # row 3: unit
        ["4302249990012", *NEW_POLICE[1:6], "也许", "0", "", "", ""],    # row 4: instant
        ["4302249990013", *NEW_POLICE[1:], "", "A1", ""],               # row 5: A1 is not in zone E
    ]
    source = tmp_path / "export.csv"
    source.write_text(export_text(ENGLISH + ["unit", "queue", "daily_cap"], rows), encoding="utf-8")
    assert import_items_main(source, hall_dir) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        f"{source}: row 2 (4302249990001): daily_cap: Input should be a valid integer, unable to parse string as an "
        "integer (每日限额填写有误（'abc'）)",
        f"{source}: row 3 (4302249990011): unknown unit 'U99' (单位编码不存在：'U99')",
        f"{source}: row 4 (4302249990012): instant must be 是 or 否, got '也许' (即办件应填“是”或“否”，现为 '也许')",
        f"{source}: row 5 (4302249990013): queue: queue A1 is in zone A, not in the item's zone E (队列 A1 属于 A 分区，不在事项所在的 E 分区)",
    ]


def test_import_repairs_a_broken_catalogue_and_keeps_the_old_file(hall_dir: Path, tmp_path: Path, capsys) -> None:
    """Tried: items.csv with a bad row (promised_days -1, as an Excel edit left it) and a row
    repeating another's code, then `import-items` of the province's export. It was: exit 2, "fix
    them before importing", so the tool that repairs the catalogue could not be used. Kept: the
    import runs, names the old problems, carries the valid rows over, and keeps the old file."""
    rows = read_items(hall_dir)
    rows[3]["promised_days"] = "-1"  # row 5 of the file
    rows.append(dict(rows[0]))  # row 900 repeats row 2's code
    write_items(hall_dir, rows)
    before = (hall_dir / "items.csv").read_bytes()
    source = tmp_path / "export.csv"
    source.write_text(export_text(ENGLISH, [NEW_POLICE]), encoding="utf-8")

    assert import_items_main(source, hall_dir) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "before the import: items.csv: row 5.promised_days: Input should be greater than or equal to 0 (got '-1')",
        f"before the import: items.csv: row 900.item_code: duplicate item code {rows[0]['item_code']} (already used by row 2)",
        "items.csv had 2 problem(s) before the import; its rows with problems were not carried over "
        "(the old file is kept as items.csv.bak) (原目录中有问题的行未保留，原文件另存为 items.csv.bak)",
        "added 1, updated 0, unchanged 0, rejected 0; catalogue written (新增 1 项，更新 0 项，未变 0 项，拒绝 0 项；已写入事项目录)",
    ]
    assert (hall_dir / "items.csv.bak").read_bytes() == before
    config = load_hall_config(hall_dir)  # the hall starts again
    assert len(config.items) == 898 - 1 + 1 and config.item("4302249990001") is not None
    assert config.item(rows[3]["item_code"]) is None and config.item(rows[0]["item_code"]) is not None


def test_import_makes_a_missing_catalogue(hall_dir: Path, tmp_path: Path) -> None:
    """A new hall has no items.csv yet: the import writes the first one (it said the file was
    missing and refused)."""
    (hall_dir / "items.csv").unlink()
    source = tmp_path / "export.csv"
    source.write_text(export_text(ENGLISH, [NEW_POLICE, NEW_TAX]), encoding="utf-8")
    report = import_items(hall_dir, source)
    assert [p.reason for p in report.replaced] == [f"file is missing (expected at {hall_dir / 'items.csv'})"]
    assert report.written and report.backup is None and report.added == [NEW_POLICE[0], NEW_TAX[0]]
    assert [i.code for i in load_hall_config(hall_dir).items] == [NEW_POLICE[0], NEW_TAX[0]]


def test_rows_not_read_as_written_are_refused_and_none_is_lost_unseen(hall_dir: Path, tmp_path: Path, capsys) -> None:
    """Tried: an export edited by hand: a good row (2); a row with two notes typed past the last
    column (3); a row whose name opens a quote never closed on its line (4), with a good row
    below it (5) and a row (6) whose own quote ends row 4's cell. It was: row 3 imported, its
    notes dropped without a word; row 4 imported as 测试 with the rows below in its name, or
    rejected as `unknown zone ''`; rows 5 and 6 neither imported nor reported. Kept: row 2
    imported; rows 3 and 4 refused, each with why, in English and Chinese (row 4 naming the
    lines it ran over); rows 5 and 6 not imported (they stand inside row 4's cell)."""
    good = ["4302249990020", "测试事项二十", "县公安局", "公共服务", "E", "公安服务区", "是", "0"]
    noted = ["4302249990021", "测试事项二十一", "县公安局", "公共服务", "E", "公安服务区", "是", "0", "请核对", "加急"]
    text = export_text(ENGLISH, [good, noted]) + (
        '4302249990022,"测试,事项二十二,县公安局,公共服务,E,公安服务区,是,0\r\n'
        "4302249990023,测试事项二十三,县公安局,公共服务,E,公安服务区,是,0\r\n"
        '4302249990024,测试"事项二十四,县公安局,公共服务,E,公安服务区,是,0\r\n')
    source = tmp_path / "export.csv"
    source.write_text(text, encoding="utf-8")
    assert import_items_main(source, hall_dir) == 1
    out = capsys.readouterr().out
    report = import_items(hall_dir, source)
    assert report.added == [] and report.unchanged == ["4302249990020"]
    assert [(r.row, r.item_code) for r in report.rejected] == [(3, "4302249990021"), (4, "4302249990022")]
    assert report.rejected[0].reason.startswith("10 cells where the header has 8 columns")
    assert report.rejected[0].reason_zh.startswith("该行有 10 个单元格，表头有 8 列")
    assert report.rejected[1].reason.startswith("a cell runs over 3 lines: a quote")
    assert report.rejected[1].reason_zh.startswith("某格跨了 3 行")
    assert f"{source}: row 4 (4302249990022): a cell runs over 3 lines" in out
    items = {item.code for item in load_hall_config(hall_dir).items}
    assert "4302249990020" in items and not items & {"4302249990021", "4302249990022", "4302249990023", "4302249990024"}
