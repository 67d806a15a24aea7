"""Per-frame render time of each kiosk screen: computed anew every frame vs kept in the app's memo.

Run: .venv/bin/python bench/kiosk_render.py [--frames N] [--sizes 1024x768,1920x1080]

The kiosk records 30 frames a second and draws those that changed. "anew" draws each frame with
a painter of its own, which measures, wraps, lays out and fits the QR code again, as every frame
did before the app kept a memo (display.memo.Memo); "memo" is a frame the app records with its memo and draws, as
``KioskApp.render()`` does for a frame that differs from the one on screen (one that does not is
not drawn at all: bench/kiosk_idle.py).
The two are timed alternately, frame by frame, so that load from other work on a shared machine
falls on both alike. Screens: those of tests/kiosk/test_screens_render.py, the catalogue of the
sample hall read from a hub on loopback. Prints p50 and p90 per screen, size and text mode, the
ratio of the p50s (anew / memo), and per size and text mode the 号票未能打印 screen's p50 against
the 请取走您的票 screen's (print_failed / ticket), each way.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame  # noqa: E402

from kiosk import screens as kiosk_screens  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from kiosk.widgets import Painter  # noqa: E402
from kiosk_issue import loopback_kiosk  # noqa: E402
from tests.kiosk.test_screens_render import screens  # noqa: E402


def frame_anew(app: KioskApp) -> None:
    kiosk_screens.draw(Painter(app.surface, app.font, app.flow.large_text), app.flow)


def frame_memo(app: KioskApp) -> None:
    app.record().paint()


def pct(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


async def run(frames: int, sizes: list[tuple[int, int]]) -> None:
    async with loopback_kiosk() as (app, _backend, _clock):
        assert app.flow.catalogue is not None
        shown = screens(app.flow.catalogue)
        print(f"{'size':>9} {'text':>6} {'screen':<26} {'anew p50':>9} {'p90':>7} {'memo p50':>9} {'p90':>7} {'ratio':>6}")
        ratios: list[float] = []
        medians: dict[tuple[tuple[int, int], bool, str], tuple[float, float]] = {}
        for size in sizes:
            app.surface = pygame.display.set_mode(size)
            for large in (False, True):
                app.flow.large_text = large
                for name, screen in shown.items():
                    app.flow.screen = screen
                    app.render()  # the first frame of a screen computes what later frames reuse
                    anew: list[float] = []
                    memo: list[float] = []
                    for _ in range(frames):
                        for draw, samples in ((lambda: frame_anew(app), anew), (lambda: frame_memo(app), memo)):
                            start = time.perf_counter()
                            draw()
                            samples.append((time.perf_counter() - start) * 1000)
                    medians[size, large, name] = statistics.median(anew), statistics.median(memo)
                    ratio = statistics.median(anew) / statistics.median(memo)
                    ratios.append(ratio)
                    print(f"{size[0]:>4}x{size[1]:<4} {'large' if large else 'normal':>6} {name:<26} "
                          f"{statistics.median(anew):>7.1f}ms {pct(anew, 90):>5.1f}ms "
                          f"{statistics.median(memo):>7.1f}ms {pct(memo, 90):>5.1f}ms {ratio:>5.1f}x")
        for size in sizes:
            for large in (False, True):
                (failed_anew, failed_memo), (ticket_anew, ticket_memo) = (
                    medians[size, large, name] for name in ("print_failed", "ticket"))
                print(f"{size[0]}x{size[1]} {'large' if large else 'normal'}: print_failed / ticket p50 "
                      f"anew {failed_anew / ticket_anew:.1f}x, memo {failed_memo / ticket_memo:.1f}x")
        geometric = math.exp(statistics.fmean(math.log(r) for r in ratios))
        print(f"all screens: anew / memo p50 ratio, geometric mean {geometric:.1f}x, "
              f"range {min(ratios):.1f}x-{max(ratios):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=40, help="frames timed per screen, each way")
    parser.add_argument("--sizes", default="1024x768,1920x1080", help="screen sizes, WxH, comma-separated")
    args = parser.parse_args()
    sizes = [(int(w), int(h)) for w, h in (s.lower().split("x") for s in args.sizes.split(","))]
    asyncio.run(run(args.frames, sizes))


if __name__ == "__main__":
    main()
