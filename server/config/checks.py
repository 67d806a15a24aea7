"""Rules that span several configuration objects: duplicates, references, coverage.

They take objects paired with the key path they came from, so the loader can point at the exact
line a technician must fix (`windows.toml: windows[12].queues.Z9: ...`), and `HallConfig` can run
the same rules on objects built in code. Each function returns problems; none raises.

Prefix rule: a ticket number is the queue prefix followed by digits (A1 + 007 = "A1007"). Prefixes
start with a letter, and no prefix may be the beginning of another one (A and A1 may not both
exist), so every ticket number read back from a screen, a pad or a log belongs to exactly one queue.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypeVar

from server.config.problems import (
    HALL_FILE,
    ITEMS_FILE,
    WINDOWS_FILE,
    ZONES_FILE,
    ConfigProblem,
    join_path,
)

if TYPE_CHECKING:
    from server.config.models import (
        Calendar,
        HallConfig,
        HallInfo,
        Hours,
        Item,
        Queue,
        Rules,
        Unit,
        Window,
        Zone,
    )

T = TypeVar("T")
Located = tuple[str, T]
"""An object and the key path it was read from, e.g. ("windows[3]", Window(...))."""


@dataclass(frozen=True)
class Known:
    """Codes declared in the files, including those whose entry failed validation.

    References are checked against these, so one broken queue entry is reported once, not again
    by every window that serves it. None means the declaring file could not be read at all, and
    references to it are not checked.
    """

    zones: frozenset[str] | None = None
    units: frozenset[str] | None = None
    queues: frozenset[str] | None = None
    queue_zones: dict[str, str] = field(default_factory=dict)
    unit_names: dict[str, str] = field(default_factory=dict)
    zone_names: dict[str, str] = field(default_factory=dict)


def duplicates(
    file: str, located: Sequence[Located[T]], key: Callable[[T], Hashable], field_name: str, what: str
) -> list[ConfigProblem]:
    """A problem for each entry whose key an earlier entry already has (None keys are skipped);
    shared by every configuration file's checks, the duty roster's included."""
    seen: dict[Hashable, str] = {}
    problems = []
    for path, obj in located:
        value = key(obj)
        if value is None:
            continue
        # Each entry by its id too (W26), where the value is not it: `windows[26]` alone sent a
        # technician counting [[windows]] blocks from 0 in a 500-line file.
        ident = getattr(obj, "id", None) or getattr(obj, "code", None)
        named = isinstance(ident, str) and ident != value
        if value in seen:
            problems.append(
                ConfigProblem(
                    file,
                    join_path(path, field_name),
                    f"duplicate {what} {value}{f' at {ident}' if named else ''} (already used by {seen[value]})",
                )
            )
        else:
            seen[value] = f"{ident}, {path}" if named else path
    return problems


def _reference(
    file: str, path: str, value: str | None, known: frozenset[str] | None, what: str, where: str
) -> list[ConfigProblem]:
    if value is None or known is None or value in known:
        return []
    if not value.strip():  # it read "unknown unit  (not declared ...)", the empty name between two spaces
        return [ConfigProblem(file, path, f"empty: every entry names its {what}, declared in {where}; a CSV row that "
                                          f"ends early (cells or commas missing) leaves it out")]
    return [ConfigProblem(file, path, f"unknown {what} {value} (not declared in {where})")]


def _fmt(t: object) -> str:
    return f"{t:%H:%M}"


def check_hours(hours: Hours, file: str = HALL_FILE, prefix: str = "hours") -> list[ConfigProblem]:
    """Sessions of a season must not overlap; seasons must cover each day exactly once."""
    problems: list[ConfigProblem] = []
    for s_index, season in enumerate(hours.seasons):
        season_path = join_path(prefix, f"seasons[{s_index}]")
        ordered = sorted(enumerate(season.sessions), key=lambda pair: pair[1].start)
        for (_, earlier), (index, later) in zip(ordered, ordered[1:]):
            if later.start < earlier.end:
                problems.append(
                    ConfigProblem(
                        file,
                        join_path(season_path, f"sessions[{index}]"),
                        f"session {_fmt(later.start)}–{_fmt(later.end)} overlaps session "
                        f"{_fmt(earlier.start)}–{_fmt(earlier.end)}",
                    )
                )
        if season.sessions:
            last_end = max(s.end for s in season.sessions)
            if hours.auto_close_at <= last_end:
                problems.append(
                    ConfigProblem(
                        file,
                        join_path(prefix, "auto_close_at"),
                        f"auto_close_at {_fmt(hours.auto_close_at)} is not after the end of "
                        f"season {season.name!r} ({_fmt(last_end)})",
                    )
                )
    problems.extend(_season_coverage(hours, file, prefix))
    return problems


def _season_coverage(hours: Hours, file: str, prefix: str) -> list[ConfigProblem]:
    uncovered: list[date] = []
    doubled: list[date] = []
    day = date(2024, 1, 1)  # a leap year, so 02-29 must be covered too
    while day.year == 2024:
        count = sum(1 for season in hours.seasons if season.contains(day))
        (uncovered if count == 0 else doubled if count > 1 else []).append(day)
        day += timedelta(days=1)
    problems = []
    path = join_path(prefix, "seasons")
    if uncovered:
        problems.append(
            ConfigProblem(file, path, f"days not covered by any season: {_day_ranges(uncovered)}")
        )
    if doubled:
        problems.append(
            ConfigProblem(file, path, f"days covered by more than one season: {_day_ranges(doubled)}")
        )
    return problems


def _day_ranges(days: list[date]) -> str:
    ranges: list[tuple[date, date]] = []
    for d in days:
        if ranges and ranges[-1][1] + timedelta(days=1) == d:
            ranges[-1] = (ranges[-1][0], d)
        else:
            ranges.append((d, d))
    return ", ".join(
        f"{a:%m-%d}" if a == b else f"{a:%m-%d}..{b:%m-%d}" for a, b in ranges
    )


def check_calendar(
    calendar: Calendar, file: str = HALL_FILE, prefix: str = "calendar"
) -> list[ConfigProblem]:
    problems = []
    problems += duplicates(
        file, [(join_path(prefix, f"holidays[{i}]"), d) for i, d in enumerate(calendar.holidays)],
        lambda d: d, "", "holiday",
    )
    workdays = [(join_path(prefix, f"workdays[{i}]"), d) for i, d in enumerate(calendar.workdays)]
    problems += duplicates(file, workdays, lambda d: d, "", "make-up workday")
    holidays = set(calendar.holidays)
    for path, d in workdays:
        if d in holidays:
            problems.append(
                ConfigProblem(file, path, f"{d} is listed both as a holiday and as a make-up workday")
            )
    return problems


def check_zones(zones: Sequence[Located[Zone]], file: str = ZONES_FILE) -> list[ConfigProblem]:
    return duplicates(file, zones, lambda z: z.code, "code", "zone code")


def check_units(units: Sequence[Located[Unit]], file: str = ZONES_FILE) -> list[ConfigProblem]:
    """Unit names must be unique too: imports find a unit by its department name."""
    return duplicates(file, units, lambda u: u.code, "code", "unit code") + duplicates(
        file, units, lambda u: u.name, "name", "unit name"
    )


def check_queues(
    queues: Sequence[Located[Queue]],
    known: Known,
    rules: Rules | None,
    file: str = ZONES_FILE,
) -> list[ConfigProblem]:
    problems = duplicates(file, queues, lambda q: q.prefix, "prefix", "queue prefix")
    for path, queue in queues:
        for other_path, other in queues:
            if queue.prefix is None or other.prefix is None:  # an invalid entry's (loader.partial_entry)
                continue
            if other.prefix != queue.prefix and other.prefix.startswith(queue.prefix):
                problems.append(
                    ConfigProblem(
                        file,
                        join_path(other_path, "prefix"),
                        f"prefix {other.prefix} begins with prefix {queue.prefix} of {path}; "
                        "ticket numbers would be ambiguous",
                    )
                )
        problems += _reference(file, join_path(path, "zone"), queue.zone, known.zones, "zone", ZONES_FILE)
        problems += _reference(file, join_path(path, "unit"), queue.unit, known.units, "unit", ZONES_FILE)
        if rules is not None and queue.daily_cap is not None:
            if queue.daily_cap > rules.max_ticket_number:
                problems.append(
                    ConfigProblem(
                        file,
                        join_path(path, "daily_cap"),
                        f"daily_cap {queue.daily_cap} exceeds the {rules.number_digits}-digit "
                        f"ticket numbers (at most {rules.max_ticket_number} a day)",
                    )
                )
    return problems


def check_windows(
    windows: Sequence[Located[Window]], known: Known, file: str = WINDOWS_FILE
) -> list[ConfigProblem]:
    problems = duplicates(file, windows, lambda w: w.id, "id", "window id")
    problems += duplicates(file, windows, lambda w: w.number, "number", "window number")
    for path, window in windows:
        problems += _reference(file, join_path(path, "zone"), window.zone, known.zones, "zone", ZONES_FILE)
        problems += _reference(file, join_path(path, "unit"), window.unit, known.units, "unit", ZONES_FILE)
        for prefix in window.queues or {}:  # None: an invalid entry's queues (loader.partial_entry)
            problems += _reference(
                file, join_path(path, f"queues.{prefix}"), prefix, known.queues, "queue", ZONES_FILE
            )
    return problems


def check_queues_served(
    queues: Sequence[Located[Queue]], served: Iterable[str], file: str = ZONES_FILE
) -> list[ConfigProblem]:
    """A queue no window calls from would issue tickets that are never served."""
    served = set(served)
    return [
        ConfigProblem(file, join_path(path, "prefix"), f"no window serves queue {queue.prefix}")
        for path, queue in queues
        if queue.prefix is not None and queue.prefix not in served
    ]


def check_items(
    items: Sequence[Located[Item]], known: Known, file: str = ITEMS_FILE, code_key: str = "code"
) -> list[ConfigProblem]:
    """code_key names the code in key paths: "item_code" for the catalogue's CSV column."""
    problems = duplicates(file, items, lambda i: i.code, code_key, "item code")
    for path, item in items:
        problems += _reference(file, join_path(path, "zone"), item.zone, known.zones, "zone", ZONES_FILE)
        problems += _reference(file, join_path(path, "unit"), item.unit, known.units, "unit", ZONES_FILE)
        problems += _reference(file, join_path(path, "queue"), item.queue, known.queues, "queue", ZONES_FILE)
        queue_zone = known.queue_zones.get(item.queue)
        if queue_zone is not None and item.zone is not None and queue_zone != item.zone:
            problems.append(
                ConfigProblem(
                    file,
                    join_path(path, "queue"),
                    f"queue {item.queue} is in zone {queue_zone}, not in the item's zone {item.zone}",
                )
            )
    return problems


