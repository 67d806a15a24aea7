"""The hall's ticket design, read from a small TOML file the technician edits (config/ticket.toml).

Kept on the kiosk side: the kiosk owns its printer, and a hall with two printer models can give
each kiosk its own file. Unknown keys and bad values are reported with the file, the key and why.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from printer_drivers import LayoutError, TicketLayout

DEFAULT_HEADER = "欢迎光临"
DEFAULT_FOOTER = "请妥善保管此票"


class LayoutFileError(ValueError):
    """A ticket layout file that cannot be used; the message names the file, key and reason."""


class _LayoutFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    header: str = DEFAULT_HEADER
    footer: str = DEFAULT_FOOTER
    logo_path: str | None = None
    paper_width_mm: Literal[58, 80] | None = None
    show_qr: bool = True


def default_layout(paper_width_mm: int) -> TicketLayout:
    return TicketLayout(
        header=DEFAULT_HEADER,
        footer=DEFAULT_FOOTER,
        paper_width_mm=paper_width_mm,  # type: ignore[arg-type]  # an int: TicketLayout rejects all but 58 and 80
    )


def load_layout(path: Path, paper_width_mm: int) -> TicketLayout:
    """The layout in `path`; the paper width defaults to the printer profile's."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise LayoutFileError(f"{path.name}: cannot read the ticket layout: {error}") from None
    try:
        parsed = _LayoutFile.model_validate(raw)
    except ValidationError as error:
        lines = [f"{path.name}: {'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}" for e in error.errors()]
        raise LayoutFileError("\n".join(lines)) from None
    if parsed.logo_path and not (path.parent / parsed.logo_path).exists() and not Path(parsed.logo_path).exists():
        raise LayoutFileError(f"{path.name}: logo_path: no such file {parsed.logo_path!r}")
    logo = parsed.logo_path
    if logo and not Path(logo).is_absolute() and (path.parent / logo).exists():
        logo = str(path.parent / logo)
    try:
        return TicketLayout(
            header=parsed.header,
            footer=parsed.footer,
            logo_path=logo,
            paper_width_mm=parsed.paper_width_mm or paper_width_mm,  # type: ignore[arg-type]  # the profile's int: checked as above
            show_qr=parsed.show_qr,
        )
    except LayoutError as error:
        raise LayoutFileError(f"{path.name}: {error}") from None
