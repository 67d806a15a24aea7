"""Real Mandarin synthesis through pyttsx3 on the espeak-ng 1.52 bundled by espeakng-loader."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from display.voice.espeak_bundle import SynthesisError, VoiceNotFound
from display.voice.synth import SynthConfig, Synthesizer
from display.voice.text import announcement_text
from display.voice.wavinfo import BadWav, read_wav_info

CALL = "请 A零零一号 到 三号窗口 办理"
SPEECH_RMS_FLOOR = 0.02  # espeak speech sits near 0.1 of full scale; silence is 0


def test_uses_bundled_cmn_voice(synth: Synthesizer) -> None:
    assert synth.engine_version.startswith("1.52")
    assert synth.voice_id == "sit/cmn"


def test_call_clip_is_valid_plausible_speech(synth: Synthesizer) -> None:
    assert announcement_text("A001", 3) == CALL
    info = read_wav_info(synth.synthesize(CALL))
    assert (info.channels, info.sample_rate) == (1, 22050)
    assert 1.0 < info.duration_s < 8.0, info.duration_s
    assert info.rms > SPEECH_RMS_FLOOR, info.rms


def test_longer_text_gives_longer_clip(synth: Synthesizer) -> None:
    short = read_wav_info(synth.synthesize(CALL))
    long_text = announcement_text("B120", "不动产登记十二号窗口") + "，" + CALL
    longer = read_wav_info(synth.synthesize(long_text))
    assert longer.duration_s > short.duration_s + 1.0


def test_faster_rate_gives_shorter_clip(tmp_path: Path) -> None:
    durations = []
    for rate in (120, 260):
        with Synthesizer(SynthConfig(cache_dir=tmp_path / str(rate), rate=rate)) as synthesizer:
            durations.append(read_wav_info(synthesizer.synthesize(CALL)).duration_s)
    assert durations[0] > durations[1] * 1.5, durations


def test_cache_hit_does_not_resynthesize(synth: Synthesizer) -> None:
    first = synth.synthesize(CALL)
    written = first.stat().st_mtime_ns
    second = synth.synthesize(CALL)
    assert second == first
    assert second.stat().st_mtime_ns == written
    stats = synth.stats
    assert (stats.synthesized, stats.hits) == (1, 1)
    assert sorted(p.name for p in first.parent.iterdir()) == [first.name]


def test_cache_key_depends_on_rate(tmp_path: Path) -> None:
    shared = tmp_path / "clips"
    with Synthesizer(SynthConfig(cache_dir=shared, rate=150)) as slow:
        slow_path = slow.synthesize(CALL)
    with Synthesizer(SynthConfig(cache_dir=shared, rate=250)) as fast:
        fast_path = fast.synthesize(CALL)
        assert fast.stats.hits == 0
    assert slow_path != fast_path


async def test_concurrent_requests_for_one_text_synthesize_once(synth: Synthesizer) -> None:
    paths = await asyncio.gather(*(synth.async_synthesize(CALL) for _ in range(6)))
    assert len(set(paths)) == 1
    stats = synth.stats
    assert stats.synthesized == 1
    assert stats.hits == 5


def test_fallback_voice_is_used_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = SynthConfig(cache_dir=tmp_path, voice="xx-nonexistent", fallback_voices=("cmn-latn-pinyin",))
    with caplog.at_level(logging.WARNING), Synthesizer(config) as synthesizer:
        assert synthesizer.voice_id == "sit/cmn-latn-pinyin"
        assert read_wav_info(synthesizer.synthesize(CALL)).rms > SPEECH_RMS_FLOOR
    assert "xx-nonexistent" in caplog.text


def test_unknown_voice_without_fallback_names_chinese_voices(tmp_path: Path) -> None:
    """Tried: a voice espeak does not have. Kept: an error listing the Chinese voices there are."""
    synthesizer = Synthesizer(SynthConfig(cache_dir=tmp_path, voice="klingon", fallback_voices=()))
    try:
        with pytest.raises(VoiceNotFound, match="sit/cmn"):
            synthesizer.start()
    finally:
        synthesizer.close()


def test_unspeakable_text_fails_and_leaves_no_clip(synth: Synthesizer) -> None:
    """Tried: punctuation only (espeak makes silence). Kept: a clear error, no cached file."""
    with pytest.raises(SynthesisError, match="silence"):
        synth.synthesize("，。")
    assert synth.stats.failures == 1
    assert list(synth.config.cache_dir.iterdir()) == []
    # The engine is still usable afterwards.
    assert read_wav_info(synth.synthesize(CALL)).rms > SPEECH_RMS_FLOOR


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_refused(synth: Synthesizer, text: str) -> None:
    with pytest.raises(ValueError, match="nothing to say"):
        synth.synthesize(text)


def test_closed_synthesizer_refuses_work(tmp_path: Path) -> None:
    synthesizer = Synthesizer(SynthConfig(cache_dir=tmp_path))
    synthesizer.close()
    with pytest.raises(SynthesisError, match="closed"):
        synthesizer.synthesize(CALL)


def test_bad_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rate"):
        SynthConfig(cache_dir=tmp_path, rate=5)
    with pytest.raises(ValueError, match="volume"):
        SynthConfig(cache_dir=tmp_path, volume=0)


def test_truncated_wav_is_a_clear_error(tmp_path: Path) -> None:
    """Tried: reading a WAV cut after its first bytes. Kept: BadWav naming the file."""
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00")
    with pytest.raises(BadWav, match="broken.wav"):
        read_wav_info(broken)


def test_the_drivers_clip_messages_go_to_the_log_not_stdout(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                                            caplog: pytest.LogCaptureFixture) -> None:
    """Tried: two fresh clips. pyttsx3's espeak driver prints "Audio saved to <file>" for each
    (from espeak's own thread); a hub's console filled with one line per clip. Kept: nothing on
    the process's stdout or stderr, the driver's words in the log at DEBUG."""
    with caplog.at_level(logging.DEBUG, logger="display.voice.synth"):
        with Synthesizer(SynthConfig(cache_dir=tmp_path / "clips")) as synthesizer:
            synthesizer.synthesize(CALL)
            synthesizer.synthesize(announcement_text("B120", 12))
    out, err = capfd.readouterr()
    assert "Audio saved" not in out + err
    saved = [r for r in caplog.records if r.getMessage().startswith("pyttsx3: Audio saved to ")]
    assert len(saved) == 2 and all(r.levelno == logging.DEBUG for r in saved)



def test_cache_stays_within_its_bound_and_keeps_the_clips_in_use(tmp_path: Path) -> None:
    """Every ticket number and window pair is a clip of its own, and the hub's cache grew by about
    130 MB a hall day for good (bench/soak.py). Tried: eight different calls into a cache bounded
    at three and a half clips, the first call said again before each new one. Kept: the cache
    within its bound, the call in daily use, the clip just made (about to be played), and the
    chime beside the clips (pruned as the oldest file, it failed every announcement after)."""
    calls = [announcement_text(f"A{n:03d}", 3) for n in range(1, 9)]
    with Synthesizer(SynthConfig(cache_dir=tmp_path / "probe")) as probe:
        bound = int(probe.synthesize(calls[0]).stat().st_size * 3.5)
    cache = tmp_path / "clips"
    cache.mkdir()
    chime = cache / "chime-880.0x0.12.wav"  # the hub keeps its chime there too, made once at start
    chime.write_bytes(b"RIFF" + bytes(100))
    with Synthesizer(SynthConfig(cache_dir=cache, cache_max_bytes=bound)) as synthesizer:
        in_use = synthesizer.synthesize(calls[0])
        for call in calls[1:]:
            assert synthesizer.synthesize(calls[0]) == in_use
            latest = synthesizer.synthesize(call)
            assert latest.is_file() and in_use.is_file()
            assert sum(clip.stat().st_size for clip in cache.iterdir() if clip != chime) <= bound
        assert synthesizer.stats.synthesized == 8
    assert chime.is_file()
    assert len(list(cache.iterdir())) < 8 + 1


FULL_DISK_SCRIPT = """
import resource, signal, sys
from pathlib import Path
from display.voice.synth import SynthConfig, SynthesisError, Synthesizer

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as ENOSPC would
synth = Synthesizer(SynthConfig(cache_dir=Path(sys.argv[1])))
synth.synthesize("请 A一零零一号 到 三号窗口 办理")  # the engine started, a first clip made
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))
try:
    synth.synthesize("请 A一零零二号 到 三号窗口 办理")
    print("spoken while full")
except SynthesisError as exc:
    print("refused:", exc)
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
print("after:", synth.synthesize("请 A一零零三号 到 三号窗口 办理").stat().st_size > 64 * 1024)
synth.close()
"""


def test_a_full_disk_refuses_the_clip_and_speech_comes_back(tmp_path: Path) -> None:
    """Tried: a clip made while the disk has no room (a file size limit stands in for a full
    disk in this process of its own). Seen: pyttsx3 swallowed the failed write in espeak's
    callback and its runAndWait() never returned: the worker stuck, no zone announced anything
    again, and the hub ignored SIGTERM. Kept: the clip is refused with the reason, nothing half
    written is left, and the next clip is made once there is room."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT, str(tmp_path / "clips")],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert lines[0].startswith("refused: cannot synthesize") and "no room for a clip in" in lines[0], lines
    assert lines[1] == "after: True"
    assert not list((tmp_path / "clips").glob("*.part.wav"))
