"""``hallq board --voice`` speaks as the hub's voice.toml says, and only where it gives the zone's
speaker to the board.

Tried: a hub whose plan gives zone C to its board (three repeats, no chime, its own wording, its
own rate) and leaves zone A off; boards for both with voice on; a call in each zone made through
the API; the zone's settings read over the API, for a zone that does not exist and from a hub
without a voice plan; ``--voice`` without a zone.
Kept: C's board synthesizes the call (a real clip, espeak-ng) with C's wording, repeats and chime;
A's board stays silent and says why in its log; the settings route answers with the resolved
plan, a clear 404 otherwise; the command line refuses ``--voice`` without ``--zone``.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pygame
import pytest

from display.board.app import BoardApp, BoardOptions, open_announcer, parse_args
from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.hub_client import RetryPolicy, ZoneVoice
from server.voice.service import voice_extension
from server.voice.config import voice_plan_from_mapping
from tests.board.hall_actions import board_token, call_next, issue, login
from tests.conftest import sample_hall_serving, start_hub

FAST = RetryPolicy(attempts=3, first_delay_s=0.01, max_delay_s=0.05, timeout_s=5)
ZONE_C = {"where": "board", "repeat": 3, "chime": False, "template": "请{number}号到{window}窗口", "rate": 150}


@pytest.fixture
async def hub(aiohttp_client, tmp_path: Path, clock, monkeypatch: pytest.MonkeyPatch):
    """The sample hall; voice.toml gives zone C's speaker to its board and speaks nothing else."""
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")  # no sound device here: clips are made, not heard
    plan = voice_plan_from_mapping({"defaults": {"where": "off"}, "zones": {"C": ZONE_C}}, load_hall_config(default_config_dir()))
    return await start_hub(aiohttp_client, tmp_path / "data", clock, extensions=[voice_extension(plan=plan)])


async def open_voiced_board(hub, zone: str, cache: Path) -> tuple[BoardApp, asyncio.Task]:
    pygame.init()
    options = BoardOptions(hub.base_url, await board_token(hub, zone), zone, (1280, 720), fullscreen=False, voice=True)
    app = BoardApp(options, pygame.Surface((1280, 720)), lambda voice: open_announcer(voice, cache), policy=FAST)
    await app.start()
    return app, asyncio.create_task(app.follow())


async def first_clip_played(app: BoardApp) -> None:
    assert app.announcer is not None
    async with asyncio.timeout(30):  # a bound on a hang: synthesis of a first clip takes a while
        while not app.announcer.played:
            await asyncio.sleep(0.05)


async def test_the_board_speaks_its_zone_as_voice_toml_says(hub, tmp_path: Path) -> None:
    app, follower = await open_voiced_board(hub, "C", tmp_path / "clips")
    try:
        assert app.voice == ZoneVoice("C", "board", 3, False, "请{number}号到{window}窗口", 150, "cmn")
        assert app.announcer is not None
        number = await issue(hub, "C1")
        await login(hub, "W19", "staff02")
        assert await call_next(hub, "W19", "staff02") == number
        await first_clip_played(app)
        (spoken,) = app.announcer.played
        assert spoken.error is None, spoken.error
        assert (spoken.call.number, spoken.call.repeat, spoken.call.chime) == (number, 3, False)
        assert spoken.text.startswith("请") and spoken.text.endswith("窗口"), spoken.text
        assert spoken.wav_path is not None and spoken.wav_path.stat().st_size > 1000 and spoken.duration_s > 0.5
    finally:
        await app.close()
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)


