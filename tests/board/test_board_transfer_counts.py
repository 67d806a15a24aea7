"""A zone board's waiting count after a case is transferred to another zone's window that serves
one of its queues (the hall's sample, with W01 in zone A serving C1 too)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.voice.config import VoicePlan
from server.voice.service import voice_extension
from server.web import setup_static
from server.web.board import setup as board_setup
from tests.board.hall_actions import api, call_next, issue, login
from tests.board.test_board_live import close, open_board, until
from tests.conftest import start_hub


@pytest.fixture
async def hub(aiohttp_client, tmp_path: Path, clock):  # type: ignore[no-untyped-def]
    folder = tmp_path / "config"
    shutil.copytree(default_config_dir(), folder)
    windows = folder / "windows.toml"
    text = windows.read_text(encoding="utf-8")
    text = text.replace("queues = { A1 = 1, A2 = 1, A3 = 1, A4 = 1, A5 = 1, A6 = 1, A7 = 1 }",
                        "queues = { A1 = 1, A2 = 1, A3 = 1, A4 = 1, A5 = 1, A6 = 1, A7 = 1, C1 = 1 }", 1)  # W01 (zone A) serves C1 too
    windows.write_text(text, encoding="utf-8")
    config = load_hall_config(folder)
    quiet = voice_extension(plan=VoicePlan({}))
    return await start_hub(aiohttp_client, tmp_path / "data", clock, config=config, extensions=[setup_static, board_setup, quiet])


async def test_zone_c_board_counts_c1_as_the_hub_does_after_a_transfer_to_w01(hub) -> None:  # type: ignore[no-untyped-def]
    """Tried: W19 (zone C) calls a C1 citizen and transfers the case to W01 (zone A, serving C1
    too), which calls it. It was: zone C's board got the transfer (to drop the W19 line) and
    counted it +1 in C1, but never the call at W01 (the case is zone A's now), so C1 stayed one
    too high until a reload. Kept: the board's C1 count is the hub's."""
    board = await open_board(hub, "C")
    try:
        await until(lambda: board[0].online, "online")
        number = await issue(hub, "C1")
        await login(hub, "W19", "staff02")
        assert await call_next(hub, "W19", "staff02") == number
        await login(hub, "W01", "staff01")
        await api(hub, "POST", "/windows/W19/transfer", "staff02", {"target_kind": "window", "target": "W01"})
        await api(hub, "POST", "/windows/W01/call", "staff01", {"number": number})
        # a C1 ticket that zone C's stream surely carries, after everything above
        await issue(hub, "C1")
        hub_count = next(q["waiting"] for q in await api(hub, "GET", "/queues?zone=C", "manager") if q["prefix"] == "C1")
        await until(lambda: board[0].model.queues["C1"].waiting >= hub_count, "the board saw the last ticket")
        assert board[0].model.queues["C1"].waiting == hub_count, (board[0].model.queues["C1"].waiting, hub_count)
    finally:
        await close(board)
