"""The per-zone announcer: FIFO, repeats, silent back-office calls, no-device logging."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from display.voice.announcer import Announcement, Announcer, AnnouncerClosed, Call
from display.voice.chime import Chime, ensure_chime
from display.voice.playback import PygamePlayer, SilentPlayer, open_player
from display.voice.synth import SynthConfig, Synthesizer
from display.voice.text import VoiceTextError
from display.voice.wavinfo import read_wav_info

pytestmark = pytest.mark.usefixtures("no_sound_device")


def _announcer(synth: Synthesizer, **kwargs: object) -> Announcer:
    player = open_player()
    assert isinstance(player, SilentPlayer)
    return Announcer("A区", synth, player, **kwargs)  # type: ignore[arg-type]


async def test_calls_are_spoken_in_order_without_overlap(synth: Synthesizer) -> None:
    announcer = _announcer(synth)
    calls = [Call(number=f"A{n:03d}", window=n) for n in (5, 1, 12, 3, 20)]
    futures = [announcer.enqueue(call) for call in calls]
    records = await asyncio.gather(*futures)
    await announcer.close()
    assert [r.call for r in announcer.played] == calls
    assert [r.text for r in records][:2] == ["请 A零零五号 到 五号窗口 办理", "请 A零零一号 到 一号窗口 办理"]
    for before, after in zip(records, records[1:]):
        assert before.finished_at is not None and after.started_at is not None
        assert after.started_at >= before.finished_at
    assert all(r.queued_at <= r.started_at for r in records if r.started_at is not None)
    assert all(r.spoken and r.wav_path is not None and r.wav_path.is_file() for r in records)
    assert all(1.0 < r.duration_s < 8.0 for r in records)


async def test_repeat_count_is_respected(synth: Synthesizer) -> None:
    announcer = _announcer(synth)
    once = await announcer.announce(Call(number="B001", window=2))
    thrice = await announcer.announce(Call(number="B002", window=2, repeat=3))
    await announcer.close()
    assert (once.plays, thrice.plays) == (1, 3)
    assert announcer.stats.plays == 4
    # A recall of the same words reuses the clip: synthesized once per distinct text.
    again = await _announcer(synth).announce(Call(number="B002", window=2))
    assert again.wav_path == thrice.wav_path
    assert synth.stats.synthesized == 2


async def test_back_office_call_is_not_spoken(synth: Synthesizer) -> None:
    announcer = _announcer(synth)
    record = await announcer.announce(Call(number="C009", window="后台审批室", silent=True))
    await announcer.close()
    assert record.text == "请 C零零九号 到 后台审批室 办理"
    assert (record.spoken, record.plays, record.wav_path) == (False, 0, None)
    assert announcer.stats.silent == 1
    assert synth.stats.synthesized == 0
    assert not synth.config.cache_dir.exists() or list(synth.config.cache_dir.iterdir()) == []


async def test_no_sound_device_is_said_once_for_all_zones(synth: Synthesizer, caplog: pytest.LogCaptureFixture) -> None:
    """Tried: three calls in each of two zones sharing one player without a device. Kept: the
    missing device said once, with its reason; every announcement logged with its words."""
    player = open_player()
    zones = [Announcer(zone, synth, player) for zone in ("A区", "B区")]
    with caplog.at_level(logging.INFO):
        for announcer in zones:
            for n in range(1, 4):
                await announcer.announce(Call(number=f"A{n:03d}", window=n))
    for announcer in zones:
        await announcer.close()
    assert caplog.text.count("no sound device") == 1
    assert "SDL_AUDIODRIVER=dummy" in caplog.text
    assert caplog.text.count("announce 请 A零零") == 6


async def test_bad_call_is_refused_and_queue_keeps_the_others(synth: Synthesizer) -> None:
    """Tried: a malformed ticket number between two good calls. Kept: both good calls spoken."""
    announcer = _announcer(synth)
    first = announcer.enqueue(Call(number="A001", window=1))
    with pytest.raises(VoiceTextError, match="ticket number"):
        announcer.enqueue(Call(number="A-01", window=1))
    last = announcer.enqueue(Call(number="A002", window=1))
    records = await asyncio.gather(first, last)
    await announcer.close()
    assert [r.call.number for r in records] == ["A001", "A002"]
    assert all(r.spoken for r in records)
    assert announcer.stats.queued == 2


def test_repeat_out_of_range_is_refused() -> None:
    """Tried: repeat 0 and 9. Kept: ValueError naming the allowed range."""
    for repeat in (0, 9):
        with pytest.raises(ValueError, match="repeat must be 1..5"):
            Call(number="A001", window=1, repeat=repeat)


async def test_engine_failure_is_recorded_and_queue_goes_on(tmp_path: Path) -> None:
    """Tried: a synthesizer that was closed under the announcer. Kept: every call recorded with
    its error, futures resolved, nothing silently dropped."""
    broken = Synthesizer(SynthConfig(cache_dir=tmp_path))
    broken.close()
    announcer = _announcer(broken)
    records = await asyncio.gather(*(announcer.enqueue(Call(number=f"A00{n}", window=n)) for n in (1, 2)))
    await announcer.close()
    assert [r.error for r in records] == ["SynthesisError: synthesizer is closed"] * 2
    assert announcer.stats.failed == 2
    assert len(announcer.played) == 2


async def test_close_without_drain_fails_pending_calls(synth: Synthesizer) -> None:
    announcer = _announcer(synth)
    futures = [announcer.enqueue(Call(number=f"A00{n}", window=n)) for n in range(1, 6)]
    await announcer.close(drain=False)
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    closed = [o for o in outcomes if isinstance(o, AnnouncerClosed)]
    assert closed, "calls still queued at close must fail loudly, not vanish"
    assert all(isinstance(o, (Announcement, AnnouncerClosed)) for o in outcomes)
    with pytest.raises(AnnouncerClosed):
        announcer.enqueue(Call(number="A009", window=1))


async def test_listeners_and_capped_history(synth: Synthesizer) -> None:
    announcer = _announcer(synth, history=3)
    heard: list[str] = []
    unsubscribe = announcer.add_listener(lambda record: heard.append(record.call.number))
    for n in range(1, 5):
        await announcer.announce(Call(number=f"A00{n}", window=1))
    unsubscribe()
    await announcer.announce(Call(number="A005", window=1))
    await announcer.close()
    assert heard == ["A001", "A002", "A003", "A004"]
    assert [r.call.number for r in announcer.played] == ["A003", "A004", "A005"]


async def test_chime_is_played_before_the_call(synth: Synthesizer, tmp_path: Path) -> None:
    chime = ensure_chime(tmp_path / "sounds")
    announcer = _announcer(synth, chime_path=chime)
    record = await announcer.announce(Call(number="A001", window=3, chime=True))
    await announcer.close()
    assert record.spoken and record.plays == 1


def test_chime_is_two_tones_and_generated_once(tmp_path: Path) -> None:
    chime = Chime()
    path = ensure_chime(tmp_path, chime)
    written = path.stat().st_mtime_ns
    assert ensure_chime(tmp_path, chime) == path and path.stat().st_mtime_ns == written
    info = read_wav_info(path)
    assert info.duration_s == pytest.approx(sum(secs for _, secs in chime.tones), abs=0.01)
    assert info.rms > 0.05
    # Zero crossings in each tone's first 0.1 s give its pitch: high then low.
    import array
    import wave

    with wave.open(str(path)) as clip:
        samples = array.array("h", clip.readframes(clip.getnframes()))
    window = int(0.1 * chime.sample_rate)
    second_start = int(chime.tones[0][1] * chime.sample_rate)

    def pitch(start: int) -> float:
        part = samples[start : start + window]
        crossings = sum(1 for a, b in zip(part, part[1:]) if (a < 0) != (b < 0))
        return crossings / 2 / 0.1

    assert pitch(0) == pytest.approx(chime.tones[0][0], rel=0.05)
    assert pitch(second_start) == pytest.approx(chime.tones[1][0], rel=0.05)


def test_bad_chime_is_refused() -> None:
    with pytest.raises(ValueError, match="tones"):
        Chime(tones=((440.0, 0.0),))


def test_pygame_mixer_really_plays_a_clip(tmp_path: Path) -> None:
    """Real pygame.mixer on SDL's dummy device: play() returns only after the clip has ended."""
    import pygame

    assert os.environ["SDL_AUDIODRIVER"] == "dummy"
    pygame.mixer.init()
    try:
        clip = ensure_chime(tmp_path, Chime(tones=((880.0, 0.15),)))
        player = PygamePlayer()
        player.play(clip)
        assert not pygame.mixer.get_busy()
    finally:
        pygame.mixer.quit()
