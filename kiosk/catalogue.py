"""What the kiosk offers: zones and their services, most used first, searchable.

"Most used" combines the kiosk's own count of tickets it issued per item (what citizens at THIS
kiosk pick) with the hub's issued-today count per queue (what the hall is busy with), so a fresh
kiosk already shows a sensible order and adapts through the day.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pypinyin import Style, lazy_pinyin

from server.hub_client import HallInfo, Item, QueueInfo, Zone


@dataclass(frozen=True)
class Service:
    """One choice on the service screen: an item of the catalogue."""

    code: str
    name: str
    zone: str
    queue: str
    initials: str = ""
    """The name's pinyin initials, upper case (不动产转移登记 -> BDCZYDJ): what the kiosk's letter
    keyboard searches, as a touch screen has no input method for characters."""
    id_required: bool = False
    """The hall issues this item only to a citizen whose ID card was read (请刷身份证)."""


def pinyin_initials(name: str) -> str:
    """不动产转移登记（二手房） -> BDCZYDJESF; letters and digits of the name are kept as they are."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors=_letters_and_digits)).upper()


def _letters_and_digits(text: str) -> str:
    """What pypinyin does with text that is not Chinese: keep its letters and digits, drop the rest."""
    return "".join(c for c in text if c.isalnum())


@dataclass
class Catalogue:
    hall: HallInfo
    zones: list[Zone]
    services: dict[str, list[Service]]  # zone code -> services in catalogue order
    queues: dict[str, QueueInfo]
    usage: Counter[str] = field(default_factory=Counter)

    @classmethod
    def build(cls, hall: HallInfo, zones: list[Zone], items: list[Item], queues: list[QueueInfo]) -> Catalogue:
        services: dict[str, list[Service]] = {z.code: [] for z in zones}
        for item in items:
            if item.zone in services:
                services[item.zone].append(Service(item.code, item.name, item.zone, item.queue, pinyin_initials(item.name),
                                                       item.id_required))
        return cls(hall, zones, services, {q.prefix: q for q in queues})

    def zone(self, code: str) -> Zone:
        return next(z for z in self.zones if z.code == code)

    def service(self, code: str) -> Service:
        return next(s for group in self.services.values() for s in group if s.code == code)

    def record_issue(self, item_code: str) -> None:
        self.usage[item_code] += 1

    def ranked(self, zone: str, search: str = "") -> list[Service]:
        """The zone's services, filtered by ``search`` (in the name, or letters in its pinyin
        initials): those that begin with it first, then most used first. YB (医保) listed every
        母婴保健 item before the 医保 ones: the letters matched inside their initials (MYBJ)."""
        wanted = search.strip()
        found = [s for s in self.services.get(zone, []) if not wanted or _matches(s, wanted)]
        order = {s.code: i for i, s in enumerate(found)}

        def key(s: Service) -> tuple[bool, int, int, int]:
            queue = self.queues.get(s.queue)
            return (not _starts(s, wanted), -self.usage[s.code], -(queue.issued_today if queue else 0), order[s.code])

        return sorted(found, key=key)

    def search_all(self, search: str) -> list[Service]:
        """Across every zone, for a citizen who does not know which zone to pick: nothing until
        something is typed (900 items in one list help nobody); those that begin with it first."""
        if not search.strip():
            return []
        found = [s for z in self.zones for s in self.ranked(z.code, search)]
        return sorted(found, key=lambda s: (not _starts(s, search.strip()), -self.usage[s.code]))


def _matches(service: Service, wanted: str) -> bool:
    if wanted.isascii() and wanted.isalpha():
        return wanted.upper() in service.initials
    return wanted in service.name


def _starts(service: Service, wanted: str) -> bool:
    """The name (or its initials, for letters) begins with what was typed."""
    if wanted.isascii() and wanted.isalpha():
        return service.initials.startswith(wanted.upper())
    return service.name.startswith(wanted)
