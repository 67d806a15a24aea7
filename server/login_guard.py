"""Throttling of sign-ins: what slows PIN guessing without handing anyone a way to lock others out.

A staff PIN is short, so guessing must be slowed. Counting wrong passwords per staff id alone
let anyone lock out any account, admin included, from any browser in the hall (five wrong
passwords, and the real person was refused for five minutes), and did nothing against one common
PIN tried on every staff id. So wrong passwords are counted per (staff id, source) and per
source across all staff ids; a source is where the attempt comes from (the client's address, the
hand-over on a web pad included, or a call-pad's window). A source over either limit is refused
before any password is hashed, so a flood of sign-ins cannot keep the hub busy hashing either.

An attempt counts as a failure from the moment it starts and is taken back when the password
was right: concurrent guesses cannot slip past the count while the hashes are computed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TypeVar

from server.errors import HallQError

K = TypeVar("K")


@dataclass
class LoginGuard:
    per_account: int = 5  # wrong passwords for one staff id from one source
    per_source: int = 20  # wrong passwords from one source, whatever the staff ids
    window_s: float = 300.0
    max_tracked: int = 10_000  # keys kept; beyond, the stale and least failed go (never all at once)
    _by_account: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    _by_source: dict[str, list[float]] = field(default_factory=dict)

    def begin(self, username: str, source: str, now: float) -> None:
        """Refuse (429) if this source may not try now; otherwise count the attempt as failed
        until `succeeded` says otherwise."""
        account = self._recent(self._by_account, (username, source), now)
        from_source = self._recent(self._by_source, source, now)
        for times, limit in ((account, self.per_account), (from_source, self.per_source)):
            if len(times) >= limit:
                remaining = self.window_s - (now - times[-limit])
                wait = int(remaining) + 1
                raise HallQError(  # 5 minutes said as 5, not 6 (it read 请6分钟后再试)
                    "locked_out", f"密码错误次数过多，请{max(math.ceil(remaining / 60), 1)}分钟后再试",
                    f"too many wrong passwords from here; try again in {wait} s", 429, {"retry_after_s": wait},
                )
        account.append(now)
        from_source.append(now)
        self._prune(now)

    def succeeded(self, username: str, source: str, now: float) -> None:
        """The password was right: this staff id's failures from here are forgiven, and the
        attempt no longer counts against the source."""
        self._by_account.pop((username, source), None)
        times = self._by_source.get(source)
        if times and now in times:
            times.remove(now)

    def _recent(self, table: dict[K, list[float]], key: K, now: float) -> list[float]:
        times = [t for t in table.get(key, ()) if now - t < self.window_s]
        table[key] = times
        return times

    def _prune(self, now: float) -> None:
        self._prune_table(self._by_account, now)
        self._prune_table(self._by_source, now)

    def _prune_table(self, table: dict[K, list[float]], now: float) -> None:
        if len(table) <= self.max_tracked:
            return
        for key in [k for k, times in table.items() if not times or now - times[-1] >= self.window_s]:
            del table[key]
        if len(table) > self.max_tracked:  # a flood of fresh keys: keep the half that failed most
            most_failed_first = sorted(table, key=lambda k: (len(table[k]), table[k][-1]), reverse=True)
            for key in most_failed_first[self.max_tracked // 2:]:
                del table[key]
