"""The hall's ticket design, read from a small TOML file the technician edits (config/ticket.toml).

Kept on the kiosk side: the kiosk owns its printer, and a hall with two printer models can give
each kiosk its own file. Unknown keys and bad values are reported with the file, the key and why.
`hallq check-config` checks the folder's ticket.toml with `layout_problems`, the very rules the
kiosk refuses a file by, so a technician learns of a mistake at the desk rather than at the kiosk
in the hall the next morning. This module must stay free of pygame: check-config imports it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from printer_drivers import LayoutError, TicketLayout
from server.config.loader import read_toml
from server.config.problems import ConfigProblem, problems_from_validation

DEFAULT_HEADER = "欢迎光临"
DEFAULT_FOOTER = "请妥善保管此票"


class LayoutFileError(ValueError):
    """A ticket layout file that cannot be used; the message names the file, key and reason of
    every problem found (one per line), and `problems` holds them."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


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


def _logo(path: Path, logo_path: str) -> Path:
    """The logo file: relative to the layout file (an absolute path stays as it is), never to the
    directory the kiosk happens to be started from, which check-config does not share."""
    return path.parent / logo_path


def read_layout(path: Path) -> tuple[dict[str, Any] | None, list[ConfigProblem]]:
    """The file's settings, and every problem with it, all at once: one run of check-config
    names them all, and the kiosk refuses the file when there is any. The file is read as the
    hub's TOML files are (UTF-8; GBK or UTF-16 are named as such)."""
    problems: list[ConfigProblem] = []
    raw = read_toml(path.parent, path.name, problems)
    if raw is None:
        return None, problems
    try:
        _LayoutFile.model_validate(raw)
    except ValidationError as error:
        problems += problems_from_validation(error, path.name)
    logo = raw.get("logo_path")
    if isinstance(logo, str) and logo and not _logo(path, logo).exists():
        problems.append(ConfigProblem(path.name, "logo_path", f"no such file {logo!r} (next to {path.name}, or an absolute path)"))
    return (None if problems else raw), problems


def layout_problems(path: Path) -> list[ConfigProblem]:
    """What the kiosk would refuse `path` for (none: it starts with it)."""
    return read_layout(path)[1]


def load_layout(path: Path, paper_width_mm: int) -> TicketLayout:
    """The layout in `path`; the paper width defaults to the printer profile's."""
    raw, problems = read_layout(path)
    if raw is None:
        raise LayoutFileError(problems)
    parsed = _LayoutFile.model_validate(raw)
    try:
        return TicketLayout(
            header=parsed.header,
            footer=parsed.footer,
            logo_path=str(_logo(path, parsed.logo_path)) if parsed.logo_path else None,
            paper_width_mm=parsed.paper_width_mm or paper_width_mm,  # type: ignore[arg-type]  # the profile's int: checked as above
            show_qr=parsed.show_qr,
        )
    except LayoutError as error:
        raise LayoutFileError([ConfigProblem(path.name, "", str(error))]) from None
