"""The [voice] settings: errors name the source, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from display.voice.config import VoiceConfig, VoiceConfigError


def test_defaults_and_derived_objects(tmp_path: Path) -> None:
    config = VoiceConfig.from_mapping({"rate": 180, "one": "幺", "cache_dir": str(tmp_path)}, "hall.toml")
    assert config.rules().one == "幺"
    synth = config.synth_config()
    assert (synth.rate, synth.voice, synth.cache_dir) == (180, "cmn", tmp_path)
    assert config.plays_on == "hub" and config.repeat == 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"speed": 180}, "hall.toml: unknown key(s) ['speed']"),
        ({"repeat": "2"}, "hall.toml: key 'repeat': expected"),
        ({"repeat": 9}, "hall.toml: key 'repeat': must be 1..5"),
        ({"chime": "yes"}, "hall.toml: key 'chime': expected"),
        ({"plays_on": "tv"}, "hall.toml: key 'plays_on'"),
        ({"template": "请{num}号"}, "hall.toml: key 'template'/'one'"),
        ({"rate": 20}, "hall.toml: key 'rate'/'volume'"),
        ({"gap_s": -1}, "hall.toml: key 'gap_s'"),
    ],
)
def test_bad_settings_are_named(raw: dict[str, object], message: str) -> None:
    """Tried: one wrong setting at a time. Kept: an error naming file, key and reason."""
    with pytest.raises(VoiceConfigError) as info:
        VoiceConfig.from_mapping(raw, "hall.toml")
    assert str(info.value).startswith(message)
