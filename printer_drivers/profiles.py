"""Printer models as data.

Device differences (paper width, cutter, native QR, real-time status) live in this table, not in
``if model == ...`` branches. Each entry starts from python-escpos' capability database (the
``escpos_profile`` it names) and overrides only what that database gets wrong or leaves unknown
for Chinese kiosk printers. A hall with an unlisted printer picks the closest entry and overrides
fields in its device configuration (see :func:`get_profile`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from escpos.capabilities import BaseProfile, get_profile_class

from printer_drivers.errors import PrinterConfigError

#: Width of one normal-size Font A character cell in dots; a Chinese character takes two cells.
FONT_A_DOTS = 12


@dataclass(frozen=True)
class PrinterProfile:
    """What the renderer and the status check need to know about a printer model."""

    name: str
    escpos_profile: str
    paper_width_mm: int
    dots_per_line: int
    columns: int
    has_cutter: bool
    has_native_qr: bool
    supports_status: bool
    #: GB18030 four-byte characters (CJK Ext. A, rare names, emoji): most kiosk printers only
    #: carry a GBK font, so by default such characters print as '?'.
    four_byte_gb18030: bool = False
    #: GS ! multiplier of the ticket number.
    number_scale: int = 3
    #: Module size of the QR code in dots (native GS ( k size, or raster box size).
    qr_module_dots: int = 5
    #: Lines fed after the last text so it clears the cutter or the tear bar.
    tail_feed_lines: int = 4

    def escpos(self) -> BaseProfile:
        """A python-escpos profile object whose media width matches this table.

        python-escpos uses the media width to refuse images that are too wide; its "default"
        profile has the width "Unknown" and prints a warning on every image, so we give it ours.
        """
        base = get_profile_class(self.escpos_profile)
        data = dict(base.profile_data)
        data["media"] = {
            **data.get("media", {}),
            "width": {"mm": self.paper_width_mm, "pixels": self.dots_per_line},
        }
        data["features"] = {
            **data.get("features", {}),
            "paperFullCut": self.has_cutter,
            "paperPartCut": self.has_cutter,
            "qrCode": self.has_native_qr,
        }
        klass = type(f"Hallq{base.__name__}", (BaseProfile,), {"profile_data": data})
        return klass()


def _from_escpos(name: str, escpos_profile: str, **overrides: Any) -> PrinterProfile:
    """Start from python-escpos' capabilities, then apply our overrides."""
    data = get_profile_class(escpos_profile).profile_data
    features = data.get("features", {})
    pixels = data.get("media", {}).get("width", {}).get("pixels")
    values: dict[str, Any] = {
        "name": name,
        "escpos_profile": escpos_profile,
        "dots_per_line": pixels if isinstance(pixels, int) else 576,
        "columns": int(data.get("fonts", {}).get("0", {}).get("columns", 48)),
        "has_cutter": bool(features.get("paperFullCut") or features.get("paperPartCut")),
        "has_native_qr": bool(features.get("qrCode")),
        "supports_status": True,
    }
    values.update(overrides)
    return PrinterProfile(**values)


def builtin_profiles() -> dict[str, PrinterProfile]:
    """The models HallQ knows. Returns a fresh dict each call: no shared mutable table."""
    profiles = [
        _from_escpos("TM-T88", "TM-T88V", paper_width_mm=80),
        # Generic 80 mm Chinese kiosk printer (Xprinter XP-80C and its many rebrands):
        # 576 dots, 48 columns, cutter, GS ( k QR, DLE EOT. python-escpos' "default" leaves the
        # width unknown, hence the explicit numbers.
        _from_escpos(
            "XP-80C", "default", paper_width_mm=80, dots_per_line=576, columns=48
        ),
        _from_escpos(
            "POS-5890", "POS-5890", paper_width_mm=58, number_scale=2, qr_module_dots=4
        ),
        _from_escpos(
            "ZJ-5870", "ZJ-5870", paper_width_mm=58, number_scale=2, qr_module_dots=4
        ),
    ]
    table = {p.name: p for p in profiles}
    table["default-80"] = replace(table["XP-80C"], name="default-80")
    return table


def get_profile(name: str, **overrides: Any) -> PrinterProfile:
    """Look up a profile by name, optionally overriding fields from the device configuration.

    Raises :class:`PrinterConfigError` naming the unknown profile or field.
    """
    table = builtin_profiles()
    if name not in table:
        raise PrinterConfigError(
            f"unknown printer profile {name!r}; known: {', '.join(sorted(table))}"
        )
    known = {f.name for f in fields(PrinterProfile)} - {"name"}
    unknown = set(overrides) - known
    if unknown:
        raise PrinterConfigError(
            f"unknown printer profile field(s) {sorted(unknown)} for {name!r}; "
            f"known: {sorted(known)}"
        )
    return replace(table[name], **overrides)