def check_assisted_queue(
    hall: HallInfo | None, known: Known, queues: Sequence[Located[Queue]], file: str = HALL_FILE
) -> list[ConfigProblem]:
    """hall.assisted_queue names a queue of zones.toml: a mistyped one left the kiosk's
    "take a ticket for 帮代办" button refused by the hub at the citizen's touch. Nor may it need
    the ID card: the kiosk sends there the citizens who have none for its reader."""
    if hall is None or hall.assisted_queue is None:
        return []
    if any(q.prefix == hall.assisted_queue and q.id_required for _, q in queues):
        return [ConfigProblem(file, "hall.assisted_queue", f"queue {hall.assisted_queue} requires the ID card (id_required): "
                              "the kiosk sends citizens without one to the assisted queue, who then could not take its ticket")]
    return _reference(file, "hall.assisted_queue", hall.assisted_queue, known.queues, "queue", ZONES_FILE)


def check_id_required_items(rules: Rules | None, item_codes: set[str], file: str = HALL_FILE) -> list[ConfigProblem]:
    """Every code in rules.id_required_items names an item of the catalogue: a mistyped code
    would leave that item's tickets open to anyone, silently."""
    if rules is None:
        return []
    return [
        ConfigProblem(file, f"rules.id_required_items[{i}]", f"unknown item code {code!r} (not in {ITEMS_FILE})")
        for i, code in enumerate(rules.id_required_items)
        if code not in item_codes
    ]


