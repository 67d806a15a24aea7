"""The hall's configuration as immutable, validated values.

Every other part of the hub (queue engine, kiosk menus, boards, statistics) reads the hall through
these models, so they reject anything a technician could mistype: unknown keys (extra="forbid"),
wrong types, and single-value rules (a prefix shape, an inverted session). Rules that need several
objects at once (duplicates, references, coverage of the year) live in `checks.py`, which the
loader runs with file names and which `HallConfig` re-runs so a config built in code is held to
the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from datetime import date, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from server.config import checks

PREFIX_PATTERN = r"^[A-Z][A-Z0-9]{0,2}$"
"""A queue prefix: 1-3 uppercase letters/digits, starting with a letter (see `checks.py` for
the rule that makes every ticket number parse back to exactly one queue)."""

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$"
ITEM_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{3,39}$"
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def _not_blank(name: str) -> str:
    """A name of only spaces (or tabs, or 全角空格) passed as "at least 1 character" and showed as
    a blank where the board, the ticket, the kiosk and the reports name the hall, a zone, a unit,
    a queue, a window or an item. Refused, not trimmed: the file is the technician's to correct."""
    if not name.strip():
        raise ValueError("a name may not be empty or only spaces: it is what the boards, tickets and reports show")
    return name


Name = Annotated[str, AfterValidator(_not_blank)]
"""A person-facing name in the hall's files: at least one character that is not a space."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HallInfo(_Model):
    """Who the hall is and the promises it measures itself against."""

    name: Name
    timezone: str = "Asia/Shanghai"
    service_level_min: Annotated[int, Field(ge=1)] = 20
    max_wait_min: Annotated[int, Field(ge=1)] = 45
    status_base_url: Annotated[str, Field(pattern=r"^https?://")] = "http://127.0.0.1:8080/t/"
    assisted_queue: str | None = None
    """The queue of the hall's assisted service (帮代办, e.g. K2): a kiosk search that finds
    nothing offers a ticket for it, where it said only 咨询工作人员 and left the citizen there."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)")
        return value

    @model_validator(mode="after")
    def _levels_in_order(self) -> HallInfo:
        if self.max_wait_min < self.service_level_min:
            raise ValueError(
                f"max_wait_min ({self.max_wait_min}) is shorter than service_level_min "
                f"({self.service_level_min})"
            )
        return self


class Session(_Model):
    """One opening period of a day (a morning or an afternoon)."""

    start: time
    end: time

    @model_validator(mode="after")
    def _not_inverted(self) -> Session:
        if self.start >= self.end:
            raise ValueError(
                f"session starts at {self.start:%H:%M} but ends at {self.end:%H:%M}; "
                "start must be before end"
            )
        return self


def month_day(value: str) -> tuple[int, int]:
    """Parse "MM-DD" into (month, day); 02-29 is allowed because leap years have it."""
    match = _MONTH_DAY.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a month-day like 05-01")
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2024, month, day)  # 2024 is a leap year, so 02-29 is valid
    except ValueError:
        raise ValueError(f"{value!r} is not a real day of the year") from None
    return month, day


class Season(_Model):
    """A stretch of the year with its own opening sessions; start..end inclusive, may wrap."""

    name: Name
    start: str
    end: str
    sessions: list[Session]

    @field_validator("start", "end")
    @classmethod
    def _month_day(cls, value: str) -> str:
        month_day(value)
        return value

    def contains(self, d: date) -> bool:
        """True if the day falls in this season, including seasons that wrap the year end."""
        here, start, end = (d.month, d.day), month_day(self.start), month_day(self.end)
        if start <= end:
            return start <= here <= end
        return here >= start or here <= end


class Hours(_Model):
    seasons: Annotated[list[Season], Field(min_length=1)]
    working_weekdays: list[Annotated[int, Field(ge=1, le=7)]] = [1, 2, 3, 4, 5]
    stop_issuing_before_close_min: Annotated[int, Field(ge=0)] = 30
    serve_until_last: bool = True
    auto_close_at: time = time(23, 0)


class Calendar(_Model):
    """Exceptions to the weekly pattern: public holidays and make-up working days (调休)."""

    holidays: list[date] = []
    workdays: list[date] = []


