"""Generate the sample hall (config/) from the province's item catalogue.

Run once by a developer, output committed: `python -m server.config.sample SRC_CSV OUT_DIR`.
It derives units, one queue per (zone, unit), windows and the catalogue from the export, so the
sample stays faithful to a real county hall (茶陵县) without anyone typing 898 items by hand. The
product never runs this; it only reads the files it wrote.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from server.config.items_csv import item_to_row, parse_days, write_catalogue
from server.config.models import Item
from server.config.toml_write import dump_toml

SAMPLE_WINDOWS_PER_ZONE: dict[str, int] = {
    "A": 10, "B": 8, "C": 8, "D": 9, "E": 8, "F": 5, "G": 4, "H": 3, "J": 2, "K": 3,
}
"""Windows per zone, from the hall's traffic profile (60 windows)."""

ONE_STOP_ZONES = frozenset({"A"})
"""一窗通办: every window of the zone serves every queue of the zone, equally."""

BACK_OFFICES: dict[str, str] = {
    "B": "商事登记后台审批室",
    "C": "不动产登记后台审批室",
    "G": "工程建设项目联合审批室",
}
BACK_OFFICE_UNIT_ZONES = frozenset({"B", "C"})
"""Back offices that belong to the zone's main unit; G's is shared by its nine units."""

SAMPLE_DAILY_CAPS: dict[str, int] = {"E1": 600, "D1": 500}
"""Examples of a queue cap on the two busiest queues (公安, 人社)."""

QUEUE_NAMES: dict[str, str] = {
    "县民政局": "民政业务",
    "县卫生健康局": "卫生健康业务",
    "县退役军人事务局": "退役军人业务",
    "县残疾人联合会": "残疾人服务",
    "县教育局": "教育业务",
    "县农业农村局": "农业农村业务",
    "县民族宗教事务局": "民族宗教业务",
    "县市场监督管理局": "市场监管业务",
    "县文化旅游广电体育局": "文旅广体业务",
    "县应急管理局": "应急管理业务",
    "县工业和信息化局": "工业和信息化业务",
    "县商务局": "商务业务",
    "县烟草专卖局": "烟草专卖业务",
    "县自然资源局": "不动产登记",
    "县人力资源和社会保障局": "人社业务",
    "县医疗保障局": "医保业务",
    "县公安局": "公安业务",
    "国家税务总局茶陵县税务局": "税务业务",
    "县住房和城乡建设局": "住建业务",
    "县交通运输局": "交通运输业务",
    "县林业局": "林业业务",
    "县水利局": "水利业务",
    "株洲市生态环境局茶陵分局": "生态环境业务",
    "县城市管理和综合执法局": "城市管理业务",
    "县发展和改革局": "发展改革业务",
    "县气象局": "气象业务",
    "县消防救援大队": "消防业务",
    "县住房公积金管理部": "公积金业务",
    "国网茶陵县供电公司": "供电业务",
    "县自来水公司": "供水业务",
    "县燃气公司": "燃气业务",
    "县数据局": "帮办代办与咨询",
    "县司法局": "公共法律服务",
}

