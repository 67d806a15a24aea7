"""Byte-exact golden tickets: any change to the bytes a printer receives shows up in review.

Regenerate after an intended change with ``HALLQ_REGEN_GOLDEN=1 .venv/bin/python -m pytest
tests/printer/test_golden.py`` and review the ``.txt`` dumps in the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from printer_drivers import builtin_profiles, get_profile, render_ticket
from printer_drivers.escpos_reader import PrintedLine, QrCode, RasterImage, read
from tests.printer.samples import sample_layout, sample_ticket

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("HALLQ_REGEN_GOLDEN") == "1"


def describe(data: bytes) -> str:
    """A human-readable dump of a ticket, stored next to the bytes for reviewers."""
    out = [f"{len(data)} bytes"]
    for block in read(data).blocks:
        if isinstance(block, PrintedLine):
            out.append(f"[{block.align:6} {block.width}x{block.height}{' B' if block.bold else '  '}]"
                       f" {block.text}")
        elif isinstance(block, QrCode):
            out.append(f"[QR module={block.module_size} ec={block.error_correction}] "
                       f"{block.payload}")
        elif isinstance(block, RasterImage):
            out.append(f"[raster {block.width}x{block.height} dots]")
        else:
            out.append(f"[{block!r}]")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("name", sorted(builtin_profiles()))
def test_ticket_bytes_match_golden(name: str) -> None:
    profile = get_profile(name)
    data = render_ticket(sample_ticket(), sample_layout(profile.paper_width_mm), profile)
    bin_path, txt_path = GOLDEN / f"{name}.bin", GOLDEN / f"{name}.txt"
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        bin_path.write_bytes(data)
        txt_path.write_text(describe(data), encoding="utf-8")
    assert bin_path.exists(), f"no golden file {bin_path}; run with HALLQ_REGEN_GOLDEN=1"
    assert describe(data) == txt_path.read_text(encoding="utf-8")
    assert data == bin_path.read_bytes()