def numbers_past_width(config: HallConfig) -> list[ConfigProblem]:
    """A warning when queues without a daily_cap can hand out more numbers a day than the hall's
    number width holds.

    Valid, since numbers are never reused (the 1000th ticket of A1 is A11000), but the call-pads'
    and LED screens' widths are checked against the widest number the width allows (A1999), and
    the voice, the boards and the tickets are laid out for it: the extra digit is cut or wraps on
    the hall's busiest day. An item's cap does not bound its queue (a ticket can be taken for the
    queue itself), so only the queue's own daily_cap does. One line for all such queues: in a
    hall that caps none of them it would otherwise be one per queue."""
    uncapped = [q.prefix for q in config.queues if q.daily_cap is None]
    if not uncapped:
        return []
    top = config.rules.max_ticket_number
    first = uncapped[0]
    named = ", ".join(uncapped[:5]) + (f" and {len(uncapped) - 5} more" if len(uncapped) > 5 else "")
    return [ConfigProblem(
        ZONES_FILE, "queues",
        f"{len(uncapped)} of {len(config.queues)} queues have no daily_cap ({named}): past {top} tickets in a day "
        f"their numbers get a digit more than the pads, screens and voice are set for ({config.ticket_number(first, top)} "
        f"is followed by {config.ticket_number(first, top + 1)}); give each queue daily_cap = {top} or less, or raise "
        f"rules.number_digits in {HALL_FILE}",
    )]


