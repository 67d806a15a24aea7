"""Breaking a long Chinese text into lines: this tree's ``break_lines`` against an older one's.

Run: .venv/bin/python bench/linebreak.py [--against REV] [--runs N]

The older ``printer_drivers/linebreak.py`` is read from git at REV (default 3ea83b3, the last with
the search that tried every break point from the end of the text) and loaded beside this tree's,
so both break the same texts with the same measure in the same process. Texts: the kiosk's
ID-card notice and the green-channel notice repeated to 200, 1,000 and 4,000 characters (the
screen font only to 500: the old search takes minutes at 1,000).
Measures: a ticket's 48 columns (``text_columns``) and the kiosk's screen font (pygame freetype,
40 px in 1,000 px). Prints the median seconds of ``--runs`` runs for each, and old / new; the
lines must be the same or the run stops.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from display.fonts import load_cjk_font  # noqa: E402
from printer_drivers import linebreak  # noqa: E402
from printer_drivers.gbtext import text_columns  # noqa: E402

SENTENCES = ("按大厅规定，办理该业务须本人身份证取号：请将身份证放在取号机的读卡区，读取后自动出票。"
             "身份证号码仅用于每人每日取号次数限制，不会显示或打印完整号码。"
             "老年人、残疾人、孕妇、军人等可优先办理。请选择类别，并向窗口工作人员出示相关证件。")
Breaker = Callable[[str, Callable[[str], bool]], list[str]]


def older(rev: str) -> Breaker:
    """``break_lines`` of ``printer_drivers/linebreak.py`` as it is at ``rev``."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:printer_drivers/linebreak.py"],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType(f"linebreak_{rev}")
    exec(compile(source, f"{rev}:printer_drivers/linebreak.py", "exec"), module.__dict__)
    breaker: Breaker = module.break_lines
    return breaker


def screen_font() -> Callable[[str], bool]:
    """The kiosk's measure, with a font of its own: sharing one font object, the search run second
    took 2.5 s on 500 characters against 0.07-0.09 s with a fresh font (after the old search's
    thousands of long strings; freetype's caches, presumably, not pinned down)."""
    font = load_cjk_font(40)  # starts pygame's freetype alone: no display, no sound
    return lambda line: font.get_rect(line, size=40).width <= 1000


def timed(breaker: Breaker, text: str, fits: Callable[[str], bool], runs: int) -> tuple[float, list[str]]:
    """The median seconds of ``runs`` breakings, and the lines."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        lines = breaker(text, fits)
        times.append(time.perf_counter() - began)
    return statistics.median(times), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="3ea83b3", metavar="REV", help="the older linebreak.py's git revision")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    old = older(args.against)
    measures: dict[str, tuple[Callable[[], Callable[[str], bool]], tuple[int, ...]]] = {
        "ticket, 48 columns": (lambda: lambda line: text_columns(line) <= 48, (200, 1000, 4000)),
        "screen font, 1000 px": (screen_font, (200, 500)),
    }
    print(f"| measure | characters | lines | {args.against} (s) | this tree (s) | old / new |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (measure, lengths) in measures.items():
        for length in lengths:
            text = (SENTENCES * (length // len(SENTENCES) + 1))[:length]
            old_s, old_lines = timed(old, text, measure(), args.runs)
            new_s, new_lines = timed(linebreak.break_lines, text, measure(), args.runs)
            if new_lines != old_lines:
                raise SystemExit(f"{name}, {length} characters: the lines differ")
            print(f"| {name} | {length} | {len(new_lines)} | {old_s:.4f} | {new_s:.5f} | {old_s / new_s:.0f} |")


if __name__ == "__main__":
    main()