class Rules(_Model):
    max_recalls: Annotated[int, Field(ge=0, le=10)] = 3
    late_requeue_position: Annotated[int, Field(ge=0)] = 0
    number_digits: Annotated[int, Field(ge=3, le=6)] = 3
    per_person_daily_cap: Annotated[int, Field(ge=1)] = 5
    id_required_items: list[str] = []
    """Item codes whose kiosk tickets need the ID card read, as ``Queue.id_required`` for a whole
    queue (the catalogue is the province's CSV export, so the hall lists its own choice here)."""
    appointment_early_min: Annotated[int, Field(ge=0)] = 30
    appointment_late_min: Annotated[int, Field(ge=0)] = 15
    rating_days: Annotated[int, Field(ge=0, le=31)] = 7
    """A visit can be rated until the end of this many days after its hall day (0: that day
    only). Without a limit a rating came months later through the ticket's QR code and changed
    a month whose assessment had been run, with the clerk's appeal window long closed."""
    followup_contact_days: Annotated[int, Field(ge=0, le=30)] = 1
    """A bad rating (1-2) must be followed up with the citizen (回访) by the end of this many
    working days after the rating's day (国办发〔2019〕51号; 0: the same day)."""
    followup_rectify_days: Annotated[int, Field(ge=0, le=60)] = 15
    """...and its rectification (整改) fed back by the end of this many working days after it."""
    followup_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    """Failed calls after which the citizen counts as unreachable (无法联系) and the hall
    verifies the complaint by its own means (video, records)."""
    pause_reasons: dict[str, str] = {
        "meeting": "会议",
        "break": "休息",
        "training": "业务培训",
        "away": "临时离岗",
        "other": "其他",
    }
    finish_outcomes: dict[str, str] = {
        "completed": "办结",
        "accepted": "受理",
        "rejected": "不予受理",
        "incomplete": "材料不全（一次性告知）",
        "consulted": "咨询",
    }
    priority_classes: dict[str, str] = {
        "elderly": "老年人",
        "disabled": "残疾人",
        "pregnant": "孕妇",
        "military": "军人",
    }

    @field_validator("pause_reasons", "finish_outcomes", "priority_classes")
    @classmethod
    def _labelled_codes(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("needs at least one entry")
        for code, label in value.items():
            if not re.match(r"^[a-z][a-z0-9_]*$", code):
                raise ValueError(f"code {code!r} must be lowercase letters, digits or _")
            if not label.strip():
                raise ValueError(f"code {code!r} has an empty label")
        return value

    @property
    def max_ticket_number(self) -> int:
        """Highest number a queue can hand out in a day without reusing one."""
        return 10**self.number_digits - 1


class Zone(_Model):
    code: Annotated[str, Field(pattern=r"^[A-Z]$")]
    name: Name
    announce: bool = True
    voice_repeat: Annotated[int, Field(ge=1, le=5)] = 2


class Unit(_Model):
    code: Annotated[str, Field(pattern=CODE_PATTERN)]
    name: Name


class Queue(_Model):
    prefix: Annotated[str, Field(pattern=PREFIX_PATTERN)]
    name: Name
    zone: str
    unit: str | None = None
    daily_cap: Annotated[int, Field(ge=1)] | None = None
    id_required: bool = False
    """A kiosk ticket for this queue needs the citizen's ID card read (请刷身份证): the hub refuses
    one without ``person_id``, so the per-person daily cap holds where touts take tickets."""


class Window(_Model):
    id: Annotated[str, Field(pattern=CODE_PATTERN)]
    number: Annotated[int, Field(ge=1)] | None = None
    name: Name
    zone: str
    kind: Literal["window", "back_office"] = "window"
    unit: str | None = None
    queues: dict[str, Annotated[int, Field(ge=1)]] = {}

    @model_validator(mode="after")
    def _kind_rules(self) -> Window:
        if self.kind == "window" and self.number is None:
            raise ValueError("a window needs a hall-wide number (it is spoken as “N号窗口”)")
        if self.kind == "back_office" and self.number is not None:
            raise ValueError("a back office has no number: it calls silently, with no board")
        if self.kind == "window" and not self.queues:
            raise ValueError("a window must serve at least one queue (only back offices may not)")
        return self


class Item(_Model):
    code: Annotated[str, Field(pattern=ITEM_CODE_PATTERN)]
    name: Name
    unit: str
    item_type: str = ""
    zone: str
    queue: str
    instant: bool
    promised_days: Annotated[int, Field(ge=0)]
    daily_cap: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _days_fit_the_kind(self) -> Item:
        """An instant item (即办件) is concluded at the counter; a promised one (承诺件) takes days.
        Either way round, the ticket and the status page promised the citizen the wrong thing."""
        if self.instant and self.promised_days:
            raise ValueError(f"an instant item (即办件) is concluded on the spot: promised_days must be 0, not {self.promised_days}")
        if not self.instant and not self.promised_days:
            raise ValueError("an item that is not instant (承诺件) needs promised_days of at least 1")
        return self


@dataclass(frozen=True)
class ConfigIndex:
    """A hall's codes mapped to what they name (HallConfig.by_key)."""

    queues: dict[str, Queue]
    windows: dict[str, Window]
    zones: dict[str, Zone]
    items: dict[str, Item]
    holidays: frozenset[date]
    workdays: frozenset[date]


class HallConfig(_Model):
    """The whole hall, consistent across files; lookups are dictionaries built once."""

    hall: HallInfo
    hours: Hours
    calendar: Calendar = Calendar()
    rules: Rules = Rules()
    zones: list[Zone]
    units: list[Unit]
    queues: list[Queue]
    windows: list[Window]
    items: list[Item] = []

    @model_validator(mode="after")
    def _consistent(self) -> HallConfig:
        problems = checks.check_all(self)
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> HallConfig:
        """A copy with `update` applied and validated afresh. Pydantic's own copy keeps the
        instance dict, cached lookups included: a copy with other windows still found the old
        ones by id (a test was bitten), and it skipped the hall's consistency checks."""
        if not update:
            return super().model_copy(deep=deep)
        return type(self).model_validate({**{name: getattr(self, name) for name in type(self).model_fields}, **update})

    @cached_property
    def by_key(self) -> ConfigIndex:
        """The lookup tables, built on first use. A cached property lives in the instance's own
        dict: pydantic's private attributes cost 1.7 us an access, several times a request."""
        return ConfigIndex(
            queues={q.prefix: q for q in self.queues},
            windows={w.id: w for w in self.windows},
            zones={z.code: z for z in self.zones},
            items={i.code: i for i in self.items},
            holidays=frozenset(self.calendar.holidays),
            workdays=frozenset(self.calendar.workdays),
        )

    # Lookups return None for an unknown code: codes arrive from kiosks, pads and HTTP requests,
    # and the caller turns None into its own "not found" reply.
    def queue(self, prefix: str) -> Queue | None:
        return self.by_key.queues.get(prefix)

    def window(self, id: str) -> Window | None:
        return self.by_key.windows.get(id)

    def zone(self, code: str) -> Zone | None:
        return self.by_key.zones.get(code)

    def call_zones(self, ticket_zone: str | None, window_id: str | None) -> tuple[str, ...]:
        """The zones where a call is heard and shown: the one the ticket waits in (where its kiosk
        sent the citizen), then the calling window's own when that is another (a window serving
        another zone's queue). Voice, LED boards, TV boards and the event stream all ask here: each
        once had its own copy, and the stream's (the ticket's zone only) left a zone-A TV board
        blank while zone A's speaker and LED board called a citizen to a zone-A window."""
        window = self.window(window_id) if window_id else None
        return tuple(dict.fromkeys(z for z in (ticket_zone, window.zone if window else None) if z))

    def item(self, code: str) -> Item | None:
        return self.by_key.items.get(code)

    def id_required(self, queue: str | None, item_code: str | None) -> bool:
        """Whether a kiosk ticket for this queue or item needs the citizen's ID (see Queue.id_required)."""
        item = self.item(item_code) if item_code else None
        prefix = item.queue if item is not None else queue
        found = self.queue(prefix) if prefix else None
        return bool(found is not None and found.id_required) or item_code in self.rules.id_required_items

    def unit(self, code: str) -> Unit | None:
        return next((u for u in self.units if u.code == code), None)

    def ticket_number(self, prefix: str, seq: int) -> str:
        """A ticket's number as issued, printed, called and shown: the prefix, then the seq
        zero-padded to ``rules.number_digits`` (A1 and 1 -> A1001)."""
        return f"{prefix}{seq:0{self.rules.number_digits}d}"

    def longest_ticket_number(self) -> str:
        """The widest number the hall hands out (longest prefix, last number of the day): every
        display of numbers (a call-pad's few digits) must fit it."""
        return max((self.ticket_number(q.prefix, self.rules.max_ticket_number) for q in self.queues), key=len, default="")

    def queues_of_window(self, id: str) -> list[Queue]:
        """The queues a window calls from, heaviest weight first, then in file order ([] if unknown)."""
        window = self.by_key.windows.get(id)
        if window is None:
            return []
        served = window.queues
        return sorted((self.by_key.queues[p] for p in served), key=lambda q: -served[q.prefix])

    def windows_of_zone(self, code: str) -> list[Window]:
        """Windows and back offices of a zone, in file order ([] if unknown)."""
        return [w for w in self.windows if w.zone == code]

    def season_on(self, d: date) -> Season:
        return next(s for s in self.hours.seasons if s.contains(d))

    def is_working_day(self, d: date) -> bool:
        """A working weekday that is no public holiday, or a make-up working day (调休)."""
        if d in self.by_key.holidays:
            return False
        return d in self.by_key.workdays or d.isoweekday() in self.hours.working_weekdays

    def sessions_on(self, d: date) -> list[Session]:
        """Opening sessions of a day: none on holidays and rest days, except make-up workdays."""
        if not self.is_working_day(d):
            return []
        return sorted(self.season_on(d).sessions, key=lambda s: s.start)
