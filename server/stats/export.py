"""Report rows to files a hall office opens: CSV (UTF-8 with BOM, so Excel shows the Chinese
headers), Excel via openpyxl, and a self-contained HTML page with an inline SVG chart."""
from __future__ import annotations

import csv
import html
import io
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from server.stats.assessment import SHARE_RULES
from server.stats.followups import FollowUpFigures
from server.stats.metrics import GROUP_LABELS_ZH, ChartSeries, Figures, counts_legs
from server.stats.months import Assessed, month_zh


@dataclass(frozen=True)
class Produced:
    """Where, when and by whom an export was made: printed in the file, so that a printed or
    mailed copy says what it is without the request it came from."""

    hall: str
    at: float
    by: str
    """张三（manager）: the account's name and id (labels.person_label)."""
    timezone: str

    def text(self) -> str:
        return f"{datetime.fromtimestamp(self.at, ZoneInfo(self.timezone)):%Y-%m-%d %H:%M} {self.by}"


@dataclass(frozen=True)
class ReportAbout:
    """What a report file holds: the period, grouping and filters it was asked for."""

    produced: Produced
    start: date
    end: date
    by: str
    filters: Sequence[tuple[str, str]] = ()
    """(分区, C区 社会事务区) for each filter, by its readable name; none: the whole hall."""
    includes_today: bool = False
    final_note: str = ""
    """Said when the period touches a finalised month (months.final_note)."""
    legs: bool = False
    """Rows of the legs a window or person handled (`metrics.counts_legs`)."""

    def lines(self) -> list[tuple[str, str]]:
        filters = "；".join(f"{name}：{value}" for name, value in self.filters) or "全部（未筛选）"
        lines = [("统计报表", self.produced.hall), ("统计期间", f"{self.start.isoformat()} 至 {self.end.isoformat()}"),
                 ("统计维度", "合计" if self.by == "all" else "按" + GROUP_LABELS_ZH.get(self.by, self.by)), ("筛选条件", filters), ("导出时间", self.produced.text())]
        for note in (TODAY_NOTE if self.includes_today else "", self.final_note):
            if note:
                lines.append(("说明", note))
        return lines

COLUMNS: list[tuple[str, str]] = [
    ("tickets", "取号数"), ("served", "办结数"), ("called", "叫号数"), ("no_shows", "过号数"),
    ("abandoned", "未叫号离开数"), ("auto_closed", "日终自动关闭"), ("transfers", "转办次数"),
    ("wait_mean_s", "平均等候(秒)"), ("wait_p50_s", "等候中位数(秒)"), ("wait_p90_s", "等候P90(秒)"),
    ("wait_max_s", "最长等候(秒)"), ("walk_mean_s", "平均到窗时间(秒)"), ("service_mean_s", "平均办理(秒)"),
    ("dwell_mean_s", "平均逗留(秒)"), ("over_kpi_share", "等候超时占比"), ("no_show_rate", "过号率"),
    ("abandonment_rate", "放弃率"), ("rated", "有效评价数"), ("rating_mean", "平均评分"),
    ("rating_good_share", "满意率(4-5分)"), ("bad_before_appeal", "差评(申诉前)"), ("bad_after_appeal", "差评(申诉后)"),
    ("availability", "窗口在岗率"), ("idle_waiting_s", "有人等候时空闲(秒)"),
]


# A text cell a spreadsheet would run as a formula (CWE-1236): names and labels come from people
# (display names) and from the imported catalogue, and a manager opens these files in Excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH = 8, 40
"""Excel column widths in characters: a figure stays readable; a longer text (an assessment
rule's threshold) runs into its empty neighbour or shows whole when its cell is selected."""


def _csv_text(value: object) -> object:
    """A CSV cell as text Excel shows, never runs: a leading apostrophe (OWASP's advice)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _append(sheet: Any, line: Sequence[object]) -> None:
    """A row whose text cells stay text: openpyxl stores a string starting with '=' as a formula.
    Control characters a workbook cannot hold (openpyxl refuses them) are left out: a filter
    value written in the file's heading is whatever the request said."""
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in line])
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


SHARES = frozenset({"over_kpi_share", "no_show_rate", "abandonment_rate", "rating_good_share", "availability"})


def columns(legs: bool) -> list[tuple[str, str]]:
    """The figures' columns; in a report by person or window (`metrics.counts_legs`) the first
    counts the cases they handled: 取号数 there read as tickets issued to a clerk who issues none."""
    return [("tickets", "经手件数")] + COLUMNS[1:] if legs else COLUMNS


def table(rows: Sequence[Figures], by: str, legs: bool = False) -> tuple[list[str], list[list[object]]]:
    header = [GROUP_LABELS_ZH.get(by, by)] + [zh for _, zh in columns(legs)]
    body = [[r.label or r.key] + [getattr(r, name) for name, _ in COLUMNS] for r in rows]
    return header, body