HALL_TOML = """\
# 茶陵县政务服务中心: hall-wide settings. Every key is explained in docs/configuration.md.

[hall]
name = "茶陵县政务服务中心"
timezone = "Asia/Shanghai"
service_level_min = 20          # a wait above this counts as over the service level (KPI)
max_wait_min = 45
status_base_url = "http://127.0.0.1:8080/t/"   # the ticket's QR code points here + the ticket's status token
assisted_queue = "K2"           # 帮办代办与咨询: a kiosk search that finds nothing offers a ticket for it

[hours]
working_weekdays = [1, 2, 3, 4, 5]   # ISO weekdays: 1 = Monday
stop_issuing_before_close_min = 30   # before the END of each session
serve_until_last = true              # everyone holding a ticket is still served
auto_close_at = "23:00"              # still-waiting tickets are closed at this time

[[hours.seasons]]
name = "夏季"
start = "05-01"
end = "09-30"
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]

[[hours.seasons]]
name = "冬季"
start = "10-01"
end = "04-30"                        # wraps the year end: 10-01 .. 12-31 and 01-01 .. 04-30
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:00", end = "17:30" }]

# TECHNICIAN: update this calendar EVERY YEAR when the State Council (国务院办公厅) publishes
# the next year's holiday arrangement (usually in November).
# 2026: the official arrangement. 2027: PROVISIONAL, statutory holiday days only (元旦, 除夕 to
# 初三, 清明, 5-1/5-2, 端午, 中秋, 10-1..10-3); replace with the official list and add its
# make-up working days (调休) once published.
[calendar]
holidays = [
  # 2026 元旦
  2026-01-01, 2026-01-02, 2026-01-03,
  # 2026 春节
  2026-02-15, 2026-02-16, 2026-02-17, 2026-02-18, 2026-02-19, 2026-02-20, 2026-02-21,
  2026-02-22, 2026-02-23,
  # 2026 清明节
  2026-04-04, 2026-04-05, 2026-04-06,
  # 2026 劳动节
  2026-05-01, 2026-05-02, 2026-05-03, 2026-05-04, 2026-05-05,
  # 2026 端午节
  2026-06-19, 2026-06-20, 2026-06-21,
  # 2026 中秋节
  2026-09-25, 2026-09-26, 2026-09-27,
  # 2026 国庆节
  2026-10-01, 2026-10-02, 2026-10-03, 2026-10-04, 2026-10-05, 2026-10-06, 2026-10-07,
  # 2027 PROVISIONAL (statutory days only)
  2027-01-01,
  2027-02-05, 2027-02-06, 2027-02-07, 2027-02-08,
  2027-04-05,
  2027-05-01, 2027-05-02,
  2027-06-09,
  2027-09-15,
  2027-10-01, 2027-10-02, 2027-10-03,
]
workdays = [
  # 2026 调休: make-up working days (Saturdays/Sundays the hall is open)
  2026-01-04,               # 元旦
  2026-02-14, 2026-02-28,   # 春节
  2026-05-09,               # 劳动节
  2026-09-20, 2026-10-10,   # 国庆节
  # 2027: add when published
]

[rules]
max_recalls = 3                 # recalls before a ticket becomes a no-show (过号)
late_requeue_position = 0       # waiting ordinary tickets left ahead of a late re-queued no-show
number_digits = 3               # A1001 → prefix A1, number 001
per_person_daily_cap = 5        # tickets one ID number may take in a day
appointment_early_min = 30      # an appointment may check in this early …
appointment_late_min = 15       # … and this late, relative to its slot
rating_days = 7                 # a visit can be rated (好差评) until this many days after it
followup_contact_days = 1       # a bad rating is called back (差评回访) within this many working days
followup_rectify_days = 15      # … and its rectification (整改) fed back within this many
followup_attempts = 3           # failed calls after which the citizen counts as unreachable

[rules.pause_reasons]
meeting = "会议"
break = "休息"
training = "业务培训"
away = "临时离岗"
other = "其他"

[rules.finish_outcomes]
completed = "办结"
accepted = "受理"
rejected = "不予受理"
incomplete = "材料不全（一次性告知）"
consulted = "咨询"

[rules.priority_classes]
elderly = "老年人"
disabled = "残疾人"
pregnant = "孕妇"
military = "军人"
"""


@dataclass(frozen=True)
class SampleUnit:
    code: str
    name: str
    zone: str
    queue: str


def queue_name(department: str) -> str:
    """The citizen-facing name of a unit's queue; a fallback derives one from the unit name."""
    if department in QUEUE_NAMES:
        return QUEUE_NAMES[department]
    short = department.removeprefix("县")
    for suffix in ("管理局", "局", "公司", "中心"):
        if short.endswith(suffix):
            short = short.removesuffix(suffix)
            break
    return f"{short}业务"


