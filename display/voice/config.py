"""The ``[voice]`` settings of a hall, checked where they are used.

Keys (all optional): ``template``, ``one``, ``repeat``, ``chime``, ``rate``, ``voice``,
``fallback_voices``, ``volume``, ``gap_s``, ``plays_on``, ``cache_dir``. ``plays_on`` says which
machine owns the zone's speaker: ``hub`` (the hub runs the announcers), ``board`` (the zone's
TV/board PC runs its own announcer from the event stream) or ``none`` (log only). The announcer
itself is the same object wherever it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from display.voice.announcer import MAX_REPEAT
from display.voice.synth import DEFAULT_FALLBACK_VOICES, DEFAULT_RATE, DEFAULT_VOICE, SynthConfig
from display.voice.text import DEFAULT_TEMPLATE, SpeechRules, VoiceTextError

PLAYS_ON = ("hub", "board", "none")


class VoiceConfigError(ValueError):
    """A voice setting is unknown or invalid; the message names source, key and reason."""


@dataclass(frozen=True)
class VoiceConfig:
    template: str = DEFAULT_TEMPLATE
    one: str = "一"
    repeat: int = 2
    chime: bool = True
    rate: int = DEFAULT_RATE
    voice: str = DEFAULT_VOICE
    fallback_voices: tuple[str, ...] = DEFAULT_FALLBACK_VOICES
    volume: float = 1.0
    gap_s: float = 0.6
    plays_on: str = "hub"
    cache_dir: Path = field(default_factory=lambda: Path("var/voice-cache"))

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], source: str = "voice config") -> "VoiceConfig":
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise VoiceConfigError(f"{source}: unknown key(s) {unknown}; known: {sorted(known)}")
        values = dict(raw)
        if "cache_dir" in values:
            values["cache_dir"] = Path(values["cache_dir"])
        if "fallback_voices" in values:
            values["fallback_voices"] = tuple(values["fallback_voices"])
        expected: dict[str, type | tuple[type, ...]] = {
            "repeat": int, "rate": int, "chime": bool, "volume": (int, float), "gap_s": (int, float)
        }
        for key, kind in expected.items():
            if key in values and (not isinstance(values[key], kind) or (kind is int and isinstance(values[key], bool))):
                raise VoiceConfigError(f"{source}: key {key!r}: expected {kind}, got {values[key]!r}")
        config = cls(**values)
        config.check(source)
        return config

    def check(self, source: str) -> None:
        if not 1 <= self.repeat <= MAX_REPEAT:
            raise VoiceConfigError(f"{source}: key 'repeat': must be 1..{MAX_REPEAT}, got {self.repeat}")
        if self.plays_on not in PLAYS_ON:
            raise VoiceConfigError(f"{source}: key 'plays_on': must be one of {PLAYS_ON}, got {self.plays_on!r}")
        if self.gap_s < 0:
            raise VoiceConfigError(f"{source}: key 'gap_s': must not be negative, got {self.gap_s}")
        try:
            self.rules()
        except VoiceTextError as exc:
            raise VoiceConfigError(f"{source}: key 'template'/'one': {exc}") from exc
        try:
            self.synth_config()
        except ValueError as exc:
            raise VoiceConfigError(f"{source}: key 'rate'/'volume': {exc}") from exc

    def rules(self) -> SpeechRules:
        return SpeechRules(template=self.template, one=self.one)

    def synth_config(self) -> SynthConfig:
        return SynthConfig(
            cache_dir=self.cache_dir,
            voice=self.voice,
            fallback_voices=self.fallback_voices,
            rate=self.rate,
            volume=self.volume,
        )
