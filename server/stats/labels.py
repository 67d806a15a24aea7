"""What a manager reads in place of a report's group keys: names, not codes.

Why here: the figures are grouped by the codes the ledger stores (U29, W01, A1, 4302240900407,
staff01, weekday 1, hour 8) and stay keyed by them for sums and joins; every page and file a
person reads shows 县公安局, 1号窗口, A1 综合受理, the item's name, 张三（staff01）, 星期一 and
08:00-09:00 instead. One place for all of them, so the page, the CSV, the Excel and the CLI's HTML
agree.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.config.models import HallConfig
from server.stats.metrics import Figures
from server.storage.schema import users

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")  # isoweekday 1..7
NO_ITEM = "（未选具体事项）"
"""Tickets taken for a queue, not an item (a queue button, an appointment): the ledger's item is empty."""
NOT_CALLED = "（未叫号）"
"""Legs no window called (cancelled, still waiting at closing, passed on and never called):
grouped by window or person they have neither, and the row read "None"."""


def staff_names(conn: Connection) -> dict[str, str]:
    """Accounts' display names by staff id (a reader's statement, for Database.read)."""
    return {row.username: row.display_name for row in conn.execute(select(users.c.username, users.c.display_name))}


def person_label(staff_id: str, names: Mapping[str, str]) -> str:
    """张三（staff01）: the name a manager knows and the id that tells two 张三 apart."""
    name = names.get(staff_id)
    return f"{name}（{staff_id}）" if name and name != staff_id else staff_id


@dataclass(frozen=True)
class GroupLabels:
    config: HallConfig
    staff: Mapping[str, str]

    def label(self, by: str, key: str) -> str:
        """The readable name of group ``key`` under grouping ``by``; the key itself when unknown
        (a code no longer configured still shows as what it was)."""
        if by == "all":
            return "合计"
        if by == "hour" and key.isdigit():
            hour = int(key)
            return f"{hour:02d}:00-{hour + 1:02d}:00"
        if by == "weekday" and key.isdigit() and 1 <= int(key) <= 7:
            return WEEKDAYS_ZH[int(key) - 1]
        if by in ("staff", "window") and key in ("", "None"):
            return NOT_CALLED
        if by == "staff":
            return person_label(key, self.staff)
        if by == "item":
            if key in ("", "None"):
                return NO_ITEM
            item = self.config.item(key)
            return item.name if item else key
        named: Any = {"zone": self.config.zone, "unit": self.config.unit, "queue": self.config.queue,
                      "window": self.config.window}.get(by)
        found = named(key) if named else None
        if found is None:
            return key
        if by == "zone":
            return f"{key}区 {found.name}"
        if by == "queue":
            return f"{key} {found.name}"
        return str(found.name)

    def apply(self, rows: Sequence[Figures], by: str) -> list[Figures]:
        return [replace(row, label=self.label(by, row.key)) for row in rows]
