"""The hub speaks its zones' calls: once per configured repeat, in order, never a back office."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from display.voice.wavinfo import read_wav_info
from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.config.problems import ConfigError
from server.voice.config import load_voice_plan, voice_plan_from_mapping
from server.voice.service import VOICE, voice_extension
from server.web import setup_static
from tests.board.hall_actions import api, call_next, issue, login, silent_back_office_call
from tests.conftest import sample_hall_serving, start_hub


@pytest.fixture(scope="module")
def sample_hall():
    return load_hall_config(default_config_dir())


@pytest.fixture
async def hub(aiohttp_client, tmp_path: Path, clock, sample_hall):
    """Zones spoken on the hub three times without chime; zone B belongs to its board PC."""
    plan = voice_plan_from_mapping({"defaults": {"repeat": 3, "chime": False}, "zones": {"B": {"where": "board"}}}, sample_hall)
    extension = voice_extension(plan=plan, cache_dir=tmp_path / "clips")
    return await start_hub(aiohttp_client, tmp_path / "data", clock, extensions=[setup_static, extension])


async def test_a_call_is_spoken_repeat_times_with_a_real_clip(hub, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="display.voice.announcer")
    service = hub.app[VOICE]
    assert set(service.announcers) == {"A", "C", "D", "E", "F", "G", "H", "J", "K"}  # B is its board's
    number = await issue(hub, "C1")
    await login(hub, "W19", "staff01")
    await call_next(hub, "W19", "staff01")
    announcer = service.announcers["C"]
    await announcer.drain()
    record = announcer.played[-1]
    assert record.call.number == number and record.call.window == 19
    assert record.text == "请 C一零零一号 到 十九号窗口 办理"
    assert record.spoken and record.plays == 3 and announcer.stats.plays == 3
    info = read_wav_info(record.wav_path)
    assert 1.5 < record.duration_s < 6.0 and info.rms > 0  # ~13 syllables at 160 words a minute
    # A recall is announced again, as often.
    await api(hub, "POST", "/windows/W19/recall", "staff01")
    await announcer.drain()
    assert announcer.stats.spoken == 2 and announcer.stats.plays == 6
    assert announcer.played[-1].wav_path == record.wav_path  # same words: the cached clip
    no_device = [r for r in caplog.records if "no sound device" in r.getMessage()]
    assert len(no_device) == 1  # said once, not per call


async def test_back_office_call_is_never_spoken(hub) -> None:
    announcer = hub.app[VOICE].announcers["C"]
    await silent_back_office_call(hub)
    await announcer.drain()
    spoken, silent = announcer.played[0], announcer.played[1]
    assert spoken.call.window == 19 and spoken.spoken
    assert silent.call.silent and not silent.spoken and silent.plays == 0 and silent.wav_path is None
    assert announcer.stats.spoken == 1 and announcer.stats.silent == 1 and announcer.stats.plays == 3


async def test_several_calls_are_spoken_first_in_first_out(hub) -> None:
    announcer = hub.app[VOICE].announcers["A"]
    numbers = [await issue(hub, "A1") for _ in range(3)]
    for window, who in (("W01", "staff01"), ("W02", "staff02"), ("W03", "staff03")):
        await login(hub, window, who)
    called = [await call_next(hub, w, who) for w, who in (("W03", "staff03"), ("W01", "staff01"), ("W02", "staff02"))]
    assert sorted(called) == sorted(numbers)
    await announcer.drain()
    assert [(r.call.number, r.call.window) for r in announcer.played] == list(zip(called, (3, 1, 2)))
    for before, after in zip(announcer.played, list(announcer.played)[1:]):
        assert after.started_at >= before.finished_at  # never two at once
    # Zone B's calls belong to its board: nothing on the hub speaks them.
    service = hub.app[VOICE]
    queued_before = sum(a.stats.queued for a in service.announcers.values())
    await issue(hub, "B1")
    b_window = next(w.id for w in service.hall.windows if w.zone == "B" and "B1" in w.queues)
    await login(hub, b_window, "admin")
    await call_next(hub, b_window, "admin")
    assert "B" not in service.announcers
    assert sum(a.stats.queued for a in service.announcers.values()) == queued_before


async def test_health_names_the_zones_whose_calls_are_not_heard(hub) -> None:
    """Tried: a hub speaking its zones with no sound device. It was: /health ok. Kept: still 200
    (the hall runs), `degraded`, each zone the hub speaks named with the reason; B is its board's."""
    response = await hub.client.get("/api/v1/health")
    body = await response.json()
    assert response.status == 200 and body["status"] == "degraded"
    assert [z["zone"] for z in body["speech_down"]] == ["A", "C", "D", "E", "F", "G", "H", "J", "K"]
    assert body["speech_down"][0]["reason"] == "no sound device (SDL_AUDIODRIVER=dummy): calls are synthesized, not heard"


class UnpluggedSpeaker:
    """A sound device that is there at start and fails while playing (its cable pulled)."""

    has_device = True
    reason = ""

    def __init__(self) -> None:
        self.plugged = False

    def play(self, path: Path) -> None:
        if not self.plugged:
            raise OSError("ALSA: device disconnected")

    def close(self) -> None:
        return None


