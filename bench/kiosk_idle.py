"""An idle kiosk's CPU time, and a changed frame's cost: this tree's kiosk against an older one's.

Run: .venv/bin/python bench/kiosk_idle.py [--against REV] [--seconds S] [--rounds N] [--frames N]
     [--screens start,closed,print_failed] [--size 1920x1080]

The older ``kiosk/`` and ``display/`` packages are read from git at REV (default 50e4cb3, the last
that drew and flipped every frame) into a temporary folder; each tree runs in a child process of
its own, the same code around it (hub, printer, this bench), the two alternately, ``--rounds``
times each, so that load from other work on a shared machine falls on both alike. A child sets
up the kiosk of bench/kiosk_issue.py (sample hall's hub on loopback, dummy SDL driver) and for
each screen (those of tests/kiosk/test_screens_render.py):

- idle: ``await app.step()`` then ``asyncio.sleep(FRAME_S)``, as ``KioskApp.run`` does, for
  ``--seconds`` of wall time with nobody at the kiosk; the process's CPU time (time.process_time)
  per frame stepped and per second, and the frames stepped per second. On a loaded machine the old
  kiosk steps fewer frames a second than the new one (each takes longer), so its CPU per second
  understates what it takes at 30 frames a second; the CPU per frame does not depend on that. The catalogue re-read every 30 s (a hub
  round trip, the same in both trees) is held off, so that it does not fall in one window only.
- changed frame: ``app.render()`` of the screen just after another one (the 请稍候 loading
  screen) was rendered, so that every timed frame differs from the one before it; p50 of
  ``--frames``.
- same frame: ``app.render()`` of the screen again, nothing changed; p50 of ``--frames``.

Prints a Markdown table with the medians over the rounds: CPU per idle frame and per second, old
and new and old / new; frames stepped per second; the changed frame's p50 old and new and
new / old (recording adds little); the same frame's p50 old and new.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


def child(tree: str | None, names: list[str], seconds: float, frames: int, size: tuple[int, int]) -> dict[str, Any]:
    """Measures of each screen named, with the kiosk of ``tree`` (None: this tree's)."""
    if tree:
        sys.path.insert(0, tree)
    sys.path.insert(1 if tree else 0, str(ROOT))
    import kiosk.app
    from kiosk import flow as f
    from kiosk_issue import loopback_kiosk
    from tests.kiosk.test_screens_render import screens

    where = Path(kiosk.app.__file__).resolve()
    if not where.is_relative_to(Path(tree or ROOT).resolve()):
        raise SystemExit(f"the kiosk was imported from {where}, not from {tree or ROOT}")

    async def run() -> dict[str, Any]:
        measured: dict[str, Any] = {}
        async with loopback_kiosk(size) as (app, _backend, _clock):
            assert app.flow.catalogue is not None
            shown = screens(app.flow.catalogue)
            for name in names:
                app.flow.screen = shown[name]
                app.flow.last_touch = app.clock()  # no idle timeout back to the start screen
                app._last_refresh = app.clock()  # no catalogue re-read in the window
                await app.step()  # the screen's first frame: measured, memo filled
                steps = 0
                began_cpu, began = time.process_time(), time.perf_counter()
                while time.perf_counter() - began < seconds:
                    await app.step()
                    await asyncio.sleep(kiosk.app.FRAME_S)
                    steps += 1
                wall = time.perf_counter() - began
                cpu = time.process_time() - began_cpu
                changed: list[float] = []
                same: list[float] = []
                for _ in range(frames):
                    app.flow.screen = f.Loading()
                    app.render()
                    app.flow.screen = shown[name]
                    for samples in (changed, same):
                        start = time.perf_counter()
                        app.render()
                        samples.append((time.perf_counter() - start) * 1000)
                measured[name] = {"cpu_per_s": cpu / wall, "steps_per_s": steps / wall, "cpu_ms": cpu / steps * 1000,
                                  "changed_ms": statistics.median(changed), "same_ms": statistics.median(same)}
        return measured

    return asyncio.run(run())


def older(rev: str, into: str) -> None:
    """``kiosk/`` and ``display/`` as they are at ``rev``, written below ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "kiosk", "display"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--against", default="50e4cb3", metavar="REV", help="the older kiosk's git revision")
    parser.add_argument("--seconds", type=float, default=10.0, help="idle wall time per screen")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each tree, alternately")
    parser.add_argument("--frames", type=int, default=30, help="frames timed per screen, each way")
    parser.add_argument("--screens", default="start,closed,print_failed")
    parser.add_argument("--size", default="1920x1080", help="screen size, WxH")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = args.screens.split(",")
    w, h = (int(v) for v in args.size.lower().split("x"))
    if args.child:
        print(json.dumps(child(args.tree, names, args.seconds, args.frames, (w, h))))
        return
    results: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        older(args.against, tmp)
        for _ in range(args.rounds):
            for which, tree in (("old", tmp), ("new", None)):
                command = [sys.executable, __file__, "--child", "--screens", args.screens, "--seconds",
                           str(args.seconds), "--frames", str(args.frames), "--size", args.size]
                out = subprocess.run(command + (["--tree", tree] if tree else []), check=True,
                                     capture_output=True, text=True).stdout
                results[which].append(json.loads(out.strip().splitlines()[-1]))

    def median(which: str, name: str, key: str) -> float:
        return statistics.median(run[name][key] for run in results[which])

    print(f"{args.size}, {args.seconds:.0f} s idle per screen, median of {args.rounds} runs each; "
          f"old = {args.against}, new = this tree")
    print("| screen | idle CPU/frame old | new | old / new | idle CPU s/s old | new | old / new | frames/s old | new "
          "| changed frame p50 old | new | new / old | same frame p50 old | new |")
    print("| --- |" + " ---: |" * 14)
    for name in names:
        def pair(key: str) -> tuple[float, float]:
            return median("old", name, key), median("new", name, key)

        (ms_old, ms_new), (cpu_old, cpu_new), (steps_old, steps_new), (changed_old, changed_new), (same_old, same_new) = (
            pair(key) for key in ("cpu_ms", "cpu_per_s", "steps_per_s", "changed_ms", "same_ms"))
        print(f"| {name} | {ms_old:.1f} ms | {ms_new:.1f} ms | {ms_old / ms_new:.1f}x "
              f"| {cpu_old:.3f} | {cpu_new:.3f} | {cpu_old / cpu_new:.1f}x | {steps_old:.1f} | {steps_new:.1f} "
              f"| {changed_old:.1f} ms | {changed_new:.1f} ms | {changed_new / changed_old:.2f} "
              f"| {same_old:.1f} ms | {same_new:.2f} ms |")

if __name__ == "__main__":
    main()
