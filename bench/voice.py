"""Voice benchmark: synthesis time (cold and cached) and queue-to-start latency under a burst.

Run: .venv/bin/python bench/voice.py [--calls 60] [--burst 20]
No sound device is used (SDL_AUDIODRIVER=dummy): playback time is a property of the speaker,
not of this code, so the burst measures synthesis + queueing only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from display.voice.announcer import Announcer, Call  # noqa: E402
from display.voice.playback import open_player  # noqa: E402
from display.voice.synth import SynthConfig, Synthesizer  # noqa: E402
from display.voice.text import announcement_text  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{name:<34} n={len(ms):<4} p50={percentile(ms, 50):8.2f} ms  p90={percentile(ms, 90):8.2f} ms"
        f"  p99={percentile(ms, 99):8.2f} ms  max={max(ms):8.2f} ms"
    )


def bench_synthesis(synth: Synthesizer, calls: int) -> None:
    texts = [announcement_text(f"A{n:03d}", n % 40 + 1) for n in range(1, calls + 1)]
    cold, cached = [], []
    for text in texts:
        start = time.perf_counter()
        synth.synthesize(text)
        cold.append(time.perf_counter() - start)
    for text in texts:
        start = time.perf_counter()
        synth.synthesize(text)
        cached.append(time.perf_counter() - start)
    report("synthesize, cold (new text)", cold)
    report("synthesize, cached", cached)
    print(f"{'cold/cached p50 ratio':<34} {statistics.median(cold) / statistics.median(cached):.0f}x")


async def bench_burst(synth: Synthesizer, burst: int, cached: bool) -> None:
    announcer = Announcer("A区", synth, open_player())
    offset = 0 if cached else 500
    calls = [Call(number=f"A{n + offset:03d}", window=n % 40 + 1) for n in range(1, burst + 1)]
    records = await asyncio.gather(*(announcer.enqueue(call) for call in calls))
    await announcer.close()
    waits = [r.started_at - r.queued_at for r in records if r.started_at is not None]
    handling = [r.finished_at - r.started_at for r in records if r.finished_at and r.started_at]
    label = "cached clips" if cached else "new clips"
    report(f"burst {burst}: queue→start ({label})", waits)
    report(f"burst {burst}: start→end ({label})", handling)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--burst", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        synth = Synthesizer(SynthConfig(cache_dir=Path(cache)))
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to …"
                start = time.perf_counter()
                synth.start()
                startup = time.perf_counter() - start
            print(f"espeak-ng {synth.engine_version}, voice {synth.voice_id}, rate {synth.config.rate}")
            print(f"{'engine start-up':<34} {startup * 1000:.1f} ms")
            with contextlib.redirect_stdout(io.StringIO()) as quiet:
                bench_synthesis(synth, args.calls)
                asyncio.run(bench_burst(synth, args.burst, cached=False))
                asyncio.run(bench_burst(synth, args.burst, cached=True))
            print("\n".join(line for line in quiet.getvalue().splitlines() if not line.startswith("Audio saved")))
        finally:
            synth.close()


if __name__ == "__main__":
    main()
