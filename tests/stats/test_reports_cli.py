"""hallq simulate then hallq report, end to end on a SQLite file: the files a manager opens."""
from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest
from openpyxl import load_workbook

from server.config.paths import default_config_dir
from server.simulation.history import simulate_main
from server.stats.cli import report_main
from server.stats.export import readable
from tests.hub_process import HALLQ


def test_simulate_then_report_in_every_format(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'hall.db'}"
    assert simulate_main(["--days", "1", "--db", db, "--volume", "0.02", "--start", "2026-11-26", "--seed", "3"]) == 0
    issued = int(capsys.readouterr().out.strip().splitlines()[-1].split()[0])
    assert issued > 10

    out = tmp_path / "by_zone.csv"
    assert report_main(["--from", "2026-11-26", "--to", "2026-11-26", "--by", "zone", "--db", db, "--out", str(out)]) == 0
    # Without --config the labels are the sample hall's: said, as the hub says it (it was silent).
    assert "no --config given" in capsys.readouterr().err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM so Excel reads the Chinese headers"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["分区", "取号数", "办结数"]
    assert sum(int(r[1]) for r in rows[1:]) == issued

    xlsx = tmp_path / "by_hour.xlsx"
    assert report_main(["--from", "2026-11-26", "--to", "2026-11-26", "--by", "hour", "--format", "xlsx", "--db", db, "--out", str(xlsx),
                        "--config", str(default_config_dir())]) == 0
    assert "--config" not in capsys.readouterr().err
    sheet = load_workbook(xlsx)["统计报表"]
    values = list(sheet.values)
    assert values[0][0] == "时段" and sum(v[1] for v in values[1:]) == issued
    assert all(re.fullmatch(r"\d\d:00-\d\d:00", v[0]) for v in values[1:]), [v[0] for v in values[1:]]  # it read "8"
    share_column = values[0].index("过号率") + 1
    assert sheet.cell(row=2, column=share_column).number_format == "0.0%"  # Excel shows 4.1%, the cell keeps 0.041

    page = tmp_path / "report.html"
    assert report_main(["--from", "2026-11-26", "--to", "2026-11-26", "--by", "day", "--format", "html", "--db", db, "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "<svg" in text and "取号数" in text and "<script" not in text
    assert "<title>茶陵县政务服务中心统计报表 2026-11-26至2026-11-26</title>" in text  # the hall's own name
    # Read by people: times in minutes and seconds, shares in percent (the CSV keeps raw numbers).
    assert "<th>平均等候</th>" in text and "(秒)" not in text
    assert re.search(r"<td>\d+分\d+秒</td>", text) and re.search(r"<td>\d+\.\d%</td>", text)
    assert not re.search(r"<td>\d+\.\d{3}</td>", text)


def test_figures_read_as_a_manager_reads_them():
    assert [readable("wait_p50_s", 817.418), readable("wait_max_s", 42.4), readable("service_mean_s", None)] == ["13分37秒", "42秒", ""]
    assert [readable("availability", 0.3846), readable("no_show_rate", 0.0), readable("rating_mean", 4.56789)] == ["38.5%", "0.0%", "4.57"]
    assert [readable("tickets", 120), readable("key", "2026-11-26")] == ["120", "2026-11-26"]
    assert [readable("wait_max_s", 16911.2), readable("dwell_mean_s", 3600.0), readable("wait_p90_s", 3599.6)] == \
        ["4小时41分", "1小时0分", "1小时0分"]


def test_bad_report_arguments_are_refused(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'hall.db'}"
    assert report_main(["--from", "2026-11-26", "--to", "2026-11-01", "--db", db]) == 2
    assert "ends before it starts (统计结束日期早于开始日期)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        report_main(["--from", "2026-13-01", "--to", "2026-11-01", "--db", db])
    assert exit_.value.code == 2 and "'2026-13-01' is not a date like 2026-11-26 (日期应写作 2026-11-26)" in capsys.readouterr().err
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
    assert "unsupported database URL nosuchdriver://x/y" in capsys.readouterr().err


def test_the_hallq_report_command_prints_only_what_it_has_to_say(tmp_path):
    """Tried: `hallq report` as cron runs it, with the hall's --data and --config, on a database
    made by an earlier command. It was: thirteen `INFO alembic.runtime…` lines on stderr before
    the report (the hub's own commands silenced them; the forwarded report did not). Kept: exit 0,
    the page written, nothing on stderr."""
    data = tmp_path / "data"
    made = subprocess.run([HALLQ, "device", "add", "kiosk-1", "--role", "kiosk", "--data", str(data)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    out = tmp_path / "report.html"
    run = subprocess.run([HALLQ, "report", "--from", "2026-11-01", "--to", "2026-11-26", "--format", "html", "--data", str(data),
                          "--config", str(default_config_dir()), "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stderr) == (0, ""), run.stderr
    assert "统计报表" in out.read_text(encoding="utf-8")
