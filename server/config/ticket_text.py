"""Configured names a kiosk's printer would print as '?', found before a citizen holds the ticket.

The printer driver prints a character it cannot print as '?' (printer_drivers.gbtext): most
kiosk printers carry a GBK font only, so a four-byte GB18030 character (CJK Extensions A, B and
later: 𠮷 and other rare characters of given names and village names; emoji) comes out as '?'. A
zone or item named with one prints that '?' on every ticket of it, and nobody learns of it until a
citizen reads the ticket. These are warnings, not errors: the hall still runs and every ticket
still carries its number and QR code; only the name reads wrong.

The configured texts a ticket prints (kiosk.session.KioskSession.ticket_print, rendered by
printer_drivers.render.render_ticket):

* hall.toml hall.name: the ticket's first line (the hub's /api/v1/hall);
* zones.toml zones[i].name: the zone on the service line;
* items.csv item_name: the service line of a ticket taken for an item;
* zones.toml queues[i].name: the service line of a ticket taken for the queue itself (the
  assisted queue's 帮代办 ticket, an appointment checked in at the kiosk);
* ticket.toml header and footer, when the folder has that file: the kiosk's ticket design
  (`hallq kiosk --layout`). It is read by the kiosk's own reader (kiosk.layout.read_layout), so
  a file is decoded here as the kiosk decodes it; one the kiosk refuses is an error of
  check-config already, and its texts are not looked at here.

Unit names are not printed (they show on LED window screens: server.devices.screen_text); the
ticket's notice and marks are fixed wording in the kiosk. The configuration does not say which
printer profile a kiosk uses (each kiosk's `hallq kiosk --profile`), so every profile HallQ knows
is checked and those that cannot print the character are named.
"""

from __future__ import annotations

from pathlib import Path

from printer_drivers.gbtext import printable
from printer_drivers.profiles import PrinterProfile, builtin_profiles
from server.config.items_csv import read_catalogue
from server.config.models import HallConfig
from server.config.problems import HALL_FILE, ITEMS_FILE, ZONES_FILE, ConfigProblem

TICKET_FILE = "ticket.toml"
"""The kiosk's ticket design, in the sample's configuration folder (kiosk.layout reads it)."""


def ticket_texts(config: HallConfig, folder: Path) -> list[tuple[str, str, str]]:
    """(file, key path, text) of every configured text a ticket prints, in file order.

    Item key paths are the catalogue's rows ("row 57.item_name"), as the loader names them; the
    rows are read again because a loaded item does not keep its row."""
    rows = {row.values.get("item_code", "").strip(): row.line for row in read_catalogue(folder / ITEMS_FILE)[1]}
    return [
        (HALL_FILE, "hall.name", config.hall.name),
        *((ZONES_FILE, f"zones[{i}].name", zone.name) for i, zone in enumerate(config.zones)),
        *((ZONES_FILE, f"queues[{i}].name", queue.name) for i, queue in enumerate(config.queues)),
        *(
            (ITEMS_FILE, f"row {rows[item.code]}.item_name" if item.code in rows else f"items[{i}].name", item.name)
            for i, item in enumerate(config.items)
        ),
        *_layout_texts(folder),
    ]


def _layout_texts(folder: Path) -> list[tuple[str, str, str]]:
    """ticket.toml's header and footer; nothing when the file is absent or the kiosk refuses it."""
    from kiosk.layout import read_layout  # the kiosk's reader: the same decoding, the same rules

    if not (folder / TICKET_FILE).exists():
        return []
    raw, _ = read_layout(folder / TICKET_FILE)
    if raw is None:
        return []
    return [(TICKET_FILE, key, raw[key]) for key in ("header", "footer") if isinstance(raw.get(key), str)]


def unprintable_on_tickets(
    config: HallConfig, folder: Path, profiles: list[PrinterProfile] | None = None
) -> list[ConfigProblem]:
    """A warning for each ticket text with characters some printer profile prints as '?'.

    One line per text and set of profiles that cannot print its characters (the same set for all
    of a text's characters, with HallQ's profiles), naming the characters with their code points,
    the profiles, and what to do: a profile that prints them, when there is one; another wording
    when there is none (no kiosk setting could help then)."""
    profiles = list(builtin_profiles().values()) if profiles is None else profiles
    warnings = []
    for file, key, text in ticket_texts(config, folder):
        groups: dict[tuple[tuple[str, ...], bool], list[str]] = {}
        for ch in dict.fromkeys(text):  # each character once, in order
            if ch in "\n\t":  # a space on the ticket, not a '?'
                continue
            unable = tuple(p.name for p in profiles if not printable(ch, p.four_byte_gb18030))
            if unable:
                groups.setdefault((unable, printable(ch, four_byte=True)), []).append(ch)
        for (unable, four_byte), chars in groups.items():
            able = [p.name for p in profiles if p.name not in unable]
            warnings.append(ConfigProblem(file, key, _reason(chars, unable, able, four_byte)))
    return warnings


def _reason(chars: list[str], unable: tuple[str, ...], able: list[str], four_byte: bool) -> str:
    """`four_byte`: the characters are four-byte GB18030 ones, which a profile with
    four_byte_gb18030 prints; the others (control, private-use, unassigned) no printer prints."""
    named = ", ".join(f"'{c}' (U+{ord(c):04X})" if c.isprintable() else f"U+{ord(c):04X}" for c in chars)
    prints, it = ("print", "them") if len(chars) > 1 else ("prints", "it")
    if able:
        return (f"{named} {prints} as ? on the tickets of kiosks with printer profile {', '.join(unable)}; profile "
                f"{', '.join(able)} prints {it}: give those kiosks that profile (hallq kiosk --profile), or change the wording")
    why = ("none has four_byte_gb18030, the font for four-byte GB18030 characters such as CJK Extensions A and B and emoji"
           if four_byte else "a control, private-use or unassigned character, or one GB18030 lacks")
    return (f"{named} {prints} as ? on every ticket: no printer profile prints {it} ({', '.join(unable)}; {why}); "
            f"change the wording (a common character, or words in its place)")


__all__ = ["ticket_texts", "unprintable_on_tickets"]
