"""What kiosks and boards say of themselves, seen at the hub: above all, a kiosk's printer.

A kiosk out of paper, with its cover open or its printer unplugged was known only at the kiosk:
the technician learnt of it from a citizen. A kiosk posts its state when it changes and every
minute (POST /api/v1/devices/me/state); the hub keeps the latest in memory (it is the present,
not history), stores each change as a device.state event (the technicians' stream and the record)
and lists every registered device in GET /api/v1/devices/status with when it was last heard
from. One not heard from for STALE_AFTER_S is shown as silent: a kiosk PC switched off or cut
off the network says nothing itself.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Recorder = Callable[[str, str, str, str | None], Awaitable[object]]


@dataclass(frozen=True)
class DeviceReport:
    state: str
    detail: str
    at: float


class DeviceReports:
    STALE_AFTER_S = 180.0  # three missed minutes

    def __init__(self, record: Recorder) -> None:
        self._record = record
        self._latest: dict[str, DeviceReport] = {}

    async def report(self, name: str, zone: str | None, state: str, detail: str, now: float) -> None:
        """The device's state now; a change is stored and streamed, a repeat only refreshes it."""
        old = self._latest.get(name)
        self._latest[name] = DeviceReport(state, detail, now)
        if old is None or (old.state, old.detail) != (state, detail):
            await self._record(name, state, detail, zone)

    FAULTS = frozenset({"paper_out", "cover_open", "printer_offline", "printer_error"})
    """States in which a kiosk cannot print: its citizens get no ticket (paper_near_end still can)."""

    def faults(self, now: float) -> list[dict[str, str]]:
        """The devices whose fresh report is a fault, for /health: a kiosk that cannot print.
        A silent one is not counted: kiosks and boards are switched off at night."""
        return [{"name": name, "kind": "device", "state": r.state, "detail": r.detail}
                for name, r in sorted(self._latest.items()) if r.state in self.FAULTS and now - r.at <= self.STALE_AFTER_S]

    def listing(self, registered: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
        """Every registered device with its last word: state, detail, when, and whether it has
        gone silent (or never reported, as a board of an older version or one not yet started)."""
        listed = []
        for device in registered:
            report = self._latest.get(str(device["name"]))
            if report is None:
                state, detail, seen = "never_reported", "", None
            elif now - report.at > self.STALE_AFTER_S:
                state, detail, seen = "silent", f"last heard {int(now - report.at)} s ago ({report.state})", report.at
            else:
                state, detail, seen = report.state, report.detail, report.at
            listed.append({**device, "state": state, "detail": detail, "last_seen": seen})
        return listed
