"""Hub memory per open event stream: the citizens' status pages and the boards.

    .venv/bin/python bench/stream_memory.py [--streams 400] [--compress 15]

A real `hallq serve` (an always-open copy of the sample hall, SQLite in a temporary folder) in
its own process. A kiosk device issues --streams tickets; each ticket's status page stream is
opened (`/api/v1/events?ticket=…`, as a citizen's phone does) with the permessage-deflate offer
a browser sends (--compress 15; 0 offers none). The hub's resident memory (VmRSS from /proc) is
read before, with every stream open (each has had its hello) and after they close, --rounds
times: the growth per open stream, and whether closed streams give their memory back to the
next round (a leak grows round by round). One hall: a few thousand tickets a day, hundreds of phones following
theirs at the morning peak, so what each stream costs decides the hub's memory.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hub_process import HubProcess  # noqa: E402


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def settle(pid: int) -> int:
    """RSS once it stops moving (the hub finishes its answers and frees their buffers)."""
    last = rss_kb(pid)
    for _ in range(20):
        await asyncio.sleep(0.25)
        now = rss_kb(pid)
        if abs(now - last) < 64:
            return now
        last = now
    return last


async def run(streams: int, compress: int, rounds_of_streams: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        hub = HubProcess(Path(folder))
        kiosk = hub.cli("device", "add", "kiosk-1", "--role", "kiosk")
        await hub.start()
        assert hub.process is not None
        pid = hub.process.pid
        try:
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {kiosk}"}) as session:
                tokens = []
                for n in range(streams):
                    async with session.post(f"{hub.url}/api/v1/tickets", json={"queue": ("A1", "B1", "C1", "D1")[n % 4]}) as r:
                        tokens.append((await r.json())["ticket"]["status_token"])
                before = await settle(pid)
                rounds = []
                for _ in range(rounds_of_streams):
                    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as phones:  # one per phone
                        sockets = [await phones.ws_connect(f"{hub.url}/api/v1/events?ticket={t}", compress=compress)
                                   for t in tokens]
                        for ws in sockets:
                            assert (await ws.receive_json(timeout=10))["type"] == "hello"
                        opened = await settle(pid)
                        for ws in sockets:
                            await ws.close()
                    rounds.append((opened, await settle(pid)))
        finally:
            hub.stop()
    per = (rounds[0][0] - before) / streams
    print(f"streams={streams} compress={compress}: RSS before {before / 1024:.1f} MB; {per:.0f} KB per open stream")
    for n, (opened, closed) in enumerate(rounds, 1):
        print(f"  round {n}: {opened / 1024:.1f} MB with the streams open, {closed / 1024:.1f} MB after closing them")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=400)
    parser.add_argument("--compress", type=int, default=15, help="permessage-deflate window bits offered (0: none)")
    parser.add_argument("--rounds", type=int, default=3, help="open and close every stream this many times (a leak grows)")
    args = parser.parse_args()
    asyncio.run(run(args.streams, args.compress, args.rounds))


if __name__ == "__main__":
    main()
