"""Fixtures for the voice tests: a real synthesizer on the bundled espeak-ng, no sound device."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from display.voice.synth import SynthConfig, Synthesizer


@pytest.fixture
def no_sound_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make SDL report no real audio device, as on a headless hub."""
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")


@pytest.fixture
def synth(tmp_path: Path) -> Iterator[Synthesizer]:
    """A real synthesizer with its own empty clip cache (one at a time: espeak is per process)."""
    synthesizer = Synthesizer(SynthConfig(cache_dir=tmp_path / "clips"))
    try:
        yield synthesizer
    finally:
        synthesizer.close()
