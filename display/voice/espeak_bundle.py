"""Make pyttsx3's espeak driver use the libespeak-ng 1.52 bundled by the ``espeakng-loader`` wheel.

Why this is needed: ``pyttsx3/drivers/_espeak.py`` loads ``libespeak-ng.so.1`` by bare name, so
without a system espeak-ng package its import fails ("you probably do not have eSpeak or
eSpeak-ng installed"). The wheel's library has the SONAME ``libespeak-ng.so.1``; once it is
loaded into the process, the dynamic linker answers pyttsx3's ``dlopen("libespeak-ng.so.1")``
with that same, already loaded, library. So the whole fix is: load the wheel's library by full
path (``RTLD_GLOBAL``, as its docs ask) and point ``ESPEAK_DATA_PATH`` at the wheel's data, both
before ``pyttsx3.drivers._espeak`` is first imported. No file of pyttsx3 is patched.

The bundled 1.52 ``cmn`` voice reads Chinese with correct tones (Debian's 1.51 needs
``cmn-latn-pinyin``); ``cmn`` also reads Latin letters as English letter names, which is how a
ticket prefix like "A" is said in a hall.
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence


class SynthesisError(RuntimeError):
    """Speech could not be synthesized (engine unavailable, bad voice, no audio produced)."""


class VoiceNotFound(SynthesisError):
    """Neither the configured voice nor any fallback exists in the bundled espeak-ng."""


@dataclass(frozen=True)
class EspeakBundle:
    library_path: Path
    data_path: Path
    version: str
    library: ctypes.CDLL = field(repr=False, compare=False)


def load_bundled_espeak() -> EspeakBundle:
    """Load the wheel's libespeak-ng and set ``ESPEAK_DATA_PATH``; safe to call more than once."""
    try:
        import espeakng_loader
    except ImportError as exc:
        raise SynthesisError("espeakng-loader is not installed: pip install espeakng-loader") from exc
    library_path = Path(espeakng_loader.get_library_path())
    try:
        data_path = Path(espeakng_loader.get_data_path())
        library = ctypes.CDLL(str(library_path), mode=ctypes.RTLD_GLOBAL)
    except (OSError, RuntimeError) as exc:
        raise SynthesisError(f"cannot load bundled espeak-ng from {library_path}: {exc}") from exc
    os.environ["ESPEAK_DATA_PATH"] = str(data_path)

    driver = sys.modules.get("pyttsx3.drivers._espeak")
    if driver is not None and getattr(driver, "dll", None) is not None:
        if driver.dll._handle != library._handle:
            raise SynthesisError(
                "pyttsx3 already loaded another libespeak-ng (a system package?) before the bundled "
                "one; call load_bundled_espeak() before anything imports pyttsx3's espeak driver"
            )
    library.espeak_Info.restype = ctypes.c_char_p
    library.espeak_Info.argtypes = [ctypes.c_void_p]
    version = (library.espeak_Info(None) or b"unknown").decode("ascii", "replace")
    return EspeakBundle(library_path=library_path, data_path=data_path, version=version, library=library)


def _voice_names(voice: Any) -> set[str]:
    """Every name a pyttsx3 Voice answers to: 'sit/cmn', 'cmn', and its language codes."""
    identifier = str(voice.id).lower()
    names = {identifier, identifier.rsplit("/", 1)[-1]}
    names.update(str(lang).lower() for lang in (voice.languages or []))
    return names


def resolve_voice(available: Sequence[Any], wanted: str, fallbacks: Iterable[str] = ()) -> str:
    """The id of the first of ``wanted`` and ``fallbacks`` that the engine offers."""
    candidates = [wanted, *fallbacks]
    for name in candidates:
        for voice in available:
            if name.lower() in _voice_names(voice):
                return str(voice.id)
    raise VoiceNotFound(
        f"no espeak-ng voice named {candidates}; Chinese voices available: {chinese_voices(available) or 'none'}"
    )


def chinese_voices(available: Sequence[Any]) -> list[str]:
    """Ids of the Mandarin and Cantonese voices among ``available``: what a technician who
    mistyped a voice name should pick from."""
    return sorted(str(v.id) for v in available if {"cmn", "yue", "zh"} & {n.split("-")[0] for n in _voice_names(v)})
