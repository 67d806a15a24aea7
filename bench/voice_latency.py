"""Call-to-voice-start latency on the hub: from just before POST call-next to the first sound.

    .venv/bin/python bench/voice_latency.py [--calls 100]

The hub runs in this process (bench/board_fanout.py's loopback hub, 60 staffed windows, the
voice extension speaking every zone on the hub with the chime). The speaker is a timing player
that notes when each clip would start playing and returns at once (this machine has no sound
device), so the figure is event bus + announcer queue + synthesis (or cache) up to the start of
the chime. Measured per call with the zone's announcer idle, twice: a first call (new words,
synthesized: "cold") and a recall of it (same words, from the clip cache: "cached").
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from board_fanout import bench_hub, summary  # noqa: E402

from server.voice.service import VOICE, voice_extension  # noqa: E402


class TimingPlayer:
    """A Player that records when each clip starts (monotonic) instead of playing it."""

    has_device = False
    reason = "benchmark: timing only"

    def __init__(self, starts: list[tuple[float, Path]], lock: threading.Lock) -> None:
        self._starts, self._lock = starts, lock

    def play(self, path: Path) -> None:
        with self._lock:
            self._starts.append((time.monotonic(), path))

    def close(self) -> None:
        return None


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    starts: list[tuple[float, Path]] = []
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="hallq-voice-") as clips:
        extension = voice_extension(player_factory=lambda: TimingPlayer(starts, lock), cache_dir=Path(clips))
        async with bench_hub([extension]) as hub:
            service = hub.app[VOICE]
            zone_of = {w.id: w.zone for w in service.hall.windows}
            cold: list[float] = []
            cached: list[float] = []
            for index in range(args.calls):
                window = hub.windows[index % len(hub.windows)]
                announcer = service.announcers[zone_of[window]]
                await hub.waiting_ticket(window)
                await hub.finish(window)
                for kind, sink in (("call", cold), ("recall", cached)):
                    await announcer.drain()
                    before = len(starts)
                    t0 = time.monotonic()
                    if kind == "call":
                        await hub.call(window)
                    else:
                        await hub.post(f"/windows/{window}/recall", hub.staff[window])
                    await announcer.drain()
                    with lock:
                        sink.append(starts[before][0] - t0)
            synth = service.synthesizer.stats
            print(f"{args.calls} calls over 60 windows, {len(service.announcers)} zones spoken on the hub, "
                  f"synthesized {synth.synthesized}, cache hits {synth.hits}")
            print(summary("call -> voice start (new words, synthesized)", cold))
            print(summary("recall -> voice start (cached clip)", cached))


if __name__ == "__main__":
    asyncio.run(main())
