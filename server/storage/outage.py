"""When the database cannot take the hall's actions: which failures mean that, and how the log
tells the technician without drowning them.

Tried (a resilience walkthrough): PostgreSQL made unreachable under a running hub. Every request,
/api/v1/health included, answered 500 `internal`, and the log took a full traceback per request,
100,000 lines in 10 s, burying the one line that mattered. A full disk under SQLite logged an
ERROR per refused write, ~600 lines a second.

Now a connection-level failure is told from everything else (`is_connection_lost`): the action is
refused with 503 `database_unavailable` (nothing was written: its transaction never committed),
and an `Outage` says it once when it starts, a count now and then while it lasts, and once when
the database answers (or has room) again.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, DisconnectionError

from server.errors import HallQError

OUTAGE_CODES = frozenset({"database_unavailable", "storage_full"})
"""The refusals of an action for want of the database (`Database._refusal`)."""
REMIND_EVERY_S = 60.0
"""While an outage lasts, how often the log counts what was refused meanwhile: the technician
who opens the log sees it is still going on, at one line a minute whatever the traffic."""

_CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03")
"""PostgreSQL's connection_exception class (08: the connection was lost, refused, never made) and
operator intervention (admin or crash shutdown, 'the database system is starting up')."""

_ASYNCPG_LOST_CONNECTION = ("another operation is in progress", "connection is closed", "connection was closed")
"""What asyncpg's client-side errors say when the connection under them broke mid-operation
('InternalClientError: cannot switch to state 12; another operation is in progress'); its other
interface errors are the program's own mistakes and stay 500s with a traceback."""


def told_by_the_storage(error: BaseException) -> bool:
    """Whether `error` is an outage refusal, which the storage's log already tells once per
    outage: background work that meets one (statistics, device states, pad echoes) logs no
    traceback of its own, and simply tries again with its next turn."""
    return isinstance(error, HallQError) and error.code in OUTAGE_CODES


def is_connection_lost(error: BaseException) -> bool:
    """Whether `error`, or one it was raised from, means the database could not be reached or the
    connection broke: a socket error (refused, reset, timed out, no such host), PostgreSQL's
    connection and shutdown errors, SQLAlchemy's invalidated connections and disconnections.
    Never true of a statement the database refused (a constraint, a syntax error, a full disk)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _lost_by_itself(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _lost_by_itself(error: BaseException) -> bool:
    if isinstance(error, (OSError, DisconnectionError)):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not type(error).__module__.startswith("asyncpg"):
        return False
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate.startswith(_CONNECTION_SQLSTATES):
        return True
    kind = type(error).__name__
    return kind in ("InternalClientError", "InterfaceError") and any(text in str(error) for text in _ASYNCPG_LOST_CONNECTION)


@dataclass
class Outage:
    """One kind of trouble (database unreachable, disk full) as the log tells it: `refused`
    logs the first refusal of an outage at `level`, then a count every REMIND_EVERY_S while
    refusals go on; `ended` one INFO line. Kept on the Database, one per kind: no state outside it."""

    log: logging.Logger
    level: int
    where: str  # "database postgresql+asyncpg://hallq@db/hallq"
    trouble: str  # "unreachable", "disk full"
    since: float | None = None  # monotonic time it started; None: no outage
    refused_count: int = 0
    reminded_at: float = 0.0
    reminded_count: int = 0

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def refused(self, first_line: str, *args: object) -> None:
        """One more action refused: the first of an outage logs `first_line` % args; later ones
        are counted, with a reminder line at most every REMIND_EVERY_S."""
        now = time.monotonic()
        self.refused_count += 1
        if self.since is None:
            self.since = self.reminded_at = now
            self.reminded_count = self.refused_count
            self.log.log(self.level, first_line, *args)
            return
        if now - self.reminded_at >= REMIND_EVERY_S:
            self.log.log(self.level, "%s still %s (for %.0f s): %d actions refused in the last %.0f s, nothing of them saved",
                         self.where, self.trouble, now - self.since, self.refused_count - self.reminded_count, now - self.reminded_at)
            self.reminded_at, self.reminded_count = now, self.refused_count

    def ended(self, back: str) -> None:
        """The trouble is over (an action went through): one INFO line with what it cost."""
        if self.since is None:
            return
        lasted = time.monotonic() - self.since
        self.log.info("%s %s: %s for %.0f s, %d actions refused meanwhile", self.where, back, self.trouble, lasted, self.refused_count)
        self.since, self.refused_count = None, 0
