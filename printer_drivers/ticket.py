"""The data a kiosk hands to the printer driver.

``TicketPrint`` is the boundary between the kiosk (which knows the queue) and the driver (which
knows the paper): plain, frozen values, nothing of the engine. ``TicketLayout`` is the part a hall
configures once (header, footer, logo, paper width).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from printer_drivers.errors import LayoutError

__all__ = ["LayoutError", "TicketLayout", "TicketPrint"]


@dataclass(frozen=True)
class TicketPrint:
    """One issued ticket, as the citizen will read it on paper."""

    hall_name: str
    zone_name: str
    service_name: str
    number: str
    people_ahead: int
    estimated_wait_min: int | None
    issued_at: datetime
    priority: bool
    appointment: bool
    notice: str
    status_url: str
    window_hint: str | None = None
    person_masked: str | None = None
    """The citizen's ID number as read at the kiosk, already masked (4302**********1233): the
    ticket is theirs for the per-person daily cap. The driver never sees a number in clear."""

    def __post_init__(self) -> None:
        # Negative counts would print nonsense ("前面还有 -1 人"); refuse them at the boundary.
        if self.people_ahead < 0:
            raise LayoutError(f"people_ahead must be >= 0, got {self.people_ahead}")
        if self.estimated_wait_min is not None and self.estimated_wait_min < 0:
            raise LayoutError(f"estimated_wait_min must be >= 0, got {self.estimated_wait_min}")


@dataclass(frozen=True)
class TicketLayout:
    """Per-hall ticket design. ``header``/``footer`` may hold several lines separated by ``\\n``."""

    header: str
    footer: str
    logo_path: str | None = None
    paper_width_mm: Literal[58, 80] = 80
    show_qr: bool = True

    def __post_init__(self) -> None:
        if self.paper_width_mm not in (58, 80):
            raise LayoutError(f"paper_width_mm must be 58 or 80, got {self.paper_width_mm!r}")
