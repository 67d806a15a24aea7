"""Hub voice tests: real synthesis on the bundled espeak-ng, no sound device (SilentPlayer)."""
from __future__ import annotations

import os

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