async def test_health_names_the_zone_whose_last_call_failed(aiohttp_client, tmp_path: Path, clock, sample_hall) -> None:
    """A call whose speaker fails makes its zone down (with the error) until a call is heard again;
    the other zones, whose speech works, are not named."""
    speaker = UnpluggedSpeaker()
    plan = voice_plan_from_mapping({"defaults": {"repeat": 1, "chime": False}}, sample_hall)
    extension = voice_extension(plan=plan, player_factory=lambda: speaker, cache_dir=tmp_path / "clips")
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock, extensions=[extension])
    assert (await (await hub.client.get("/api/v1/health")).json())["status"] == "ok"

    await issue(hub, "C1")
    await login(hub, "W19", "staff01")
    await call_next(hub, "W19", "staff01")
    await hub.app[VOICE].announcers["C"].drain()
    body = await (await hub.client.get("/api/v1/health")).json()
    assert body["status"] == "degraded"
    assert body["speech_down"] == [{"zone": "C", "reason": "the last call was not spoken: OSError: ALSA: device disconnected"}]

    speaker.plugged = True
    await api(hub, "POST", "/windows/W19/recall", "staff01")
    await hub.app[VOICE].announcers["C"].drain()
    assert (await (await hub.client.get("/api/v1/health")).json()) == {"status": "ok", "last_seq": body["last_seq"] + 1}


def test_check_config_names_a_voice_this_machine_does_not_have(tmp_path: Path) -> None:
    """Tried: voice = "klingon" in voice.toml. It was: check-config OK, and the hub spoke with its
    fallback voice. Kept: the key, the name, this machine's Chinese voices and what would happen,
    from the real espeak-ng voices; a voice given by its id (sit/yue) is found."""
    import io
    import shutil

    from server.config.cli import check_config_main

    folder = tmp_path / "hall"
    shutil.copytree(default_config_dir(), folder)
    (folder / "voice.toml").write_text(
        '[defaults]\nvoice = "klingon"\n[zones.C]\nwhere = "board"\nvoice = "sit/yue"\n', encoding="utf-8")
    out = io.StringIO()
    assert check_config_main(folder, out) == 1
    lines = out.getvalue().splitlines()
    assert lines == [
        "voice.toml: defaults.voice: espeak-ng 1.52.0 on this machine has no voice 'klingon' (its Chinese voices: "
        "sit/cmn, sit/cmn-latn-pinyin, sit/yue, sit/yue-latn-jyutping); calls would be spoken with the fallback "
        "voice sit/cmn-latn-pinyin",
        f"1 problem(s) in {folder}",
    ]


async def test_a_window_of_another_zone_calling_is_heard_where_the_citizen_waits(aiohttp_client, tmp_path: Path, clock,
                                                                                  ) -> None:
    """Tried: window W01 (zone A) also serving queue C1 (zone C) calls a C1 ticket. Kept: the call
    is spoken in zone C, where the kiosk sent the citizen to wait and its boards show it, and in
    zone A, where the window is; only zone A spoke, and the citizen in zone C heard nothing."""
    config = sample_hall_serving({"W01": "C1"})
    plan = voice_plan_from_mapping({"defaults": {"repeat": 1, "chime": False}}, config)
    hub = await start_hub(aiohttp_client, tmp_path / "data", clock, config=config,
                          extensions=[setup_static, voice_extension(plan=plan, cache_dir=tmp_path / "clips")])
    number = await issue(hub, "C1")
    await login(hub, "W01", "staff01")
    assert await call_next(hub, "W01", "staff01") == number
    service = hub.app[VOICE]
    for zone in ("C", "A"):
        await service.announcers[zone].drain()
        assert [(r.call.number, r.call.window) for r in service.announcers[zone].played] == [(number, 1)], zone


def test_voice_file_problems_name_file_key_and_reason(sample_hall, tmp_path: Path) -> None:
    raw = {
        "defaults": {"repeat": 9, "loudness": 3},
        "zones": {"Q": {"where": "hub"}, "C": {"where": "ceiling", "rate": 200}, "D": {"template": "请 {ticket}"}},
        "speakers": {},
    }
    with pytest.raises(ConfigError) as caught:
        voice_plan_from_mapping(raw, sample_hall)
    found = {(p.file, p.key_path) for p in caught.value.problems}
    assert {("voice.toml", "speakers"), ("voice.toml", "defaults.repeat"), ("voice.toml", "defaults.loudness"),
            ("voice.toml", "zones.Q"), ("voice.toml", "zones.C.where"), ("voice.toml", "zones.D.template")} <= found
    text = str(caught.value)
    assert "unknown key" in text and "unknown zone 'Q'" in text and "less than or equal to 5" in text
    # Zones on the hub share one engine: differing rates are refused, naming the zone that differs.
    with pytest.raises(ConfigError) as caught:
        voice_plan_from_mapping({"zones": {"C": {"rate": 200}}}, sample_hall)
    assert [p.key_path for p in caught.value.problems] == ["zones.C.rate"]
    # ...unless that zone is spoken on its board PC.
    plan = voice_plan_from_mapping({"zones": {"C": {"rate": 200, "where": "board"}}}, sample_hall)
    assert plan.zones["C"].rate == 200 and "C" not in {z.zone for z in plan.on("hub")}
    # A broken file on disk is reported with its name; nothing half-loaded.
    (tmp_path / "voice.toml").write_text("[defaults\nwhere = 'hub'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"voice.toml: line \d+: TOML syntax error"):
        load_voice_plan(tmp_path, sample_hall)


def test_the_shipped_voice_file_and_the_defaults_without_one(sample_hall, tmp_path: Path) -> None:
    shipped = load_voice_plan(default_config_dir(), sample_hall)
    assert {z.where for z in shipped.zones.values()} == {"hub"} and shipped.zones["A"].repeat == 2
    absent = load_voice_plan(tmp_path, sample_hall)  # no voice.toml: zones.toml's announce/voice_repeat
    assert all(p.where == ("hub" if z.announce else "off") and p.repeat == z.voice_repeat
               for z in sample_hall.zones for p in [absent.zones[z.code]])
