"""Pads while the database cannot take the hall's actions (PostgreSQL unreachable, and back).

A hub in this process on a real PostgreSQL behind a loopback proxy that can cut every connection
(tests/kiosk/proxy.py), with a hallq pad and a UB485 pad on real ptys.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from caller.actions import ActionKind, DisplayKind, PadAction, PadDisplay
from caller.sim import PadSimulator
from server.accounts import Role
from server.api.keys import ACCOUNTS, ENGINE
from server.app import create_app
from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.devices.extension import device_extension
from server.devices.config import device_config_from_mapping
from server.engine.engine import QueueEngine
from server.engine.views import IssueRequest
from server.settings import HubSettings
from tests.conftest import HUB_PASSWORD
from tests.kiosk.proxy import FaultyProxy

from .conftest import FAST, eventually

pytestmark = pytest.mark.postgres
UB485, HALLQ = 0x21, 1


@pytest.fixture
async def pads() -> AsyncIterator[dict[str, PadSimulator]]:
    sims = {"hallq": PadSimulator("hallq", [HALLQ]), "qsystem-ub485": PadSimulator("qsystem-ub485", [UB485])}
    for sim in sims.values():
        await sim.start()
    yield sims
    for sim in sims.values():
        await sim.close()


async def test_a_pad_is_told_its_key_was_not_saved_while_the_database_is_down(
        aiohttp_client, tmp_path: Path, clock, pg_database: str, pads: dict[str, PadSimulator]) -> None:
    """Tried: W01's hallq pad and W05's UB485 pad call while PostgreSQL is cut off, then once it is
    back. Kept: each key is answered at once with code 13 (not saved: try again) and changes
    nothing, the UB485 pad shows E13 and then its window again; after the outage the same keys
    call. The hub read the window to answer and that read failed too, so no answer went out: the
    hallq pad resent its key and gave up, the UB485 pad showed nothing, and the clerk kept pressing."""
    proxy = await FaultyProxy("127.0.0.1", 5432).start()
    hall = load_hall_config(default_config_dir())
    devices = device_config_from_mapping({"pad_buses": [
        {"name": "pads-hallq", "url": pads["hallq"].path, "dialect": "hallq", "pads": {str(HALLQ): "W01"}},
        {"name": "pads-ub485", "url": pads["qsystem-ub485"].path, "dialect": "qsystem-ub485",
         "params": {"width": 5}, "pads": {str(UB485): "W05"}},
    ]}, hall)
    settings = HubSettings(config_dir=default_config_dir(), data_dir=tmp_path / "data",
                           database_url=f"postgresql://postgres@127.0.0.1:{proxy.port}/{pg_database}")
    app = create_app(settings, clock=clock, config=hall, extensions=[device_extension(devices, FAST)])
    client = await aiohttp_client(app)
    try:
        engine: QueueEngine = app[ENGINE]
        await app[ACCOUNTS].add_user("staff01", HUB_PASSWORD, Role.STAFF, "张三", now=clock.now())
        await engine.login("W05", "staff03")
        first = (await engine.issue(IssueRequest(queue="A1"))).ticket.number
        hallq, ub485 = pads["hallq"], pads["qsystem-ub485"]
        hallq.press(HALLQ, PadAction.login("staff01", HUB_PASSWORD))
        await hallq.wait_display(HALLQ, PadDisplay.login_state(True, "张三"))
        await eventually(lambda: [d.number for d in ub485.pads[UB485].displays][-1:] == ["1"])

        proxy.refuse = True
        proxy.cut_all()
        hallq.pads[HALLQ].displays.clear()
        ub485.pads[UB485].displays.clear()
        hallq.press(HALLQ, PadAction.simple(ActionKind.CALL_NEXT))
        answer = await hallq.wait_display(HALLQ, lambda d: d.kind is DisplayKind.ACK)
        assert (answer.ok, answer.error_code) == (False, 13)
        ub485.press(UB485, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
        await eventually(lambda: [d.number for d in ub485.pads[UB485].displays][:1] == ["E13"])

        proxy.refuse = False
        await eventually(lambda: [d.number for d in ub485.pads[UB485].displays][-1:] == ["1"], timeout=10)
        assert (await engine.ticket_by_number(first)).status == "waiting"  # nothing was saved
        ub485.press(UB485, PadAction.simple(ActionKind.CALL_OR_RECALL, key="key1"))
        await ub485.wait_display(UB485, PadDisplay.show(first, blink=True), timeout=10)
    finally:
        await client.close()
        await proxy.stop()
