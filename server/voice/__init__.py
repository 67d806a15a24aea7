"""Hub-side voice announcements per zone (config/voice.toml): see service.py and config.py."""
from server.voice.config import VoicePlan, ZoneVoicePlan, load_voice_plan, voice_plan_from_mapping
from server.voice.service import VOICE, VoiceService, setup, voice_extension

__all__ = ["VOICE", "VoicePlan", "VoiceService", "ZoneVoicePlan", "load_voice_plan", "setup", "voice_extension",
           "voice_plan_from_mapping"]
