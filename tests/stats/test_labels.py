"""Report groups by name, shared ranks and the report page's charts: what a manager reads.

Tried: every grouping's keys as the ledger stores them (codes, isoweekday, hour, an empty item),
scores with ties, a period with no tickets, and a bar chart of 33 units. Kept: names instead of
codes everywhere, 并列 ranks, a sentence for an empty period, and chart labels that do not run
into each other (each bar keeps its label in its tooltip).
"""
from __future__ import annotations

import re

import pytest

from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.stats.assessment import ScoreLine, shared_ranks
from server.stats.export import bar_chart_svg, line_chart_svg, report_fragment
from server.stats.labels import NO_ITEM, NOT_CALLED, GroupLabels
from server.stats.metrics import ChartSeries


@pytest.fixture(scope="module")
def labels() -> GroupLabels:
    return GroupLabels(load_hall_config(default_config_dir()), {"staff01": "张三", "kiosk-name": "kiosk-name"})


@pytest.mark.parametrize(("by", "key", "shown"), [
    ("all", "all", "合计"),
    ("hour", "8", "08:00-09:00"),
    ("hour", "17", "17:00-18:00"),
    ("weekday", "1", "星期一"),
    ("weekday", "7", "星期日"),
    ("zone", "C", "C区 不动产登记区"),
    ("queue", "C1", "C1 不动产登记"),
    ("window", "W01", "1号窗口"),
    ("window", "BO-C", "不动产登记后台审批室"),
    ("unit", "U01", None),  # the unit's name from zones.toml, checked below
    ("item", "None", NO_ITEM),
    ("item", "", NO_ITEM),
    ("item", "no-such-item", "no-such-item"),
    ("staff", "staff01", "张三（staff01）"),
    ("staff", "kiosk-name", "kiosk-name"),
    ("staff", "sim-w01", "sim-w01"),  # no account: the id as it is
    ("staff", "None", NOT_CALLED),  # tickets nobody called (cancelled, closed at the end of the day)
    ("window", "None", NOT_CALLED),
    ("day", "2026-11-26", "2026-11-26"),
    ("zone", "Z", "Z"),  # a zone no longer configured still shows what it was
])
def test_every_grouping_reads_as_names(labels: GroupLabels, by: str, key: str, shown: str | None) -> None:
    if shown is None:
        unit = labels.config.unit(key)
        assert unit is not None and labels.label(by, key) == unit.name and not re.fullmatch(r"U\d+", unit.name)
    else:
        assert labels.label(by, key) == shown


def test_an_item_reads_as_its_name(labels: GroupLabels) -> None:
    item = labels.config.items[0]
    assert labels.label("item", item.code) == item.name


def test_equal_scores_share_a_rank() -> None:
    assert shared_ranks([100.04, 100.04, 100.04, 99.5, 99.5, 90.0]) == [1, 1, 1, 4, 4, 6]
    assert shared_ranks([]) == []
    assert shared_ranks([80.0]) == [1]


def test_share_measures_read_in_percent() -> None:
    assert ScoreLine("waits", "群众等候超时占比", 0.1879, "> 20% 扣 5", 0.0).measured_text == "18.8%"
    assert ScoreLine("no_shows", "过号率", None, "> 10%", 0.0).measured_text == "—"
    assert ScoreLine("paused", "工作时间暂停超时（小时）", 1.25, "", -2.5).measured_text == "1.25"
    assert ScoreLine("volume", "办件量", 73, "", 7.3).to_json()["measured_text"] == "73"


def test_an_empty_period_says_so_instead_of_blank_charts() -> None:
    html = report_fragment([], "day", ChartSeries([], [], []), [])
    assert "<svg" not in html and "没有" in html


def test_bar_chart_labels_do_not_run_into_each_other(labels: GroupLabels) -> None:
    names = [u.name for u in labels.config.units]
    assert len(names) == 33
    svg = bar_chart_svg(names, [float(i) for i in range(33)], "按单位取号数")
    axis_labels = re.findall(r'<text x="[\d.]+" y="\d+" text-anchor="middle" font-size="10">([^<]+)</text>', svg)
    assert 1 <= len(axis_labels) < 33 and axis_labels[0] == names[0]
    assert len(re.findall(r"<title>", svg)) == 33  # every bar keeps its name in its tooltip
    assert '>32</text>' in svg and '>0</text>' in svg  # the value axis: its top and its zero


LABEL = re.compile(r'<text x="([\d.]+)" y="\d+" text-anchor="middle" font-size="10">([^<]+)</text>')


@pytest.mark.parametrize("days", [7, 21, 22, 26])
def test_trend_chart_day_labels_stay_inside_and_apart(days: int) -> None:
    """Tried: a week and three months' worth of working days (11-02 … 11-30 style labels). Kept:
    every day label, the period's last among them, lies inside the chart and clear of its
    neighbours (the last, the one a manager looks for, was cut to "11-3" at the right edge, and
    ran into the label before it whenever the count was not a multiple of the spacing)."""
    dates = [f"11-{d:02d}" for d in range(1, days + 1)]
    width = 640
    svg = line_chart_svg(dates, [float(i) for i in range(days)], "每日取号量趋势", width=width)
    shown = [(float(x), label) for x, label in LABEL.findall(svg) if label in dates]
    assert shown[0][1] == dates[0] and shown[-1][1] == dates[-1]
    half = 5 * 6 / 2  # five ASCII characters at ~6 px each (font-size 10)
    spans = [(x - half, x + half) for x, _ in shown]
    assert spans[0][0] >= 0 and spans[-1][1] <= width, spans
    assert all(left[1] <= right[0] for left, right in zip(spans, spans[1:])), spans
    assert len(re.findall(r"<circle", svg)) == days  # every day keeps its point and tooltip