def readable(name: str, value: object) -> str:
    """A figure as a manager reads it on a page: times in minutes and seconds (19分11秒, as the
    dashboard shows them; hours and minutes past an hour, 4小时41分), shares in percent, the mean rating to two places. The files keep the
    raw numbers for the manager's own sums (CSV), with Excel formats on top (XLSX)."""
    if value is None:
        return ""
    if name.endswith("_s") and isinstance(value, (int, float)):
        seconds = round(float(value))
        hours, seconds = divmod(seconds, 3600)
        minutes, rest = divmod(seconds, 60)
        if hours:  # 281分51秒 read as nothing to a manager; 4小时41分 does
            return f"{hours}小时{minutes}分"
        return f"{minutes}分{rest}秒" if minutes else f"{rest}秒"
    if name in SHARES and isinstance(value, (int, float)):
        return f"{float(value) * 100:.1f}%"
    if name == "rating_mean" and isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _html_table(rows: Sequence[Figures], by: str, attributes: str = "", legs: bool = False) -> str:
    """The table of a page: the files' headers without their (秒) unit, figures `readable`."""
    header = [GROUP_LABELS_ZH.get(by, by)] + [zh.replace("(秒)", "") for _, zh in columns(legs)]
    names = [name for name, _ in COLUMNS]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    lines = "".join(
        f"<tr><td>{html.escape(r.label or r.key)}</td>"
        + "".join(f"<td>{html.escape(readable(name, getattr(r, name)))}</td>" for name in names) + "</tr>" for r in rows
    )
    return f"<table{attributes}><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"


def to_csv(rows: Sequence[Figures], by: str, about: ReportAbout | None = None) -> bytes:
    """The table; with `about`, first what it is (period, filters, when and by whom made) and an
    empty line, as an office's exports start."""
    header, body = table(rows, by, about.legs if about is not None else counts_legs(by, None))
    out = io.StringIO()
    writer = csv.writer(out)
    if about is not None:
        writer.writerows([name, _csv_text(value)] for name, value in about.lines())
        writer.writerow([])
    writer.writerow(header)
    writer.writerows(["" if v is None else _csv_text(v) for v in line] for line in body)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _titled(sheet: Any, lines: Sequence[tuple[str, str]], header: Sequence[str]) -> None:
    """What the file is, in the rows above its table (a title in bold, then name/value rows and
    an empty row), and the table's header repeated on every printed page."""
    for name, value in lines:
        _append(sheet, [name, value])
    if lines:
        sheet.cell(row=1, column=1).font = Font(bold=True)
        sheet.append([])
    _append(sheet, list(header))
    sheet.print_title_rows = f"{sheet.max_row}:{sheet.max_row}"
    # The header and the first column (who or what each row is) stay in view while a manager
    # scrolls a month of 25 columns; every column was 13 wide and the headings scrolled away.
    sheet.freeze_panes = f"B{sheet.max_row + 1}"  # a coordinate: sheet.cell() would add an empty row


