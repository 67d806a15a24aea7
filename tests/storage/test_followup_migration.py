"""Migration 0010 (rating follow-ups) on a hall with history, on SQLite and PostgreSQL: the bad
ratings given before the upgrade are not all turned into overdue follow-ups at once; those given
after it are followed up; the migration goes down and up again."""
from __future__ import annotations

from alembic import command
from sqlalchemy import insert, select

from server.config.models import HallConfig
from server.stats.followups import WATERMARK, catch_up
from server.stats.watermarks import read_watermark
from server.storage.db import _alembic_config, open_database, upgrade
from server.storage.schema import rating_followups, ticket_events, tickets
from tests.conftest import THURSDAY, mini_hall_dict


def _ticket(seq: int) -> dict[str, object]:
    return {"hall_day": THURSDAY, "prefix": "A1", "seq": seq, "number": f"A1{seq:03d}", "queue": "A1", "zone": "A",
            "status": "finished", "priority": 0, "issued_at": 1.0, "queued_at": 1.0, "sort_key": 1.0, "leg": 1,
            "call_count": 1, "auto_closed": False, "status_token": f"t{seq}", "rating": 1}


def _rated(ticket_id: int) -> dict[str, object]:
    return {"at": 2.0, "hall_day": THURSDAY, "kind": "ticket.rated", "ticket_id": ticket_id, "number": "A1",
            "zone": "A", "queue": "A1", "window_id": "W1", "staff_id": "staff01", "payload": {"score": 1, "bad": True}}


async def test_bad_ratings_before_the_upgrade_are_not_made_overdue_followups(database_url) -> None:
    config = HallConfig.model_validate(mini_hall_dict())
    database = open_database(database_url)
    try:
        await upgrade(database, "0009")

        def before(conn):
            tid = conn.execute(insert(tickets).returning(tickets.c.id), _ticket(1)).scalar_one()
            return conn.execute(insert(ticket_events).returning(ticket_events.c.seq), _rated(tid)).scalar_one()

        seq = await database.write_long(before)
        await upgrade(database)
        assert await database.read(lambda c: read_watermark(c, WATERMARK)) == seq
        assert await database.write(lambda c: catch_up(c, config)) == 0

        def after(conn):
            tid = conn.execute(insert(tickets).returning(tickets.c.id), _ticket(2)).scalar_one()
            conn.execute(insert(ticket_events), _rated(tid))
            return tid

        new = await database.write_long(after)
        assert await database.write(lambda c: catch_up(c, config)) == 1
        assert await database.read(lambda c: c.execute(select(rating_followups.c.ticket_id)).scalars().all()) == [new]

        async with database.engine.begin() as conn:
            await conn.run_sync(lambda sync: command.downgrade(_alembic_config(sync), "0009"))
        await upgrade(database)
        assert await database.read(lambda c: c.execute(select(rating_followups)).all()) == []
    finally:
        await database.close()
