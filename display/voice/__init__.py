"""Mandarin voice announcements for the hall: text rules, offline synthesis, per-zone queue.

Drivers only: imports nothing from aiohttp, SQLAlchemy or server/.
"""

from display.voice.announcer import Announcement, Announcer, AnnouncerClosed, AnnouncerStats, Call
from display.voice.chime import Chime, ensure_chime
from display.voice.espeak_bundle import SynthesisError, VoiceNotFound
from display.voice.playback import Player, PygamePlayer, SilentPlayer, open_player
from display.voice.synth import SynthConfig, Synthesizer, SynthStats
from display.voice.text import SpeechRules, VoiceTextError, announcement_text

__all__ = [
    "Announcement",
    "Announcer",
    "AnnouncerClosed",
    "AnnouncerStats",
    "Call",
    "Chime",
    "Player",
    "PygamePlayer",
    "SilentPlayer",
    "SpeechRules",
    "SynthConfig",
    "SynthStats",
    "Synthesizer",
    "SynthesisError",
    "VoiceNotFound",
    "VoiceTextError",
    "announcement_text",
    "ensure_chime",
    "open_player",
]