def _units(rows: list[dict[str, str]]) -> tuple[dict[str, str], list[SampleUnit]]:
    """Units numbered zone by zone, largest unit first, so A1 is the zone's main business."""
    zone_names: dict[str, str] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for row in rows:
        zone_names.setdefault(row["zone"], row["zone_name"])
        counts[(row["zone"], row["department"])] += 1
    units: list[SampleUnit] = []
    for zone in sorted(zone_names):
        in_zone = sorted(
            (dept for (z, dept) in counts if z == zone), key=lambda d: (-counts[(zone, d)], d)
        )
        if len(in_zone) > 9:
            raise ValueError(f"zone {zone} has {len(in_zone)} units; prefixes allow 9 a zone")
        for index, dept in enumerate(in_zone, start=1):
            units.append(SampleUnit(f"U{len(units) + 1:02d}", dept, zone, f"{zone}{index}"))
    return zone_names, units


def _windows(
    zone_names: Mapping[str, str], units: list[SampleUnit], per_zone: Mapping[str, int]
) -> list[dict[str, object]]:
    windows: list[dict[str, object]] = []
    number = 0
    for zone in sorted(zone_names):
        zone_units = [u for u in units if u.zone == zone]
        for index in range(per_zone.get(zone, 1)):
            number += 1
            if zone in ONE_STOP_ZONES:
                unit = None
                queues = {u.queue: 1 for u in zone_units}
            else:
                own = zone_units[index % len(zone_units)]
                unit = own.code
                queues = {u.queue: 3 if u is own else 1 for u in zone_units}
            windows.append(
                {"id": f"W{number:02d}", "number": number, "name": f"{number}号窗口",
                 "zone": zone, "unit": unit, "queues": queues}
            )
    for zone, name in BACK_OFFICES.items():
        if zone not in zone_names:
            continue
        main = next(u for u in units if u.zone == zone)
        windows.append(
            {"id": f"BO-{zone}", "name": name, "zone": zone, "kind": "back_office",
             "unit": main.code if zone in BACK_OFFICE_UNIT_ZONES else None, "queues": {}}
        )
    return windows


def build_sample(
    src_csv: Path, out_dir: Path, windows_per_zone: Mapping[str, int] | None = None
) -> None:
    """Write hall.toml, zones.toml, windows.toml and items.csv for the hall in `src_csv`."""
    with open(src_csv, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    zone_names, units = _units(rows)
    by_department = {(u.zone, u.name): u for u in units}
    out_dir.mkdir(parents=True, exist_ok=True)

    (out_dir / "hall.toml").write_text(HALL_TOML, encoding="utf-8")
    zones_doc = {
        "zones": [{"code": z, "name": n} for z, n in sorted(zone_names.items())],
        "units": [{"code": u.code, "name": u.name} for u in units],
        "queues": [
            {"prefix": u.queue, "name": queue_name(u.name), "zone": u.zone, "unit": u.code,
             "daily_cap": SAMPLE_DAILY_CAPS.get(u.queue)}
            for u in units
        ],
    }
    (out_dir / "zones.toml").write_text(
        dump_toml(zones_doc, "Zones (业务分区), resident units (进驻单位) and queues (队列).\n"
                  "See docs/configuration.md. Generated by server/config/sample.py."),
        encoding="utf-8",
    )
    windows_doc = {"windows": _windows(zone_names, units, windows_per_zone or SAMPLE_WINDOWS_PER_ZONE)}
    (out_dir / "windows.toml").write_text(
        dump_toml(windows_doc, "Windows (窗口) and back offices (后台审批室).\n"
                  "queues: queue prefix -> weight. See docs/configuration.md."),
        encoding="utf-8",
    )
    catalogue = []
    for row in rows:
        unit = by_department[(row["zone"], row["department"])]
        item = Item(
            code=row["item_code"], name=row["item_name"], unit=unit.code,
            item_type=row["item_type"], zone=row["zone"], queue=unit.queue,
            instant=row["instant"].strip() == "是", promised_days=parse_days(row["promised_days"]),
        )
        catalogue.append(item_to_row(item, unit.name, zone_names[row["zone"]]))
    write_catalogue(out_dir / "items.csv", catalogue)


if __name__ == "__main__":
    build_sample(Path(sys.argv[1]), Path(sys.argv[2]))
