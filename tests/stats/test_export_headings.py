"""Report files say what they hold: a CSV or Excel file printed or mailed out had only the
table, without the period, the zone or unit it was narrowed to, or when it was made."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from server.stats.export import TODAY_NOTE
from tests.conftest import start_hub
from tests.stats.test_appeals_and_assessment import _rated_visit


async def test_report_files_name_the_period_filters_and_when_they_were_made(aiohttp_client, tmp_path, clock):
    """Tried: a queue report of 1 to 26 November narrowed to zone A, read on the 26th, as CSV and
    as Excel. Kept: above the table, the hall, the period, the grouping, the zone by its name, the
    time and account that made it and the caveat of a period holding today; the table as before."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    await _rated_visit(hub, clock, "staff01", "W01", 5)
    config = hub.engine.config
    zone = config.window("W01").zone
    query = f"from=2026-11-01&to=2026-11-26&by=queue&zone={zone}"
    expected = [
        ["统计报表", config.hall.name], ["统计期间", "2026-11-01 至 2026-11-26"], ["统计维度", "按队列"],
        ["筛选条件", f"分区：{zone}区 {config.zone(zone).name}"], ["导出时间", "2026-11-26 09:15 大厅管理员（manager）"],
        ["说明", TODAY_NOTE], [],
    ]

    raw = await (await hub.client.get(f"/api/v1/stats/report.csv?{query}", headers=hub.auth("manager"))).read()
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[:7] == expected
    assert lines[7][:2] == ["队列", "取号数"] and len(lines) == 9 and lines[8][1] == "1"

    data = await (await hub.client.get(f"/api/v1/stats/report.xlsx?{query}", headers=hub.auth("manager"))).read()
    sheet = load_workbook(io.BytesIO(data))["统计报表"]
    rows = [[v for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]
    assert rows[:7] == expected
    assert rows[7][:2] == ["队列", "取号数"] and rows[8][1] == 1
    assert sheet.print_title_rows == "$8:$8", "the header row repeats on every printed page"
    # the header and the row names stay in view when scrolled; columns as wide as their text
    assert sheet.freeze_panes == "B9"
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[8]}
    assert (widths["等候超时占比"], widths["取号数"]) == (14, 8)  # six and three characters of two widths, + 2
    share = sheet.cell(row=9, column=[c.value for c in sheet[8]].index("等候超时占比") + 1)
    assert share.number_format == "0.0%"

    whole = await (await hub.client.get("/api/v1/stats/report.csv?from=2026-11-01&to=2026-11-25&by=all",
                                        headers=hub.auth("manager"))).read()
    assert "筛选条件,全部（未筛选）" in whole.decode("utf-8-sig").splitlines()
    assert "说明" not in whole.decode("utf-8-sig"), "a past period has no caveat"


async def test_a_filter_with_control_characters_still_gives_a_workbook(aiohttp_client, tmp_path, clock):
    """Tried (found by the API fuzzing): a staff filter holding a control character, which the
    Excel heading now repeats. Seen: a 500, openpyxl refuses the character. Kept: the workbook,
    the filter written without it."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    response = await hub.client.get("/api/v1/stats/report.xlsx?from=2026-11-01&to=2026-11-20&staff=%1Astaff01",
                                    headers=hub.auth("manager"))
    assert response.status == 200
    sheet = load_workbook(io.BytesIO(await response.read()))["统计报表"]
    assert ("筛选条件", "工作人员：staff01") in set(sheet.iter_rows(max_row=5, max_col=2, values_only=True))


async def test_a_report_by_person_or_window_counts_the_cases_they_handled(aiohttp_client, tmp_path, clock):
    """Tried: the report by person, by window, by hour narrowed to staff01, and by zone, in CSV,
    Excel and the report page's table. Seen: 取号数 over every person's row (李四 read 取号数 4,
    though no ticket is issued to a clerk). Kept: 经手件数 wherever the rows are a person's or a
    window's legs; 取号数 where they count tickets."""
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock)
    await _rated_visit(hub, clock, "staff01", "W01", 5)
    manager = hub.auth("manager")
    period = "from=2026-11-01&to=2026-11-26"
    for ask, first in (("by=staff", "经手件数"), ("by=window", "经手件数"), ("by=hour&staff=staff01", "经手件数"), ("by=zone", "取号数")):
        raw = await (await hub.client.get(f"/api/v1/stats/report.csv?{period}&{ask}", headers=manager)).read()
        header = next(line for line in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) if len(line) > 3)
        assert header[1] == first, ask
        data = await (await hub.client.get(f"/api/v1/stats/report.xlsx?{period}&{ask}", headers=manager)).read()
        sheet = load_workbook(io.BytesIO(data))["统计报表"]
        assert [c.value for c in sheet[8]][1] == first, ask
        page = await (await hub.client.get(f"/api/v1/stats/report.html?{period}&{ask}", headers=manager)).text()
        assert f"<th>{first}</th>" in page, ask
