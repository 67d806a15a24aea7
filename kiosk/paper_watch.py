"""Tells the technician when the kiosk's paper roll runs low: once per roll, not once per ticket.

Why: a printer reports "paper near end" in every status reply from then until the roll is
changed, dozens of tickets later. It still prints, so nothing stopped and nobody was told; then the
roll ran out mid-morning. One warning when the roll goes low, one line when it is no longer low
(a new roll), and the next low roll is warned about again.
"""
from __future__ import annotations

import logging

from printer_drivers import PrinterState

log = logging.getLogger(__name__)


class PaperWatch:
    """Fed every printable status the kiosk reads (before issuing, around each ticket)."""

    def __init__(self, printer: str) -> None:
        self.printer = printer
        self.low = False

    def seen(self, state: PrinterState) -> None:
        """A status read from the printer. Unprintable states (paper out, cover open) say
        nothing of the roll being replaced: only a printable one ends the low-paper spell."""
        if state is PrinterState.PAPER_NEAR_END and not self.low:
            self.low = True
            log.warning("printer %s: paper near end, change the roll soon (tickets still print)", self.printer)
        elif state is PrinterState.READY and self.low:
            self.low = False
            log.info("printer %s: paper no longer near end (roll changed)", self.printer)