def _fit_columns(sheet: Any) -> None:
    """Each column as wide as its widest cell from the header down (a Chinese character takes two
    widths), within bounds: the rows above the header are the file's title, not the table."""
    first = sheet[sheet.freeze_panes].row - 1 if sheet.freeze_panes else 1
    widths: dict[str, int] = {}
    for row in sheet.iter_rows(min_row=first):
        for cell in row:
            if cell.value is not None:
                text = str(cell.value)
                width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
                widths[cell.column_letter] = max(widths.get(cell.column_letter, 0), width)
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = min(max(width + 2, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH)


def to_xlsx(rows: Sequence[Figures], by: str, about: ReportAbout | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet, the active one
    sheet.title = "统计报表"
    header, body = table(rows, by, about.legs if about is not None else counts_legs(by, None))
    _titled(sheet, about.lines() if about is not None else [], header)
    first = sheet.max_row + 1
    for line in body:
        _append(sheet, line)
    for position, (name, _) in enumerate(COLUMNS, start=2):  # after the grouping's column
        if name in SHARES:
            for (cell,) in sheet.iter_rows(min_row=first, min_col=position, max_col=position):
                cell.number_format = "0.0%"
    return _saved(book)


def assessment_lines(assessed: Assessed, produced: Produced) -> list[tuple[str, str]]:
    """The month, whether it is final (and the digest to match a paper copy with the archive), and
    when and by whom the file was made."""
    final = assessed.final
    if final is not None:
        when = datetime.fromtimestamp(final.finalised_at, ZoneInfo(produced.timezone))
        state = f"已归档（{when:%Y-%m-%d %H:%M} {final.finalised_by_name} 归档{'，' + final.note if final.note else ''}），数据不再变化"
        if not final.intact:
            state += "；存档数据与校验码不符，可能被改动"
    elif not assessed.people:  # as the report page says it: 未归档 read as a month awaiting the manager
        state = "该月没有考核数据：没有人在窗口登录或办件，排班表中也没有人员"
    else:
        state = "未归档（申诉复核完成并归档前，数据可能变化）"
    lines = [("月度考核", f"{produced.hall} {month_zh(assessed.month)}"), ("状态", state)]
    if final is not None:
        lines.append(("校验码", final.digest))
    return lines + [("导出时间", produced.text())]


def assessment_to_xlsx(assessed: Assessed, produced: Produced, followups: FollowUpFigures | None = None) -> bytes:
    """The month's 考核: a ranking sheet, every person's lines (shares as percentages), the units,
    and the bad ratings' follow-up as the hall reports it; each sheet says which month, whether it
    is final, and when it was made (each is printed alone)."""
    about, people, names = assessment_lines(assessed, produced), assessed.people, assessed.unit_names
    book = Workbook()
    ranking = book.active
    assert ranking is not None
    ranking.title = "考核排名"
    _titled(ranking, about, ["排名", "工作人员", "单位", "得分"])
    for p in people:
        _append(ranking, [p.rank, p.name or p.staff_id, names.get(p.unit or "", p.unit or ""), p.score])
    lines = book.create_sheet("考核明细")
    _titled(lines, about, ["工作人员", "项目", "实测值", "标准", "得分项"])
    for p in people:
        for line in p.lines:
            _append(lines, [p.name or p.staff_id, line.label, line.measured, line.threshold, line.points])
            if line.rule in SHARE_RULES and line.measured is not None:
                lines.cell(row=lines.max_row, column=3).number_format = "0.0%"
    by_unit = book.create_sheet("单位排名")
    _titled(by_unit, about, ["排名", "单位", "平均得分", "人数"])
    for u in assessed.units:
        _append(by_unit, [u.rank, names.get(u.unit, u.unit), u.score, u.people])
    if followups is not None:
        _followup_sheet(book.create_sheet("差评回访"), about, followups)
    return _saved(book)


def _followup_sheet(sheet: Any, about: list[tuple[str, str]], f: FollowUpFigures) -> None:
    """差评回访率 and 整改率 as the hall reports them: of all the month's bad ratings, those
    contacted by the contact deadline and those closed (rectified, or found unfounded) by the
    rectification deadline; a month without bad ratings has no rate, not 100%. Those not yet
    done whose deadline has not come are counted beside each rate: read early in the next month,
    0% alone looked like a failure of follow-ups still within their time."""
    _titled(sheet, about, ["项目", "数值"])
    for label, value in (("差评数", f.bad_ratings), ("按时回访数", f.contacted_on_time), ("差评按时回访率", f.contact_rate),
                         ("尚未回访且未到回访期限", f.contact_not_due),
                         ("按时办结（整改）数", f.closed_on_time), ("差评按时整改率", f.closed_rate), ("尚未办结", f.still_open),
                         ("尚未办结且未到整改期限", f.close_not_due)):
        _append(sheet, [label, "—" if value is None else value])
        if isinstance(value, float):
            sheet.cell(row=sheet.max_row, column=2).number_format = "0.0%"


def _saved(book: Workbook) -> bytes:
    for sheet in book.worksheets:
        _fit_columns(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bar_chart_svg(labels: Sequence[str], values: Sequence[float], title: str, width: int = 640, height: int = 240) -> str:
    """A plain bar chart drawn server-side: no CDN and no JavaScript needed to see it."""
    top = max(values, default=0) or 1
    n = max(len(values), 1)
    left, bottom, plot_h = 40, height - 30, height - 60
    slot = (width - left - 10) / n
    # Labels that would run into each other ("U01U02U03…") are shown one in `every`; each bar
    # keeps its own in the tooltip. ~10 px a character at font-size 10 (a CJK glyph is square).
    widest = max((len(str(label)) * 10 + 4 for label in labels), default=0)
    every = max(1, math.ceil(widest / slot)) if slot else 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="14">{html.escape(title)}</text>',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#999"/>',
             f'<line x1="{left}" y1="{bottom - plot_h}" x2="{left}" y2="{bottom}" stroke="#999"/>',
             f'<text x="{left - 4}" y="{bottom - plot_h + 4:.1f}" text-anchor="end" font-size="10">{top:g}</text>',
             f'<text x="{left - 4}" y="{bottom:.1f}" text-anchor="end" font-size="10">0</text>']
    for i, (label, value) in enumerate(zip(labels, values)):
        h = plot_h * value / top
        x = left + i * slot
        parts.append(f'<rect x="{x + 2:.1f}" y="{bottom - h:.1f}" width="{max(slot - 4, 1):.1f}" height="{h:.1f}" fill="#2b6cb0"><title>{html.escape(str(label))}: {value:g}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{height - 14}" text-anchor="middle" font-size="10">{html.escape(str(label))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(rows: Sequence[Figures], by: str, title: str) -> str:
    legs = counts_legs(by, None)
    chart = bar_chart_svg([r.label or r.key for r in rows], [float(r.tickets) for r in rows],
                          f"{title}：{'经手件数' if legs else '取号数'}")
    figures_table = _html_table(rows, by, ' border="1"', legs)
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f"<body><h1>{html.escape(title)}</h1>{chart}{figures_table}</body></html>")


def _axis_labels(xs: Sequence[float], labels: Sequence[str], width: int) -> list[tuple[float, str]]:
    """Where the trend's day labels go: one in every n // 8, always the last day (the period's end,
    the one a manager looks for), each kept inside the chart and clear of the one before it.

    Centred on the last point, "11-30" was cut to "11-3" at the right edge; shown as well as every
    n // 8th, it ran into the label before it whenever the count was not a multiple of that."""
    n = len(xs)
    every = max(n // 8, 1)
    half = max((len(label) for label in labels), default=0) * 6 / 2 + 2  # ~6 px an ASCII character
    centre = [min(max(x, half), width - half) for x in xs]
    chosen = [i for i in range(n) if i % every == 0]
    if n and chosen[-1] != n - 1:
        chosen = [i for i in chosen if centre[n - 1] - centre[i] >= 2 * half] + [n - 1]
    return [(centre[i], labels[i]) for i in chosen]


def line_chart_svg(labels: Sequence[str], values: Sequence[float], title: str, width: int = 640, height: int = 240) -> str:
    """A trend line drawn server-side (daily totals over a period); every point has a tooltip."""
    top = max(values, default=0) or 1
    n = len(values)
    left, bottom, plot_h = 40, height - 30, height - 60
    step = (width - left - 10) / max(n - 1, 1)
    points = [(left + i * step, bottom - plot_h * v / top) for i, v in enumerate(values)]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="14">{html.escape(title)}</text>',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#999"/>',
             f'<text x="{left - 4}" y="{bottom - plot_h + 4:.1f}" text-anchor="end" font-size="10">{top:g}</text>']
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#c8102e" stroke-width="2"/>')
    for (x, y), label, value in zip(points, labels, values):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#c8102e"><title>{html.escape(str(label))}: {value:g}</title></circle>')
    for x, label in _axis_labels([x for x, _ in points], [str(label) for label in labels], width):
        parts.append(f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle" font-size="10">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def table_html(rows: Sequence[Figures], by: str, legs: bool = False) -> str:
    return _html_table(rows, by, ' class="report-table"', legs)


TODAY_NOTE = "今日数据只含已结束的号票（办结、过号、取消等），正在等候和办理中的尚未计入；实时情况请看大厅看板。"
"""Said above a report whose period holds today: its 取号数 at 10:15 was half the dashboard's."""


def report_fragment(rows: Sequence[Figures], by: str, series: ChartSeries, histogram: Sequence[tuple[str, int]],
                    *, includes_today: bool = False, final_note: str = "", legs: bool = False) -> str:
    """The report page's body: four server-drawn charts and the table, as one HTML fragment; for a
    period without a ticket, a sentence saying so (four empty charts looked broken)."""
    note = "".join(f'<p class="note">{html.escape(text)}</p>' for text in (TODAY_NOTE if includes_today else "", final_note) if text)
    if not rows:
        return f'{note}<p class="empty">所选期间没有已结束的号票，暂无统计数据。</p>'
    charts = [
        bar_chart_svg([f"{h:02d}时" for h, _ in series.tickets_by_hour], [float(n) for _, n in series.tickets_by_hour],
                      "分时段取号量"),
        bar_chart_svg([label for label, _ in histogram], [float(n) for _, n in histogram], "等候时长分布（分钟，人数）"),
        bar_chart_svg([f"{z}区" for z, _ in series.wait_mean_by_zone], [round((w or 0) / 60, 1) for _, w in series.wait_mean_by_zone],
                      "各分区平均等候（分钟）"),
        line_chart_svg([d[5:] for d, _ in series.tickets_by_day], [float(n) for _, n in series.tickets_by_day], "每日取号量趋势"),
    ]
    figures_html = "".join(f'<figure class="chart">{svg}</figure>' for svg in charts)
    return f'{note}<div class="charts">{figures_html}</div>{table_html(rows, by, legs)}'
