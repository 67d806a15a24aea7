"""The CJK font every Chinese screen uses, and a check that Chinese really renders.

Kiosks and TV boards draw Simplified Chinese with pygame. Without a CJK font pygame silently
draws ``.notdef`` boxes, which a screenshot test would not notice; so the loader is paired with
:func:`verify_renders_chinese`, which compares each glyph against the font's own ``.notdef``.

The font comes from the PyPI package ``noto-cjk-sans-otc`` (a TrueType collection). Its face
index 2 is Simplified Chinese ("Noto Sans CJK SC"); ``pygame.font.Font`` cannot select a face
and would get the Japanese one, hence ``pygame.freetype``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygame.freetype

SIMPLIFIED_CHINESE_FACE_INDEX = 2
"""Face of the Noto Sans CJK collection that holds Simplified Chinese glyph shapes."""

EXPECTED_FAMILY = "Noto Sans CJK SC"

# A code point no font defines (last private-use code point of plane 16): renders as .notdef.
_NOTDEF_PROBE = "\U0010fffd"


class FontNotAvailable(RuntimeError):
    """The CJK font package is missing or its file cannot be opened."""


class GlyphsMissing(ValueError):
    """Some characters of a text would render as ``.notdef`` boxes."""

    def __init__(self, missing: str, font_name: str) -> None:
        self.missing = missing
        self.font_name = font_name
        super().__init__(
            f"font {font_name!r} has no glyph for {missing!r}: these characters would show as boxes"
        )


@dataclass(frozen=True)
class GlyphCheck:
    """What :func:`verify_renders_chinese` looked at, so tests can show their evidence."""

    font_name: str
    checked: str
    notdef_size: tuple[int, int]


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK collection installed with the ``noto-cjk-sans-otc`` package."""
    try:
        import noto_cjk_sans_otc
    except ImportError as exc:
        raise FontNotAvailable(
            "the CJK font package is not installed: pip install noto-cjk-sans-otc==0.0.1"
        ) from exc
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    if not path.is_file():
        raise FontNotAvailable(f"noto-cjk-sans-otc is installed but its font file is missing: {path}")
    return path


def load_cjk_font(size: int, path: Path | None = None) -> pygame.freetype.Font:
    """Open the Simplified Chinese face at ``size`` pixels.

    ``path`` overrides the packaged collection (a hall may ship its own font); it must still be a
    collection with Simplified Chinese at face index 2.
    """
    if size <= 0:
        raise ValueError(f"font size must be positive, got {size}")
    font_path = path if path is not None else cjk_font_path()
    if not pygame.freetype.get_init():
        pygame.freetype.init()
    try:
        return pygame.freetype.Font(str(font_path), size, font_index=SIMPLIFIED_CHINESE_FACE_INDEX)
    except (OSError, pygame.error) as exc:
        raise FontNotAvailable(f"cannot open face {SIMPLIFIED_CHINESE_FACE_INDEX} of {font_path}: {exc}") from exc


def verify_renders_chinese(font: pygame.freetype.Font, text: str) -> GlyphCheck:
    """Prove every visible character of ``text`` has a real glyph in ``font``.

    A character passes when FreeType reports metrics for it (it is in the font's character map)
    and its rendered bitmap differs from the ``.notdef`` box. Raises :class:`GlyphsMissing`
    listing the characters that fail.
    """
    notdef_bitmap, notdef_size = font.render_raw(_NOTDEF_PROBE)
    distinct = "".join(dict.fromkeys(ch for ch in text if not ch.isspace()))
    if not distinct:
        raise ValueError("nothing to verify: the text has no visible characters")
    metrics = font.get_metrics(distinct)
    missing = []
    for ch, metric in zip(distinct, metrics):
        bitmap, size = font.render_raw(ch)
        if metric is None or (bitmap == notdef_bitmap and size == notdef_size):
            missing.append(ch)
    if missing:
        raise GlyphsMissing("".join(missing), font.name)
    return GlyphCheck(font_name=font.name, checked=distinct, notdef_size=notdef_size)
