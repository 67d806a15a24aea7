"""The hall's voice placement (config/voice.toml): which machine speaks each zone's calls, and how.

Why a file of its own: where a zone's speaker is wired (to the hub, to the zone's TV PC, or
nowhere) is a technician's fact about the building, not a hall rule; it changes when a speaker is
moved, without touching zones.toml. The schema reports every problem at once as
``voice.toml: key.path: reason``, like the hall's own files.

    [defaults]            # every key optional, for every zone
    where = "hub"         # "hub" | "board" | "off"
    repeat = 2            # 1..5 times each call is spoken
    chime = true
    template = "请 {number}号 到 {window} 办理"
    rate = 160            # espeak words per minute, 80..450
    voice = "cmn"

    [zones.C]             # a zone's own settings win over [defaults]
    where = "board"

Without the file every zone that zones.toml marks ``announce = true`` is spoken on the hub,
``voice_repeat`` times. Zones spoken on the hub share the hub's one speech engine (espeak-ng is one
instance per process), so they must agree on ``rate`` and ``voice``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from display.voice.espeak_bundle import SynthesisError, VoiceNotFound, chinese_voices, resolve_voice
from display.voice.synth import DEFAULT_FALLBACK_VOICES, DEFAULT_RATE, DEFAULT_VOICE, installed_voices
from display.voice.text import DEFAULT_TEMPLATE, SpeechRules, VoiceTextError
from server.config.loader import read_optional_toml, validate_one
from server.config.models import HallConfig
from server.config.problems import ConfigError, ConfigProblem, join_path

VOICE_FILE = "voice.toml"
TOP_KEYS = ("defaults", "zones")
Where = Literal["hub", "board", "off"]


class ZoneVoice(BaseModel):
    """One zone's settings (or the defaults); None = not set here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    where: Where | None = None
    repeat: Annotated[int, Field(ge=1, le=5, strict=True)] | None = None
    chime: Annotated[bool, Field(strict=True)] | None = None
    template: str | None = None
    rate: Annotated[int, Field(ge=80, le=450, strict=True)] | None = None
    voice: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("template")
    @classmethod
    def _template_speakable(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                SpeechRules(template=value)
            except VoiceTextError as error:
                raise ValueError(str(error)) from None
        return value


@dataclass(frozen=True)
class ZoneVoicePlan:
    """What one zone gets, every setting resolved."""

    zone: str
    where: Where
    repeat: int
    chime: bool
    template: str
    rate: int
    voice: str


@dataclass(frozen=True)
class VoicePlan:
    zones: dict[str, ZoneVoicePlan]

    def on(self, where: Where) -> list[ZoneVoicePlan]:
        return [plan for plan in self.zones.values() if plan.where == where]


HALL_CHECKS = "zone codes, and one rate and voice for the zones spoken on the hub"
"""What is checked against the hall, and so not when the hall's own files do not load."""


def load_voice_plan(config_dir: Path, hall: HallConfig | None) -> VoicePlan:
    """Read voice.toml from the hall's folder (absent = the zones.toml defaults).

    hall None: the hall's own files did not load (`check-config` on a broken hall): only what the
    file says by itself is checked (HALL_CHECKS are not), and the plan has no zones."""
    raw = read_optional_toml(Path(config_dir), VOICE_FILE)
    if raw is None:
        raw = {}
    return voice_plan_from_mapping(raw, hall)


def voice_plan_from_mapping(raw: Mapping[str, Any], hall: HallConfig | None, file: str = VOICE_FILE) -> VoicePlan:
    """Validate a parsed voice.toml against the hall (None: see load_voice_plan); raise
    ConfigError with every problem."""
    problems: list[ConfigProblem] = []
    for key in raw:
        if key not in TOP_KEYS:
            problems.append(ConfigProblem(file, key, f"unknown key (expected only: {', '.join(TOP_KEYS)})"))
    defaults = validate_one(ZoneVoice, raw.get("defaults", {}), file, "defaults", problems) or ZoneVoice()
    zones_raw = raw.get("zones", {})
    own: dict[str, ZoneVoice] = {}
    if not isinstance(zones_raw, Mapping):
        problems.append(ConfigProblem(file, "zones", "must be a table of [zones.<code>] tables"))
        zones_raw = {}
    for code, entry in zones_raw.items():
        if hall is not None and hall.zone(code) is None:
            known = ", ".join(z.code for z in hall.zones)
            problems.append(ConfigProblem(file, f"zones.{code}", f"unknown zone {code!r} (the hall has: {known})"))
            continue
        checked = validate_one(ZoneVoice, entry, file, f"zones.{code}", problems)
        if checked is not None:
            own[code] = checked
    zones = hall.zones if hall is not None else []
    plans = {z.code: _resolve(z.code, own.get(z.code, ZoneVoice()), defaults, z.announce, z.voice_repeat) for z in zones}
    problems += _one_engine(plans, own, file)
    if problems:
        raise ConfigError(problems)
    return VoicePlan(plans)


def _resolve(code: str, own: ZoneVoice, defaults: ZoneVoice, announce: bool, repeat: int) -> ZoneVoicePlan:
    def pick(key: str, fallback: Any) -> Any:
        for source in (own, defaults):
            value = getattr(source, key)
            if value is not None:
                return value
        return fallback

    return ZoneVoicePlan(
        zone=code,
        where=pick("where", "hub" if announce else "off"),
        repeat=pick("repeat", repeat),
        chime=pick("chime", True),
        template=pick("template", DEFAULT_TEMPLATE),
        rate=pick("rate", DEFAULT_RATE),
        voice=pick("voice", DEFAULT_VOICE),
    )


def _one_engine(plans: dict[str, ZoneVoicePlan], own: dict[str, ZoneVoice], file: str) -> list[ConfigProblem]:
    """Zones spoken on the hub share one espeak-ng engine: one rate and one voice for all of them."""
    on_hub = [p for p in plans.values() if p.where == "hub"]
    if not on_hub:
        return []
    first = on_hub[0]
    problems = []
    for plan in on_hub[1:]:
        for key in ("rate", "voice"):
            if getattr(plan, key) != getattr(first, key):
                where = f"zones.{plan.zone}.{key}" if getattr(own.get(plan.zone, ZoneVoice()), key) is not None else f"zones.{first.zone}.{key}"
                problems.append(ConfigProblem(
                    file, where,
                    f"zones spoken on the hub share one speech engine: {key} must be the same for all of them "
                    f"(zone {first.zone} has {getattr(first, key)!r}, zone {plan.zone} has {getattr(plan, key)!r}); "
                    "set it in [defaults], or speak this zone on its board (where = \"board\")",
                ))
    return problems


def check_voice_names(config_dir: Path) -> list[ConfigProblem]:
    """Each voice voice.toml names, looked up in this machine's espeak-ng.

    A voice espeak-ng lacks (a typo, a name from another speech engine) passed every check, and
    the hub then spoke with its fallback voice, or with none at all. Looking voices up opens the
    speech engine (about 0.1 s), so `check-config` asks, not the hub's start (which says it in its
    log when it falls back). Needs nothing of the hall: checked even when the hall does not load."""
    try:
        raw = read_optional_toml(Path(config_dir), VOICE_FILE)
    except ConfigError:
        return []  # the file's syntax error is load_voice_plan's to report
    named = _named_voices(raw or {})
    if not named:
        return []
    try:
        version, voices = installed_voices()
    except SynthesisError as error:
        return [ConfigProblem(VOICE_FILE, named[0][0], f"cannot look the voice up: the speech engine does not start on this machine: {error}")]
    try:
        fallback = f"the fallback voice {resolve_voice(voices, DEFAULT_FALLBACK_VOICES[0], DEFAULT_FALLBACK_VOICES[1:])}"
    except VoiceNotFound:
        fallback = "no voice at all (there is no fallback voice either)"
    problems = []
    for path, name in named:
        try:
            resolve_voice(voices, name)
        except VoiceNotFound:
            choices = ", ".join(chinese_voices(voices)) or "none"
            problems.append(ConfigProblem(
                VOICE_FILE, path,
                f"espeak-ng {version} on this machine has no voice {name!r} (its Chinese voices: {choices}); "
                f"calls would be spoken with {fallback}",
            ))
    return problems


def _named_voices(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key path, name) of every voice the file names, [defaults] first, then the zones'."""
    sections = [("defaults", raw.get("defaults"))]
    zones = raw.get("zones")
    if isinstance(zones, Mapping):
        sections += [(f"zones.{code}", entry) for code, entry in zones.items()]
    return [
        (join_path(path, "voice"), section["voice"])
        for path, section in sections
        if isinstance(section, Mapping) and isinstance(section.get("voice"), str) and section["voice"]
    ]
