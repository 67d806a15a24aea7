"""The CJK font loader really renders Simplified Chinese (no .notdef boxes)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame  # noqa: E402
import pygame.freetype  # noqa: E402

from display.fonts import (  # noqa: E402
    EXPECTED_FAMILY,
    FontNotAvailable,
    GlyphsMissing,
    cjk_font_path,
    load_cjk_font,
    verify_renders_chinese,
)

CALL_TEXT = "请A001号到3号窗口办理"


def _ink_pixels(surface: pygame.Surface) -> int:
    """Count pixels that differ from the white background."""
    width, height = surface.get_size()
    return sum(
        1 for x in range(width) for y in range(height) if surface.get_at((x, y))[:3] != (255, 255, 255)
    )


def test_loads_the_simplified_chinese_face() -> None:
    font = load_cjk_font(32)
    assert font.name == EXPECTED_FAMILY
    assert cjk_font_path().suffix == ".ttc"


def test_call_text_renders_real_glyphs_and_saves_png(tmp_path: Path) -> None:
    font = load_cjk_font(48)
    check = verify_renders_chinese(font, CALL_TEXT)
    assert check.checked == "请A01号到3窗口办理"  # distinct visible characters, in order

    surface = pygame.Surface((700, 80))
    surface.fill((255, 255, 255))
    font.render_to(surface, (10, 10), CALL_TEXT, fgcolor=(0, 0, 0))
    png = tmp_path / "call.png"
    pygame.image.save(surface, str(png))
    reloaded = pygame.image.load(str(png))
    assert reloaded.get_size() == (700, 80)
    ink = _ink_pixels(reloaded)
    assert ink > 1000, "text should leave visible ink on the image"

    # The same number of .notdef boxes draws a different picture: glyphs are real shapes.
    boxes = pygame.Surface((700, 80))
    boxes.fill((255, 255, 255))
    font.render_to(boxes, (10, 10), "\ue000" * len(CALL_TEXT), fgcolor=(0, 0, 0))
    assert pygame.image.tobytes(boxes, "RGB") != pygame.image.tobytes(reloaded, "RGB")


def test_distinct_chinese_characters_have_distinct_bitmaps() -> None:
    font = load_cjk_font(24)
    bitmaps = {font.render_raw(ch)[0] for ch in "请到号窗口办理"}
    assert len(bitmaps) == 7


def test_missing_glyph_is_named() -> None:
    """Tried: a private-use character among real ones. Kept: the error names exactly that one."""
    font = load_cjk_font(24)
    with pytest.raises(GlyphsMissing) as info:
        verify_renders_chinese(font, "请\ue000到")
    assert info.value.missing == "\ue000"
    assert EXPECTED_FAMILY in str(info.value)


def test_blank_text_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to verify"):
        verify_renders_chinese(load_cjk_font(24), "  \n")


def test_missing_font_package_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tried: the font package is not importable. Kept: an error telling how to install it."""
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)
    with pytest.raises(FontNotAvailable, match="pip install noto-cjk-sans-otc"):
        load_cjk_font(24)


def test_unreadable_font_file_is_a_clear_error(tmp_path: Path) -> None:
    """Tried: a file that is not a font. Kept: an error naming the path."""
    bogus = tmp_path / "not-a-font.ttc"
    bogus.write_bytes(b"definitely not a font")
    with pytest.raises(FontNotAvailable, match="not-a-font.ttc"):
        load_cjk_font(24, path=bogus)


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        load_cjk_font(0)