def known_from(zones: Iterable[Zone], units: Iterable[Unit], queues: Iterable[Queue]) -> Known:
    """Known codes of valid objects; iterating in reverse makes the first of duplicates win."""
    zones, units, queues = list(zones), list(units), list(queues)
    return Known(
        zones=frozenset(z.code for z in zones),
        units=frozenset(u.code for u in units),
        queues=frozenset(q.prefix for q in queues),
        queue_zones={q.prefix: q.zone for q in reversed(queues)},
        unit_names={u.code: u.name for u in reversed(units)},
        zone_names={z.code: z.name for z in reversed(zones)},
    )



def _located(name: str, objects: Sequence[T]) -> list[Located[T]]:
    return [(f"{name}[{i}]", obj) for i, obj in enumerate(objects)]


def check_all(config: HallConfig) -> list[ConfigProblem]:
    """Every cross-object rule on a complete config, with list positions as key paths."""
    known = known_from(config.zones, config.units, config.queues)
    queues = _located("queues", config.queues)
    return [
        *check_hours(config.hours),
        *check_calendar(config.calendar),
        *check_zones(_located("zones", config.zones)),
        *check_units(_located("units", config.units)),
        *check_queues(queues, known, config.rules),
        *check_windows(_located("windows", config.windows), known),
        *check_queues_served(queues, (p for w in config.windows for p in w.queues)),
        *check_items(_located("items", config.items), known),
        *check_id_required_items(config.rules, {i.code for i in config.items}),
        *check_assisted_queue(config.hall, known, queues),
    ]


__all__ = [
    "Known",
    "Located",
    "check_all",
    "check_assisted_queue",
    "check_calendar",
    "check_hours",
    "check_id_required_items",
    "check_items",
    "check_queues",
    "check_queues_served",
    "check_units",
    "check_windows",
    "check_zones",
    "known_from",
    "numbers_past_width",
]
