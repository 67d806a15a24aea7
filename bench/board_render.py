"""Per-frame cost of the TV board's ``BoardRenderer.draw``, as the board's 30 fps loop calls it.

Run: .venv/bin/python bench/board_render.py [--seconds 60] [--sizes 1920x1080,1280x720,1080x1920] [--profile]

A zone with twelve queues (long names among them), the last eight calls on screen, the notice
scrolling, and the hall moving as it does on a busy morning: every two seconds a ticket is issued,
every six a window calls the next one (the new call on top, counts and waits changing), now and
then a recall. Time advances 1/30 s a frame, so the clock's second changes every 30th frame, as on
a real board. Prints p50, p95 and the mean per frame for each size; ``--profile`` adds where the
time goes (cProfile, top functions by own time) for the first size. One renderer per size, kept
from frame to frame as ``BoardApp`` keeps its own.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame  # noqa: E402

from display.board.model import BoardModel  # noqa: E402
from display.board.render import BoardRenderer  # noqa: E402
from display.fonts import load_cjk_font  # noqa: E402
from server.hub_client import QueueInfo  # noqa: E402
from tests.board.test_board_model import Events  # noqa: E402

FPS = 30
NOTICE = "请留意屏幕与语音叫号，过号请到窗口咨询；请保管好随身物品，文明有序办事。"
QUEUES = [
    ("A01", "综合受理（一窗通办）"), ("A02", "户籍与身份证业务"), ("A03", "社会救助与民政业务"),
    ("A04", "残疾人证与老年优待证办理"), ("A05", "不动产登记（抵押、查封、异议登记）"), ("A06", "医保社保"),
    ("A07", "公积金提取与贷款"), ("A08", "企业开办（营业执照、刻章、发票申领）"), ("A09", "税务"),
    ("A10", "工程建设项目审批"), ("A11", "交通运输与车辆业务"), ("A12", "咨询与投诉"),
]


def hall_model() -> tuple[BoardModel, Events]:
    model = BoardModel(notice=NOTICE)
    model.load(100, "2026-11-26", [QueueInfo(prefix, name, "A", 5 + i, 1 + i % 3, 10 + i, 30 + i, 4.0)
                                   for i, (prefix, name) in enumerate(QUEUES)])
    ev = Events()
    for n in range(1, 9):
        model.apply(ev.call(f"A01{n:02d}", n))
    return model, ev


def step(model: BoardModel, ev: Events, frame: int) -> None:
    """The hall's events at ``frame``: an issue every 2 s, a call every 6 s, a recall every 20 s."""
    queue = QUEUES[frame // FPS % len(QUEUES)][0]
    if frame % (2 * FPS) == 0:
        model.apply(ev.make("ticket.issued", f"{queue}{frame % 1000:03d}", queue=queue))
    if frame % (6 * FPS) == 3:
        model.apply(ev.call(f"{queue}{frame % 1000:03d}", 1 + frame // FPS % 12))
    if frame % (20 * FPS) == 7 and model.recent:
        called = model.recent[-1]
        model.apply(ev.call(called.number, called.window_number or 1, kind="ticket.recalled", count=2))


def frames(size: tuple[int, int], seconds: int, profile: cProfile.Profile | None) -> list[float]:
    surface = pygame.Surface(size)
    renderer = BoardRenderer(surface, load_cjk_font(48), "A区 综合受理区（一窗通办）")
    model, ev = hall_model()
    start = datetime(2026, 11, 26, 9, 41, 50)
    samples: list[float] = []
    for frame in range(seconds * FPS):
        step(model, ev, frame)
        now = start + timedelta(seconds=frame / FPS)
        online = not (10 * FPS <= frame < 12 * FPS)  # two seconds of lost connection
        if profile is not None:
            profile.enable()
        began = time.perf_counter()
        renderer.draw(model, now, online, elapsed_s=frame / FPS)
        samples.append((time.perf_counter() - began) * 1000)
        if profile is not None:
            profile.disable()
    return samples


def pct(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="simulated seconds of board time per size")
    parser.add_argument("--sizes", default="1920x1080,1280x720,1080x1920")
    parser.add_argument("--profile", action="store_true", help="where the time goes, for the first size")
    args = parser.parse_args()
    pygame.init()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    print(f"{'size':>9} {'frames':>6} {'p50':>8} {'p95':>8} {'mean':>8} {'max':>8}")
    for i, size in enumerate(sizes):
        profile = cProfile.Profile() if args.profile and i == 0 else None
        samples = frames((size[0], size[1]), args.seconds, profile)
        print(f"{size[0]:>4}x{size[1]:<4} {len(samples):>6} {statistics.median(samples):>6.2f}ms "
              f"{pct(samples, 95):>6.2f}ms {statistics.fmean(samples):>6.2f}ms {max(samples):>6.2f}ms")
        if profile is not None:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(12)
            print(out.getvalue())


if __name__ == "__main__":
    main()
