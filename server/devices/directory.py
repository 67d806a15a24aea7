"""Two small reads the device drivers need and the engine does not offer.

Why here and not in server/accounts.py or the engine: a window screen shows the staff member's
display name, and a rating pad rates the window's last visit after it was finished; both are
read-only look-ups that only the device layer wants, so they stay in the device package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.storage.db import Database
from server.storage.schema import tickets, users


@dataclass(frozen=True)
class StaffCard:
    """What a window screen says about the person serving there."""

    username: str
    display_name: str
    unit: str | None


class Directory:
    """Read-only look-ups on the hub's database (one instance per hub, no caching of stale names)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def staff(self, usernames: list[str]) -> dict[str, StaffCard]:
        """Display names of these accounts (unknown ones are simply absent)."""
        if not usernames:
            return {}
        query = select(users.c.username, users.c.display_name, users.c.unit).where(users.c.username.in_(usernames))

        def work(conn: Connection) -> dict[str, StaffCard]:
            return {r.username: StaffCard(r.username, r.display_name, r.unit) for r in conn.execute(query).all()}

        return await self._database.read(work)

    async def last_ticket_at(self, window_id: str, day: date) -> int | None:
        """Id of the ticket this window dealt with most recently today (the one a rating is for)."""
        query = (
            select(tickets.c.id)
            .where(tickets.c.hall_day == day, tickets.c.window_id == window_id, tickets.c.called_at.is_not(None))
            .order_by(tickets.c.called_at.desc(), tickets.c.id.desc())
            .limit(1)
        )
        return await self._database.read(lambda conn: conn.execute(query).scalar())
