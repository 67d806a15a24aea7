"""The duty roster (config/roster.toml): who is expected at a window on which days.

The assessment needs it to see whole-day absence: a person who never logs in on a working day
leaves no trace in the window figures, so only a list of who was expected can show the day as
missed. The file is optional; without it nobody is expected and only time missing on days a
person logged in counts as absent.

The hall calendar decides which days are working days (`HallConfig.sessions_on`); the roster only
narrows them per person (weekdays) and excuses leave (请假/公休): whole days, or half days
(上午/下午: the day's sessions that start before noon, or at noon and after), which excuse those
sessions' scheduled time from the day's absence.
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from server.config.checks import duplicates
from server.config.loader import declared, read_optional_toml, unknown_keys, validate_list
from server.config.models import HallConfig
from server.config.problems import ConfigError, ConfigProblem
from server.stats.spans import Span, normalise, total
from server.stats.window_day import scheduled_spans, session_spans

ROSTER_FILE = "roster.toml"
WEEKDAY_NAMES = {
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), start=1)},
    **{name: n for n, name in enumerate(("周一", "周二", "周三", "周四", "周五", "周六", "周日"), start=1)},
}


def _weekday_number(value: Any) -> Any:
    """'mon' or '周一' -> 1 (ISO, as hall.toml's working_weekdays); anything else is refused."""
    if not isinstance(value, str):
        raise ValueError("a weekday is a name: mon, tue, wed, thu, fri, sat, sun (or 周一 … 周日)")
    number = WEEKDAY_NAMES.get(value.strip().lower())
    if number is None:
        raise ValueError("unknown weekday (use mon, tue, wed, thu, fri, sat, sun or 周一 … 周日)")
    return number


Weekday = Annotated[int, BeforeValidator(_weekday_number)]
NOON = time(12, 0)
LEAVE_PARTS = {"day": "day", "全天": "day", "morning": "morning", "上午": "morning", "afternoon": "afternoon", "下午": "afternoon"}


def _leave_part(value: Any) -> Any:
    """'上午' -> 'morning' etc.; anything else is refused with the words that are understood."""
    part = LEAVE_PARTS.get(value.strip().lower()) if isinstance(value, str) else None
    if part is None:
        raise ValueError("a leave part is day, morning or afternoon (or 全天, 上午, 下午)")
    return part


LeavePart = Annotated[Literal["day", "morning", "afternoon"], BeforeValidator(_leave_part)]
StaffId = Annotated[str, Field(min_length=1, max_length=64)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RosterStaff(_Entry):
    """One person expected at work: `id` is the username they log in to a window with."""

    id: StaffId
    # None: every day the hall is open (make-up workdays included). A list: only those weekdays
    # of the days the hall is open.
    weekdays: Annotated[frozenset[Weekday], Field(min_length=1)] | None = None

    def works_on(self, day: date) -> bool:
        return self.weekdays is None or day.isoweekday() in self.weekdays


class Leave(_Entry):
    """Days a person is excused (`from` and `to` both included), whole or, with `part`, the
    morning or afternoon of each."""

    staff: StaffId
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    part: LeavePart = "day"
    kind: Annotated[str, Field(min_length=1, max_length=16)] = "请假"

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def excused_spans(self, config: HallConfig, day: date) -> list[Span]:
        """The day's scheduled sessions this leave excuses, as epoch-second spans."""
        if not self.covers(day):
            return []
        return [
            span for starts, span in session_spans(config, day)
            if self.part == "day" or (self.part == "morning") == (starts < NOON)
        ]


@dataclass(frozen=True)
class Roster:
    staff: tuple[RosterStaff, ...] = ()
    leave: tuple[Leave, ...] = ()

    @property
    def ids(self) -> list[str]:
        return [person.id for person in self.staff]

    def expected_days(self, config: HallConfig, start: date, end: date) -> dict[str, list[date]]:
        """Each rostered person's working days in [start, end]: the hall is open, it is one of
        their weekdays and leave does not excuse all of it (half a day's leave leaves the other half)."""
        open_days = [day for day in _days(start, end) if config.sessions_on(day)]
        return {
            person.id: [
                day for day in open_days
                if person.works_on(day) and self.excused_s(config, person.id, day) < total(scheduled_spans(config, day))
            ]
            for person in self.staff
        }

    def excused_s(self, config: HallConfig, staff: str, day: date) -> float:
        """Seconds of the day's scheduled time `staff` is excused by leave."""
        return total(normalise(span for lv in self.leave if lv.staff == staff for span in lv.excused_spans(config, day)))


def _days(start: date, end: date) -> Iterator[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def _entries(raw: dict[str, Any], key: str) -> list[Any]:
    return raw[key] if isinstance(raw.get(key), list) else []


def roster_from_mapping(raw: dict[str, Any], file: str = ROSTER_FILE) -> Roster:
    """Every problem at once in a ConfigError (file, key path, reason); entries are validated one
    by one so a typo in one person does not hide the problems of the others."""
    problems: list[ConfigProblem] = []
    unknown_keys(raw, ("staff", "leave"), file, problems)
    staff = validate_list(raw, "staff", RosterStaff, file, problems) if "staff" in raw else []
    leave = validate_list(raw, "leave", Leave, file, problems) if "leave" in raw else []
    raw_staff = [(f"staff[{i}]", e) for i, e in enumerate(_entries(raw, "staff")) if isinstance(e, dict)]
    problems += duplicates(file, raw_staff, lambda e: e.get("id") if isinstance(e.get("id"), str) else None, "id", "staff id")
    problems += [
        ConfigProblem(file, f"{path}.to", f"{lv.end} is before `from` ({lv.start})") for path, lv in leave if lv.end < lv.start
    ]
    rostered = declared(raw, "staff", "id") or frozenset()
    problems += [  # from the raw entries, as duplicates are, so an entry with another mistake is still checked
        ConfigProblem(file, f"leave[{i}].staff", f"{entry['staff']!r} is not on the roster (no [[staff]] with this id)")
        for i, entry in enumerate(_entries(raw, "leave"))
        if isinstance(entry, dict) and isinstance(entry.get("staff"), str) and entry["staff"] not in rostered
    ]
    if problems:
        raise ConfigError(problems)
    return Roster(tuple(person for _, person in staff), tuple(lv for _, lv in leave))


def parse_roster(text: str, file: str = ROSTER_FILE) -> Roster:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([ConfigProblem(file, "", f"not valid TOML: {exc}")]) from None
    return roster_from_mapping(raw, file)


def load_roster(config_dir: Path) -> Roster:
    """The hall's roster, or an empty one (nobody expected) when there is no roster.toml."""
    raw = read_optional_toml(Path(config_dir), ROSTER_FILE)  # as the hall's own files: GBK is named
    return Roster() if raw is None else roster_from_mapping(raw, ROSTER_FILE)
