"""Hub-side voice announcements per zone (config/voice.toml): service.py speaks them in the hub
(``setup``, ``voice_extension``), config.py reads voice.toml. This package file imports nothing,
so that `hallq check-config` reads voice.toml without loading the hub's audio.
"""
