"""Hub API throughput and latency: tickets issued per second and call-next latency over HTTP.

Runs a real `hallq serve` process on loopback (an always-open copy of the sample hall), with an
empty database and again with N historical tickets. Issuing is driven by wrk (Debian's `wrk`
package: `apt-get install wrk`), a C load generator, with 1 and 8 connections, so the figure is the
hub's and not a Python client's (an aiohttp client loop tops out near 1,600 requests/s here even
against the health check). Call-next latency is timed from a minimal keep-alive HTTP client on raw
asyncio streams, one call at a time, each followed by a finish: first right after the issuing runs,
while the hub still turns their tens of thousands of events into statistics (a burst no hall makes),
then again once the hub has settled (its CPU quiet for longer than the statistics' settle time,
after the tickets the calls take were issued), the state a window meets on an ordinary day.

    .venv/bin/python bench/hub_api.py                       # SQLite, empty and 1,000,000 history
    .venv/bin/python bench/hub_api.py --history 200000 --db postgresql://postgres@127.0.0.1/hallq_bench
    .venv/bin/python bench/hub_api.py --against c3032c2 --pairs 8   # this tree against a commit

`--against REV` compares two versions of the code on this machine, which is noisy (the bare
aiohttp floor moved by half within an hour here): a fresh hub of the commit and one of this tree,
one after the other, `--pairs` times, each issuing from 1 and 8 connections and timing settled
call-next on an empty database; it prints every pair and the median of the paired ratios, the
figure to quote, as a difference smaller than the spread of the ratios is not one. Run it once
`--against HEAD` (the same code twice) to see the spread: here 0.91-1.13 for one connection,
0.81-1.25 for eight, 0.58-1.45 for call-next over six pairs.

Prints one line per measurement; docs/benchmarks.md keeps the figures.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.config.variants import write_always_open_copy  # noqa: E402
from server.storage.db import open_database  # noqa: E402
from server.storage.schema import ticket_events, ticket_intervals, tickets  # noqa: E402

HALLQ = str(Path(sys.executable).with_name("hallq"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(*args: str, env: dict[str, str]) -> str:
    return subprocess.run([HALLQ, *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


async def fill_history(url: str, count: int, seed: int = 7) -> None:
    """Bulk-write `count` finished tickets (with events and intervals) on the days before today."""
    rng = random.Random(seed)
    database = open_database(url)
    per_day = 2400
    days = max(1, count // per_day + (1 if count % per_day else 0))
    queues = [f"A{i}" for i in range(1, 8)] + ["C1", "D1", "D2", "E1", "F1"]
    next_id = int(await database.read(lambda conn: conn.execute(text("SELECT COALESCE(MAX(id), 0) + 1 FROM tickets")).scalar()))
    written = 0
    for d in range(days, 0, -1):
        day = date.today() - timedelta(days=d)
        base = time.mktime(day.timetuple()) + 8.5 * 3600
        t_rows, e_rows, i_rows = [], [], []
        n = min(per_day, count - written)
        for k in range(n):
            queue = queues[k % len(queues)]
            issued = base + k * 10.0
            called = issued + rng.uniform(60, 1500)
            served = called + 30
            finished = served + rng.uniform(180, 1200)
            tid = next_id
            next_id += 1
            t_rows.append({
                "id": tid, "hall_day": day, "prefix": queue, "seq": k + 1, "number": f"{queue}{k + 1:03d}",
                "queue": queue, "zone": queue[0], "item_code": None, "status": "finished", "priority": 0,
                "priority_class": None, "appointment_code": None, "issued_at": issued, "queued_at": issued,
                "sort_key": issued, "leg": 1, "target_window": None, "window_id": "W01", "staff_id": "s",
                "called_at": called, "call_count": 1, "served_at": served, "finished_at": finished,
                "outcome": "completed", "rating": 5, "person_key": None, "person_masked": None,
                "idempotency_key": None, "device": "bench", "printed": True, "auto_closed": False,
                "status_token": secrets.token_urlsafe(12),
            })
            for at, kind in ((issued, "ticket.issued"), (called, "ticket.called"), (served, "ticket.serving"), (finished, "ticket.finished")):
                e_rows.append({"at": at, "hall_day": day, "kind": kind, "ticket_id": tid, "number": f"{queue}{k + 1:03d}",
                               "zone": queue[0], "queue": queue, "window_id": "W01", "staff_id": "s", "payload": {}})
            for state, start, end, why in (("waiting", issued, called, "called"), ("called", called, served, "arrived"), ("serving", served, finished, "served")):
                i_rows.append({"ticket_id": tid, "hall_day": day, "leg": 1, "state": state, "queue": queue, "window_id": "W01",
                               "staff_id": "s", "start_at": start, "end_at": end, "outcome": why})
        def write(conn, t_rows=t_rows, e_rows=e_rows, i_rows=i_rows):  # type: ignore[no-untyped-def]
            conn.execute(insert(tickets), t_rows)
            conn.execute(insert(ticket_events), e_rows)
            conn.execute(insert(ticket_intervals), i_rows)

        await database.write(write)
        written += n
        if written >= count:
            break

    def settled(conn):  # type: ignore[no-untyped-def]
        # Synthetic history carries no statistics: mark it processed, or the hub's fact builder
        # would spend the measurement catching up on millions of events.
        last = conn.execute(text("SELECT MAX(seq) FROM ticket_events")).scalar()
        if conn.dialect.name == "postgresql":  # explicit ids do not move PostgreSQL's sequence
            conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT MAX(id) FROM tickets))"))
        for name in ("intervals", "facts", "window_days"):
            conn.execute(text("DELETE FROM stat_watermarks WHERE name = :n"), {"n": name})
            conn.execute(text("INSERT INTO stat_watermarks (name, last_seq) VALUES (:n, :s)"), {"n": name, "s": last})

    await database.write(settled)
    await database.close()


class Hub:
    """A `hallq serve` process and its data; `code`: another checkout of HallQ to run instead of
    this tree (put first on its PYTHONPATH)."""

    def __init__(self, workdir: Path, db_url: str | None, code: Path | None = None):
        self.workdir = workdir
        # Each tree with its own sample hall: an older tree refuses keys added to config/ since.
        self.config = write_always_open_copy((code or ROOT) / "config", workdir / "config")
        # The API's own cost, as the reference queue manager has no voice: zone voice is measured
        # by bench/voice_latency.py.
        (self.config / "voice.toml").write_text('[defaults]\nwhere = "off"\n', encoding="utf-8")
        self.data = workdir / "data"
        self.port = free_port()
        self.env = dict(os.environ, HALLQ_PASSWORD="bench-pass")
        if code is not None:
            self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))
        self.common = ["--config", str(self.config), "--data", str(self.data)] + (["--db", db_url] if db_url else [])
        self.process: subprocess.Popen[bytes] | None = None

    def prepare(self) -> tuple[str, str]:
        run_cli("db", "upgrade", *self.common, env=self.env)
        kiosk = run_cli("device", "add", "bench-kiosk", "--role", "kiosk", *self.common, env=self.env)
        run_cli("user", "add", "bench-staff", "--role", "staff", *self.common, env=self.env)
        return kiosk, "bench-pass"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [HALLQ, "serve", *self.common, "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self) -> None:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"{self.url}/api/v1/health") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("hub did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_settled(pid: int, quiet_s: float = 3.0, busy_share: float = 0.05, limit_s: float = 300.0) -> float:
    """Wait until the process has used less than `busy_share` of a core over `quiet_s` seconds
    (longer than FactBuilder's 2 s settle, so a pending statistics catch-up shows); returns how
    long that took."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        before = cpu_seconds(pid)
        await asyncio.sleep(quiet_s)
        if cpu_seconds(pid) - before < busy_share * quiet_s:
            return time.perf_counter() - start
    raise RuntimeError(f"hub still busy after {limit_s:.0f} s")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


ISSUE_QUEUES = ["A1", "A2", "A3", "B1", "B2", "B3", "D2", "F1", "G1", "G2", "H1", "J1", "K1"]  # no daily caps

# Tickets spread over a dozen queues, as a hall's kiosks spread them (one queue thousands deep
# would measure the people-ahead count, not issuing); a fresh idempotency key on every request.
WRK_SCRIPT = """
local queues = {%(queues)s}
local counter, thread_id = 0, 0
local threads = {}
failures = 0  -- global: done() reads it from each thread
function setup(thread) thread_id = thread_id + 1; thread:set("id", thread_id); table.insert(threads, thread) end
function request()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s",
                   ["Idempotency-Key"] = "%(run)s-" .. id .. "-" .. counter}
  return wrk.format("POST", "/api/v1/tickets", headers, '{"queue":"' .. queues[(counter %% #queues) + 1] .. '"}')
end
function response(status, headers, body) if status ~= 201 then failures = failures + 1 end end
function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("failures") end
  io.write(string.format("hallq-bench requests=%%d failed=%%d\\n", summary.requests, failed))
end
"""


def issue_rate(hub: Hub, token: str, connections: int, seconds: int) -> float:
    """Tickets per second from wrk with `connections` keep-alive connections; every reply must
    be 201 Created (a refusal or an error would make the rate meaningless)."""
    script = hub.workdir / f"issue-{connections}.lua"
    queues = ", ".join(f'"{q}"' for q in ISSUE_QUEUES)
    script.write_text(WRK_SCRIPT % {"queues": queues, "token": token, "run": time.time_ns()}, encoding="utf-8")
    run = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), hub.url], capture_output=True, text=True
    )
    if run.returncode != 0 or "hallq-bench " not in run.stdout:
        raise RuntimeError(f"wrk failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    out = run.stdout
    counts = dict(part.split("=") for part in out.split("hallq-bench ", 1)[1].split()[:2])
    if int(counts["failed"]) or not int(counts["requests"]):
        raise RuntimeError(f"wrk saw {counts['failed']} non-201 replies of {counts['requests']}:\n{out}")
    return float(out.split("Requests/sec:")[1].split()[0])


def health_rate(hub: Hub, seconds: int) -> float:
    """GET /api/v1/health (one read on a reader thread, no write) from one wrk connection."""
    out = subprocess.run(["wrk", "-t1", "-c1", f"-d{seconds}s", f"{hub.url}/api/v1/health"],
                         check=True, capture_output=True, text=True).stdout
    return float(out.split("Requests/sec:")[1].split()[0])


class RawHttp:
    """A keep-alive HTTP/1.1 client on bare asyncio streams: what it adds to a round trip is a
    few tens of microseconds, so the latency measured is the hub's."""

    def __init__(self, url: str):
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> "RawHttp":
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.writer is not None
        self.writer.close()

    async def post(self, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        assert self.reader is not None and self.writer is not None
        payload = json.dumps(body).encode() if body is not None else b""
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(payload)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        data = await self.reader.readexactly(length)
        return status, json.loads(data) if data else {}


async def call_next_latency(hub: Hub, kiosk: str, password: str, rounds: int, *, settled: bool = False) -> tuple[float, float, float]:
    """p50 and p99 of call-next in ms over `rounds` calls, each followed by a finish, at a window
    whose queue gets `rounds` tickets first, and the seconds waited for the hub to settle.
    `settled`: wait for it after issuing them, so that no statistics catch-up (the issuing runs'
    nor these tickets', 2 s after the last event) runs into the timed calls; on PostgreSQL, where
    a call takes a few milliseconds, it otherwise did."""
    async with RawHttp(hub.url) as http:
        status, login = await http.post("/api/v1/auth/login", {"username": "bench-staff", "password": password})
        assert status == 200, login
        staff = login["token"]
        window = "W19"  # zone C, serving C1
        status, body = await http.post(f"/api/v1/windows/{window}/login", {}, staff)
        assert status == 200, body
        for _ in range(rounds):
            status, body = await http.post("/api/v1/tickets", {"queue": "C1"}, kiosk)
            assert status == 201, body
        waited = 0.0
        if settled:
            assert hub.process is not None
            waited = await wait_settled(hub.process.pid)
        latencies = []
        for _ in range(rounds):
            start = time.perf_counter()
            status, body = await http.post(f"/api/v1/windows/{window}/call-next", None, staff)
            latencies.append(time.perf_counter() - start)
            assert status == 200 and body["ticket"] is not None, body
            status, body = await http.post(f"/api/v1/windows/{window}/finish", {}, staff)
            assert status == 200, body
        return pct(latencies, 50) * 1000, pct(latencies, 99) * 1000, waited


# A do-nothing aiohttp app answering the same routes with a fixed JSON body: the web stack's own
# floor on this machine, which no handler that does work can beat.
BARE_APP = """
import sys
from aiohttp import web
async def answer(request):
    await request.read()
    return web.json_response({"ticket": {"id": 1, "number": "C1001"}}, status=201 if request.path.endswith("tickets") else 200)
app = web.Application()
app.router.add_post("/api/v1/tickets", answer)
app.router.add_post("/api/v1/auth/login", lambda r: web.json_response({"token": "x"}))
app.router.add_post("/api/v1/windows/{w}/{action}", answer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


async def bare_floor(rounds: int, seconds: int) -> None:
    class Bare:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        workdir = Path(tempfile.mkdtemp(prefix="hallq-bare-"))

    process = subprocess.Popen([sys.executable, "-c", BARE_APP, str(Bare.port)])
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", Bare.port), timeout=0.1).close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        one = issue_rate(Bare, "x", 1, seconds)  # type: ignore[arg-type]
        eight = issue_rate(Bare, "x", 8, seconds)  # type: ignore[arg-type]
        async with RawHttp(Bare.url) as http:
            latencies = []
            for _ in range(rounds):
                start = time.perf_counter()
                await http.post("/api/v1/windows/W19/call-next")
                latencies.append(time.perf_counter() - start)
        print(f"bare aiohttp (floor): 1 connection {one:.0f}/s, 8 connections {eight:.0f}/s; "
              f"round trip p50 {pct(latencies, 50) * 1000:.2f} ms", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(Bare.workdir, ignore_errors=True)


@dataclass
class Figures:
    """One pass over a started hub: tickets/s, call-next p50/p99 in ms, health checks/s."""

    one: float
    eight: float
    p50: float
    p99: float
    settled_p50: float
    settled_p99: float
    settled_after: float
    health: float


async def one_pass(hub: Hub, kiosk: str, password: str, rounds: int, seconds: int) -> Figures:
    hub.start()
    try:
        await hub.wait_ready()
        issue_rate(hub, kiosk, 1, 2)  # warm-up: first requests compile statements and fill caches
        one = issue_rate(hub, kiosk, 1, seconds)
        eight = issue_rate(hub, kiosk, 8, seconds)
        p50, p99, _ = await call_next_latency(hub, kiosk, password, rounds)
        settled = await call_next_latency(hub, kiosk, password, rounds, settled=True)
        return Figures(one, eight, p50, p99, *settled, health_rate(hub, seconds))
    finally:
        hub.stop()


async def measure(label: str, hub: Hub, kiosk: str, password: str, rounds: int, seconds: int) -> None:
    f = await one_pass(hub, kiosk, password, rounds, seconds)
    print(f"{label}: issue 1 connection {f.one:.0f}/s, 8 connections {f.eight:.0f}/s; "
          f"call-next p50 {f.p50:.2f} ms p99 {f.p99:.2f} ms ({rounds} calls right after issuing); "
          f"settled (after {f.settled_after:.0f} s) p50 {f.settled_p50:.2f} ms p99 {f.settled_p99:.2f} ms; "
          f"health check {f.health:.0f}/s", flush=True)


def compare(against: str, pairs: int, rounds: int, seconds: int) -> None:
    """This tree against commit `against`, in alternating pairs of fresh hubs (module docstring)."""
    workdir = Path(tempfile.mkdtemp(prefix="hallq-pairs-"))
    try:
        other = workdir / "code"
        other.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", against], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(other)], input=archive, check=True)
        ratios: list[tuple[float, float, float]] = []
        for n in range(pairs):
            results = []
            for name, code in ((against, other), ("this tree", None)):
                hub = Hub(workdir / f"{n}-{'this' if code is None else 'base'}", None, code)
                kiosk, password = hub.prepare()
                f = asyncio.run(one_pass(hub, kiosk, password, rounds, seconds))
                print(f"pair {n + 1}, {name}: issue 1 connection {f.one:.0f}/s, 8 connections {f.eight:.0f}/s; "
                      f"call-next settled p50 {f.settled_p50:.2f} ms", flush=True)
                results.append(f)
            base, this = results
            ratios.append((this.one / base.one, this.eight / base.eight, base.settled_p50 / this.settled_p50))
        for label, column in (("issue, 1 connection", 0), ("issue, 8 connections", 1), ("call-next speed (base/this)", 2)):
            values = sorted(r[column] for r in ratios)
            print(f"{label}: this tree / {against} median {statistics.median(values):.2f} "
                  f"(pairs {', '.join(f'{v:.2f}' for v in values)})", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=500, help="call-next calls timed")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--db", help="PostgreSQL URL of an EMPTY database (default: SQLite in a temp dir)")
    parser.add_argument("--against", metavar="REV", help="compare this tree with a git revision in alternating pairs (SQLite, empty)")
    parser.add_argument("--pairs", type=int, default=6, help="pairs of runs with --against")
    args = parser.parse_args()
    if args.against:
        compare(args.against, args.pairs, args.rounds, args.seconds)
        return 0
    asyncio.run(bare_floor(args.rounds, args.seconds))
    workdir = Path(tempfile.mkdtemp(prefix="hallq-bench-"))
    try:
        hub = Hub(workdir, args.db)
        kiosk, password = hub.prepare()
        asyncio.run(measure("empty database", hub, kiosk, password, args.rounds, args.seconds))
        if args.history:
            start = time.perf_counter()
            asyncio.run(fill_history(args.db or f"sqlite:///{hub.data / 'hallq.db'}", args.history))
            print(f"filled {args.history} historical tickets in {time.perf_counter() - start:.0f} s", flush=True)
            asyncio.run(measure(f"{args.history} historical tickets", hub, kiosk, password, args.rounds, args.seconds))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
