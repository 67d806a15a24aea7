"""The SQL form of a ticket's unit (unit_scope.live_ticket_of_unit), read by a chief's ticket
list and event history, against the rule the ticket's fact is written with (ledger.unit_of)."""
from __future__ import annotations

import itertools

from sqlalchemy import create_engine, insert, select

from server.config.models import HallConfig
from server.stats.ledger import unit_of
from server.stats.unit_scope import live_ticket_of_unit
from server.storage.schema import tickets
from tests.conftest import THURSDAY


def test_a_live_tickets_unit_is_the_one_its_report_will_count_it_for(hall_config: HallConfig) -> None:
    """Tried: every issuing queue of the mini hall (A1, A2: U1's; B1: U2's; Z9 no longer
    configured) with no item, an empty one, an item of each unit, and one no longer configured
    (a U2 item issued in U1's queue: 帮代办 at a 综合窗口). Kept: for U1 and U2 alike, the SQL
    picks exactly the tickets unit_of gives the unit: the item's unit, else the issuing queue's."""
    db = create_engine("sqlite://")
    tickets.create(db)
    combos = list(itertools.product(["A1", "A2", "B1", "Z9"], [None, "", "430224000001", "430224000003", "999999999999"]))
    with db.begin() as conn:
        for seq, (prefix, item) in enumerate(combos, 1):
            conn.execute(insert(tickets).values(
                id=seq, hall_day=THURSDAY, prefix=prefix, seq=seq, number=f"{prefix}{seq:03d}", queue="B1", zone="B",
                item_code=item, status="waiting", issued_at=0.0, queued_at=0.0, sort_key=0.0, status_token=f"t{seq}"))
    for unit in ("U1", "U2"):
        with db.connect() as conn:
            found = {row.id for row in conn.execute(select(tickets.c.id).where(live_ticket_of_unit(hall_config, unit)))}
        expected = {seq for seq, (prefix, item) in enumerate(combos, 1) if unit_of(hall_config, prefix, item) == unit}
        assert found == expected and expected, unit