async def test_the_board_speaks_its_windows_call_to_another_zones_ticket(aiohttp_client, tmp_path: Path, clock,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Tried: W19 (zone C) also serving A1; an A1 ticket called at W19, zone C spoken by its board.
    Kept: zone C's board speaks it, as the hub speaks such a call in both zones (it dropped every
    event whose ticket waited in another zone, though its stream now carries them)."""
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    hall = sample_hall_serving({"W19": "A1"})
    plan = voice_plan_from_mapping({"defaults": {"where": "off"}, "zones": {"C": ZONE_C}}, hall)
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock, config=hall, extensions=[voice_extension(plan=plan)])
    app, follower = await open_voiced_board(hub, "C", tmp_path / "clips")
    try:
        number = await issue(hub, "A1")
        await login(hub, "W19", "staff02")
        assert await call_next(hub, "W19", "staff02") == number
        await first_clip_played(app)
        assert [(p.call.number, p.call.window, p.error) for p in app.announcer.played] == [(number, 19, None)]
        assert app.model.current is not None and app.model.current.number == number
    finally:
        await app.close()
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)


async def test_a_board_whose_zone_is_not_given_to_it_stays_silent_and_says_why(hub, tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="display.board.app"):
        app, follower = await open_voiced_board(hub, "A", tmp_path / "clips")
    try:
        assert app.announcer is None and app.voice is not None and app.voice.where == "off"
        assert any('gives zone A\'s calls to "off"' in r.getMessage() and "stays silent" in r.getMessage() for r in caplog.records)
        await issue(hub, "A1")
        await login(hub, "W01", "staff01")
        await call_next(hub, "W01", "staff01")
        async with asyncio.timeout(5):
            while not app.model.recent:
                await asyncio.sleep(0.01)
        assert app.announcer is None, "the call is shown, and nobody on this board speaks it"
    finally:
        await app.close()
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)


async def test_the_zone_voice_route(hub, aiohttp_client, tmp_path: Path, clock) -> None:
    response = await hub.client.get("/api/v1/zones/C/voice")
    assert response.status == 200
    assert await response.json() == {"zone": "C", "voice": "cmn", **ZONE_C}
    response = await hub.client.get("/api/v1/zones/ZZ/voice")
    assert (response.status, (await response.json())["error"]["code"]) == (404, "not_found")

    bare = await start_hub(aiohttp_client, tmp_path / "bare", clock)  # no voice extension: no plan
    response = await bare.client.get("/api/v1/zones/C/voice")
    assert (response.status, (await response.json())["error"]["code"]) == (404, "voice_not_configured")


def test_voice_needs_a_zone_on_the_command_line(capsys) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--hub", "http://127.0.0.1:1", "--token", "dev_x", "--voice"])
    assert "--voice speaks one zone's calls: give its --zone" in capsys.readouterr().err
    assert parse_args(["--hub", "http://127.0.0.1:1", "--token", "dev_x", "--voice", "--zone", "C"]).voice


def test_the_clips_go_to_the_users_cache_folder_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tried: a board started with --voice and no --voice-cache from / (as a service manager starts
    it). Kept: the clips go to the user's cache folder, not to var/voice-cache under / (which the
    board's user may not write, so voice was refused at start)."""
    monkeypatch.chdir("/")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    options = parse_args(["--hub", "http://127.0.0.1:1", "--token", "dev_x", "--voice", "--zone", "C"])
    assert options.voice_cache == tmp_path / "cache" / "hallq" / "voice"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert parse_args(["--hub", "http://127.0.0.1:1", "--token", "dev_x"]).voice_cache == tmp_path / "home" / ".cache" / "hallq" / "voice"


def test_a_voice_cache_the_board_cannot_use_is_refused_on_the_command_line(tmp_path: Path, capsys) -> None:
    """Tried: `--voice-cache` naming a file, and a folder under a file. It was a FileExistsError
    traceback once the hub answered, the board gone. Kept: the file as it was; a folder still to be
    made (under a writable one) is accepted."""
    taken = tmp_path / "clips.txt"
    taken.write_text("not a folder\n")
    for cache in (taken, taken / "voice"):
        with pytest.raises(SystemExit):
            parse_args(["--hub", "http://127.0.0.1:1", "--token", "dev_x", "--voice", "--zone", "C", "--voice-cache", str(cache)])
        assert f"--voice-cache {cache}: {taken} is a file, not a folder" in capsys.readouterr().err
    assert taken.read_text() == "not a folder\n"
    fresh = tmp_path / "var" / "voice-cache"
    assert parse_args(["--hub", "http://127.0.0.1:1", "--token", "dev_x", "--voice", "--zone", "C", "--voice-cache", str(fresh)]).voice_cache == fresh
