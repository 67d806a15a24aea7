"""Bytes per ticket and render time: text + native QR vs raster QR vs one raster image.

Run: .venv/bin/python bench/ticket_print.py [--runs N]

The full-raster ticket draws the same lines with Noto Sans CJK (Pillow) and sends them as one
GS v 0 image, the way many kiosk programs print; it is here only for comparison.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from escpos.printer import Dummy  # noqa: E402
from noto_cjk_sans_otc import FONT_PATH  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from kiosk.session import TICKET_NOTICE  # noqa: E402
from printer_drivers import TicketLayout, TicketPrint, get_profile, render_ticket  # noqa: E402
from printer_drivers.escpos_reader import PrintedLine, read  # noqa: E402
from printer_drivers.render import raster_qr_image  # noqa: E402

TICKET = TicketPrint(
    hall_name="湘中县政务服务中心", zone_name="A区", service_name="社会保障卡办理", number="A1001",
    people_ahead=12, estimated_wait_min=15, issued_at=datetime(2026, 11, 26, 9, 15),
    priority=True, appointment=False, notice=TICKET_NOTICE,
    status_url="https://hall.example.gov.cn/q/20261126/A1001?k=7f3a9c", window_hint="3号、5号窗口",
)


def full_raster_ticket(profile_name: str) -> bytes:
    """The same ticket drawn as one image (24-dot text, number 3x)."""
    profile = get_profile(profile_name)
    layout = TicketLayout(header="欢迎光临", footer="请妥善保管此票", paper_width_mm=80)
    lines = [b for b in read(render_ticket(TICKET, layout, profile)).blocks
             if isinstance(b, PrintedLine)]
    width = profile.dots_per_line
    qr = raster_qr_image(TICKET.status_url, profile.qr_module_dots).convert("L")
    heights = [24 * line.height + 6 for line in lines]
    img = Image.new("L", (width, sum(heights) + qr.height + 20), 255)
    draw = ImageDraw.Draw(img)
    y = 0
    for line, h in zip(lines, heights):
        font = ImageFont.truetype(FONT_PATH, 24 * line.height, index=2)
        draw.text((width // 2, y), line.text, font=font, fill=0, anchor="ma")
        y += h
    img.paste(qr, ((width - qr.width) // 2, y))
    p = Dummy()
    p.profile = profile.escpos()
    p._raw(b"\x1b@")
    p.image(img, impl="bitImageRaster")
    p.print_and_feed(4)
    p._raw(b"\x1dV\x00")
    return p.output


def time_render(profile_name: str, runs: int) -> tuple[int, list[float]]:
    profile = get_profile(profile_name)
    layout = TicketLayout(header="欢迎光临", footer="请妥善保管此票",
                          paper_width_mm=profile.paper_width_mm)  # type: ignore[arg-type]
    samples = []
    size = 0
    for _ in range(runs):
        start = time.perf_counter()
        size = len(render_ticket(TICKET, layout, profile))
        samples.append((time.perf_counter() - start) * 1000)
    return size, samples


def pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    print(f"{'ticket':38} {'bytes':>7} {'p50 ms':>8} {'p99 ms':>8} {'9600 baud s':>12}")
    rows = [("80 mm text + native QR (TM-T88)", "TM-T88"),
            ("80 mm text + native QR (XP-80C)", "XP-80C"),
            ("58 mm text + raster QR (POS-5890)", "POS-5890")]
    for label, name in rows:
        size, samples = time_render(name, args.runs)
        print(f"{label:38} {size:7d} {pct(samples, 50):8.2f} {pct(samples, 99):8.2f} "
              f"{size / 960:12.2f}")
    samples = []
    size = 0
    for _ in range(max(20, args.runs // 10)):
        start = time.perf_counter()
        size = len(full_raster_ticket("XP-80C"))
        samples.append((time.perf_counter() - start) * 1000)
    print(f"{'80 mm full raster image (XP-80C)':38} {size:7d} {pct(samples, 50):8.2f} "
          f"{pct(samples, 99):8.2f} {size / 960:12.2f}")


if __name__ == "__main__":
    main()
