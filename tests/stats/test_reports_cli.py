"""hallq simulate then hallq report, end to end on a SQLite file: the files a manager opens."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from server.simulation.history import simulate_main
from server.stats.cli import report_main


def test_simulate_then_report_in_every_format(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'hall.db'}"
    assert simulate_main(["--days", "1", "--db", db, "--volume", "0.02", "--start", "2026-11-26", "--seed", "3"]) == 0
    issued = int(capsys.readouterr().out.strip().splitlines()[-1].split()[0])
    assert issued > 10

    out = tmp_path / "by_zone.csv"
    assert report_main(["--from", "2026-11-26", "--to", "2026-11-26", "--by", "zone", "--db", db, "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM so Excel reads the Chinese headers"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["分区", "取号数", "办结数"]
    assert sum(int(r[1]) for r in rows[1:]) == issued

    xlsx = tmp_path / "by_hour.xlsx"
    assert report_main(["--from", "2026-11-26", "--to", "2026-11-26", "--by", "hour", "--format", "xlsx", "--db", db, "--out", str(xlsx)]) == 0
    sheet = load_workbook(xlsx)["统计报表"]
    values = list(sheet.values)
    assert values[0][0] == "时段" and sum(v[1] for v in values[1:]) == issued

    page = tmp_path / "report.html"
    assert report_main(["--from", "2026-11-26", "--to", "2026-11-26", "--by", "day", "--format", "html", "--db", db, "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "<svg" in text and "取号数" in text and "<script" not in text


def test_bad_report_arguments_are_refused(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'hall.db'}"
    assert report_main(["--from", "2026-11-26", "--to", "2026-11-01", "--db", db]) == 2
    assert "ends before it starts" in capsys.readouterr().err
    assert report_main(["--from", "2026-11-01", "--to", "2026-11-26", "--format", "xlsx", "--db", db]) == 2


def test_report_misuse_gets_a_message_and_makes_nothing(tmp_path, capsys):
    """Tried: a data folder with no hall in it (mistyped), an output file in a folder that does not
    exist, a database URL of a driver that does not exist. Kept: exit 2 with a message saying
    which, no traceback, and no empty database made in the mistyped folder."""
    assert report_main(["--from", "2026-11-01", "--to", "2026-11-26", "--data", str(tmp_path / "typo")]) == 2
    assert "no hall database at" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()
    db = f"sqlite:///{tmp_path / 'hall.db'}"
    out = tmp_path / "missing" / "r.html"
    assert report_main(["--from", "2026-11-01", "--to", "2026-11-26", "--format", "html", "--db", db, "--out", str(out)]) == 2
    assert "no folder" in capsys.readouterr().err and not out.parent.exists()
    assert report_main(["--from", "2026-11-01", "--to", "2026-11-26", "--db", "nosuchdriver://x/y"]) == 2
    assert "cannot read the database: NoSuchModuleError" in capsys.readouterr().err
