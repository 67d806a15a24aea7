"""Whether a machine can have a sound device, asked before the mixer (display/voice/playback.py).

On a machine without one, every mixer attempt made libasound print a page of errors on stderr,
once per zone. The probe reads what Linux reports (/proc/asound/cards) and looks for a sound
server's socket; these tests build those files in a folder standing in for / .
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from display.voice.playback import SilentPlayer, missing_sound_device, open_player

NO_CARDS = "--- no soundcards ---\n"
ONE_CARD = " 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n                      HDA Intel PCH at 0xf7f10000 irq 31\n"


def _machine(root: Path, cards: str | None = None, sockets: tuple[str, ...] = ()) -> tuple[Path, Path]:
    proc, run = root / "proc", root / "run"
    (proc / "asound").mkdir(parents=True)
    run.mkdir()
    if cards is not None:
        (proc / "asound" / "cards").write_text(cards, encoding="utf-8")
    for socket in sockets:
        (root / socket).parent.mkdir(parents=True, exist_ok=True)
        (root / socket).touch()
    return proc, run


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")
@pytest.mark.parametrize(
    ("cards", "sockets", "env", "has_device"),
    [
        (None, (), {}, False),  # no ALSA in the kernel (a container)
        (NO_CARDS, (), {}, False),
        (ONE_CARD, (), {}, True),
        (NO_CARDS, ("run/pulse/native",), {}, True),  # a system-wide PulseAudio
        (NO_CARDS, ("user/pulse/native",), {"XDG_RUNTIME_DIR": "user"}, True),
        (NO_CARDS, ("user/pipewire-0",), {"XDG_RUNTIME_DIR": "user"}, True),
        (NO_CARDS, (), {"XDG_RUNTIME_DIR": "user"}, False),  # a runtime folder but no server in it
        (NO_CARDS, (), {"SDL_AUDIODRIVER": "alsa"}, True),  # the technician's choice: ask the mixer
        (NO_CARDS, (), {"PULSE_SERVER": "tcp:10.0.0.5"}, True),
    ],
)
def test_a_machine_without_card_or_sound_server_has_no_device(tmp_path: Path, cards: str | None,
                                                               sockets: tuple[str, ...], env: dict[str, str],
                                                               has_device: bool) -> None:
    proc, run = _machine(tmp_path, cards, sockets)
    env = {k: str(tmp_path / v) if k == "XDG_RUNTIME_DIR" else v for k, v in env.items()}
    reason = missing_sound_device(proc, run, env)
    assert (reason == "") is has_device
    if not has_device:
        assert str(proc / "asound" / "cards") in reason


def test_on_a_machine_without_sound_the_mixer_is_not_asked(monkeypatch: pytest.MonkeyPatch,
                                                           capfd: pytest.CaptureFixture[str]) -> None:
    """Tried: opening the player here, a machine with no card and no sound server (as CI's).
    Kept: a silent player that says why, and not one line from libasound on stderr."""
    monkeypatch.delenv("SDL_AUDIODRIVER", raising=False)  # the test session sets it to dummy
    if missing_sound_device() == "":
        pytest.skip("this machine may have a sound device")
    player = open_player()
    assert isinstance(player, SilentPlayer) and "no sound card" in player.reason
    out, err = capfd.readouterr()
    assert "ALSA" not in out + err
