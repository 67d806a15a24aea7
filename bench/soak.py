"""Soak: several hall days of a real `hallq demo` on a fast clock, then what they left behind.

    .venv/bin/python bench/soak.py [--days 4] [--speed 600] [--volume 0.5] [--boards 4] [--phones 8]

A real `hallq demo` process (its simulated citizens and staff, the call-pads and LED screens of
devices-demo.toml on ptys, voice) on a copy of the sample hall that keeps its opening hours,
lunch break and 23:00 close but works every day of the week (the calendar emptied), so every
simulated day has a morning, an afternoon, an evening close and a night. `--volume` scales the
traffic profile's tickets a day (the machine has two cores). Beside it, event-stream clients:
`--boards` zone boards (the demo's display token; they reconnect with `since` when dropped) and
up to `--phones` citizens' status pages (tickets issued with the demo's kiosk token, each page
followed until its ticket ends).

The run ends after `--days` end-of-day closes (the hub's "end of day" log line). Then, with the
hub still up, the dashboard document, a month's report (JSON, CSV, Excel, HTML) and the month's
assessment are read as a manager; the hub is stopped with SIGINT, and the database is checked
(`check_database`). Reported: the hub's log lines by level (ERROR, WARNING and tracebacks
grouped by message), its RSS at the start and at each day's close, the events the streams
received, and every invariant with the rows that break it. Exit status 1 if anything failed.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import and_, case, create_engine, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.config.paths import default_config_dir  # noqa: E402
from server.config.toml_write import dump_toml  # noqa: E402
from server.engine.views import OPEN_STATUSES  # noqa: E402
from server.storage.schema import day_counters, queue_day_counts, ticket_intervals, tickets, window_states  # noqa: E402
from tests.hub_process import HALLQ, free_port  # noqa: E402

END_OF_DAY = re.compile(r"end of day (\d{4}-\d{2}-\d{2}): (\d+) open tickets closed")
LOG_LINE = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): (.*)$")


# --- the hall -----------------------------------------------------------------------------


def write_soak_hall(target: Path, volume: float, pty_dir: Path) -> Path:
    """The sample hall open every day of the week (its own hours kept), the traffic profile
    scaled by `volume`, and the demo's device buses on ptys under `pty_dir` (the sample's
    /tmp/hallq-demo is shared with any other demo on the machine)."""
    shutil.copytree(default_config_dir(), target)
    hall_file = target / "hall.toml"
    hall = tomllib.loads(hall_file.read_text(encoding="utf-8"))
    hall["hours"]["working_weekdays"] = [1, 2, 3, 4, 5, 6, 7]
    hall["calendar"] = {"holidays": [], "workdays": []}
    hall_file.write_text(dump_toml(hall, header="# Soak copy: every day a working day (bench/soak.py)."), encoding="utf-8")
    profile_file = target / "traffic_profile.toml"
    text = profile_file.read_text(encoding="utf-8")
    per_day = int(tomllib.loads(text)["hall"]["tickets_per_day"])
    text = re.sub(r"(?m)^tickets_per_day = \d+", f"tickets_per_day = {max(1, round(per_day * volume))}", text)
    profile_file.write_text(text, encoding="utf-8")
    devices_file = target / "devices-demo.toml"
    devices_file.write_text(devices_file.read_text(encoding="utf-8").replace("/tmp/hallq-demo", str(pty_dir)), encoding="utf-8")
    return target


# --- the hub process ------------------------------------------------------------------------


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@dataclass
class Demo:
    folder: Path
    speed: float
    seed: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "hub.log"

    @property
    def out_path(self) -> Path:
        return self.folder / "hub.out"

    @property
    def database(self) -> Path:
        return self.folder / "data" / "demo" / "hallq.db"

    def start(self, config: Path) -> None:
        with self.log_path.open("ab") as log, self.out_path.open("ab") as out:
            self.process = subprocess.Popen(
                [HALLQ, "demo", "--config", str(config), "--data", str(self.folder / "data"), "--port", str(self.port),
                 "--speed", str(self.speed), "--seed", str(self.seed)],
                stdout=out, stderr=log, env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )

    async def tokens(self) -> tuple[str, str]:
        """(display token, kiosk token) from the demo's start-up lines."""
        for _ in range(600):
            text = self.out_path.read_text(encoding="utf-8", errors="replace")
            board = re.search(r"&token=(\S+)", text)
            kiosk = re.search(r"--token (\S+)", text)
            if board and kiosk:
                return board.group(1), kiosk.group(1)
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the demo stopped at start:\n{self.log_path.read_text()[-3000:]}")
            await asyncio.sleep(0.1)
        raise RuntimeError("the demo printed no tokens")

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines() if self.log_path.exists() else []


# --- event-stream clients ---------------------------------------------------------------------


@dataclass
class StreamCounts:
    board_events: int = 0
    board_reconnects: int = 0
    board_gaps: int = 0  # a seq jump on one board's stream after a reconnect with since
    phones_opened: int = 0
    phones_ended: int = 0  # the ticket reached an end state while its page listened
    phone_errors: list[str] = field(default_factory=list)
    issue_ms: list[list[float]] = field(default_factory=lambda: [[]])  # per hall day: a status page's ticket issued

    def issue_times(self) -> list[tuple[int, float, float]]:
        """(tickets, median ms, p99 ms) per hall day: whether the hub slows as its days pile up."""
        found = []
        for times in (sorted(day) for day in self.issue_ms if day):
            found.append((len(times), times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]))
        return found


async def board(session: aiohttp.ClientSession, url: str, zone: str, token: str, counts: StreamCounts) -> None:
    """A zone board: follows its stream for ever, reconnecting from the last seq it saw."""
    last = 0
    while True:
        query = f"zone={zone}&token={token}" + (f"&since={last}" if last else "")
        try:
            async with session.ws_connect(f"{url}/api/v1/events?{query}", heartbeat=30) as ws:
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    data = message.json()
                    if data.get("type") == "event":
                        seq = int(data["seq"])
                        if seq <= last:
                            counts.board_gaps += 1  # a replayed event seen twice
                        last = max(last, seq)
                        counts.board_events += 1
                    elif data.get("type") == "error":
                        raise RuntimeError(f"board {zone} refused: {data}")
        except aiohttp.ClientError:
            pass
        counts.board_reconnects += 1
        await asyncio.sleep(0.5)


ENDED = {"ticket.finished", "ticket.closed", "ticket.no_show", "ticket.cancelled"}


async def phone(session: aiohttp.ClientSession, url: str, status_token: str, counts: StreamCounts, hold_s: float) -> None:
    """A citizen's status page: open until the ticket ends or `hold_s` real seconds pass."""
    counts.phones_opened += 1
    try:
        async with session.ws_connect(f"{url}/api/v1/events?ticket={status_token}") as ws:
            deadline = time.monotonic() + hold_s
            while time.monotonic() < deadline:
                try:
                    message = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    break
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                data = message.json()
                if data.get("type") == "error":
                    counts.phone_errors.append(str(data)[:200])
                    break
                if data.get("type") == "event" and data.get("kind") in ENDED:
                    counts.phones_ended += 1
                    break
    except aiohttp.ClientError as error:
        counts.phone_errors.append(repr(error)[:200])


async def phones(session: aiohttp.ClientSession, url: str, kiosk: str, queues: list[str], at_once: int,
                 counts: StreamCounts, hold_s: float) -> None:
    """Keep up to `at_once` status pages open: issue a ticket (when the hall issues) and follow it."""
    running: set[asyncio.Task[None]] = set()
    n = 0
    while True:
        running = {task for task in running if not task.done()}
        if len(running) < at_once:
            asked = time.perf_counter()
            async with session.post(f"{url}/api/v1/tickets", json={"queue": queues[n % len(queues)]},
                                    headers={"Authorization": f"Bearer {kiosk}"}) as r:
                body = await r.json()
            n += 1
            if r.status == 201:
                counts.issue_ms[-1].append((time.perf_counter() - asked) * 1000)
                running.add(asyncio.create_task(phone(session, url, body["ticket"]["status_token"], counts, hold_s)))
                continue
        await asyncio.sleep(1.0)


# --- the run --------------------------------------------------------------------------------


@dataclass
class DayClose:
    day: str
    closed: int
    rss_kb: int
    real_s: float
    data_mb: float  # the hub's data folder: database, WAL, voice clips


def folder_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2**20


async def watch_days(demo: Demo, days: int, started: float, counts: StreamCounts) -> list[DayClose]:
    """Wait for `days` end-of-day lines, reading the hub's RSS as each appears."""
    assert demo.process is not None
    closes: list[DayClose] = []
    while len(closes) < days:
        if demo.process.poll() is not None:
            raise RuntimeError(f"the demo stopped (exit {demo.process.returncode}) after {len(closes)} days")
        found = [END_OF_DAY.search(line) for line in demo.log_lines()]
        for match in [m for m in found if m][len(closes):]:
            closes.append(DayClose(match.group(1), int(match.group(2)), rss_kb(demo.process.pid), time.monotonic() - started,
                                   folder_mb(demo.database.parent)))
            counts.issue_ms.append([])
            print(f"  day {match.group(1)} closed ({match.group(2)} open tickets closed) after {closes[-1].real_s:.0f} s, "
                  f"RSS {closes[-1].rss_kb / 1024:.1f} MB, data folder {closes[-1].data_mb:.0f} MB", flush=True)
        await asyncio.sleep(1.0)
    return closes


async def read_documents(url: str, first: date, last: date) -> list[tuple[str, int, int, str]]:
    """(path, status, bytes, problem) of what a manager reads at the end of the soak."""
    months = sorted({f"{first:%Y-%m}", f"{last:%Y-%m}"})
    period = f"from={first}&to={last}"
    paths = [
        "/api/v1/stats/today",
        f"/api/v1/stats/report?{period}&by=zone",
        f"/api/v1/stats/report?{period}&by=window",
        f"/api/v1/stats/report?{period}&by=staff",
        f"/api/v1/stats/report.csv?{period}&by=queue",
        f"/api/v1/stats/report.xlsx?{period}&by=zone",
        f"/api/v1/stats/report.html?{period}&by=zone",
        *(f"/api/v1/stats/assessment?month={month}" for month in months),
        *(f"/api/v1/stats/assessment.xlsx?month={month}" for month in months),
        f"/api/v1/stats/staffing?{period}",
        "/dashboard",
        "/reports",
    ]
    results = []
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/api/v1/auth/login", json={"username": "manager", "password": "manager-demo"}) as r:
            token = (await r.json())["token"]
        for path in paths:
            async with session.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"}) as r:
                body = await r.read()
                problem = "" if r.status == 200 else body[:300].decode("utf-8", "replace")
                if r.status == 200 and r.content_type == "application/json":
                    problem = figures_problem(path, await r.json())
                results.append((path, r.status, len(body), problem))
    return results


def figures_problem(path: str, document: Any) -> str:
    """A figure no hall can have: a negative count or time anywhere in the document (an
    assessment's deductions are negative points by design)."""
    bad: list[str] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0 and not where.endswith(("points", "delta")):
            bad.append(f"{where}={value}")

    walk(document, "")
    return ("negative figures: " + ", ".join(bad[:5])) if bad else ""


# --- checks ----------------------------------------------------------------------------------


def masked(message: str) -> str:
    """A message with what varies from line to line masked (quoted texts, paths, numbers), so one
    problem is one group however many tickets and zones it hit."""
    message = re.sub(r"'[^']*'", "'…'", message)
    message = re.sub(r"/\S+", "/…", message)
    return re.sub(r"[0-9]+", "N", message)[:200]


def group_log(lines: list[str]) -> tuple[collections.Counter[str], collections.Counter[str]]:
    """(lines by level, ERROR/WARNING/CRITICAL messages and tracebacks grouped, digits masked)."""
    levels: collections.Counter[str] = collections.Counter()
    problems: collections.Counter[str] = collections.Counter()
    for index, line in enumerate(lines):
        match = LOG_LINE.match(line)
        if match:
            levels[match.group(1)] += 1
            if match.group(1) in ("WARNING", "ERROR", "CRITICAL"):
                problems[f"{match.group(1)} {match.group(2)}: {masked(match.group(3))}"] += 1
        elif line.startswith("Traceback"):
            levels["traceback"] += 1
            tail = next((later for later in lines[index + 1:] if later and not later.startswith((" ", "Traceback"))), "?")
            problems[f"Traceback ... {masked(tail)}"] += 1
    return levels, problems


@dataclass
class Invariant:
    name: str
    broken: int
    examples: list[str]


def check_database(path: Path, closed_days: list[str]) -> list[Invariant]:
    """What every hall day must leave in the database (server/storage/schema.py)."""
    engine = create_engine(f"sqlite:///{path}")
    closed = [date.fromisoformat(d) for d in closed_days]
    open_statuses = [str(s) for s in OPEN_STATUSES]
    found: list[Invariant] = []

    def invariant(name: str, rows: list[Any]) -> None:
        found.append(Invariant(name, len(rows), [str(tuple(row)) for row in rows[:5]]))

    with engine.connect() as conn:
        invariant("no ticket number twice on a day", conn.execute(
            select(tickets.c.hall_day, tickets.c.number, func.count()).group_by(tickets.c.hall_day, tickets.c.number)
            .having(func.count() > 1)).all())
        invariant("no ticket left open on a closed day", conn.execute(
            select(tickets.c.hall_day, tickets.c.number, tickets.c.status)
            .where(tickets.c.hall_day.in_(closed), tickets.c.status.in_(open_statuses))).all())
        invariant("every ended ticket's ledger intervals closed", conn.execute(
            select(tickets.c.hall_day, tickets.c.number, tickets.c.status, ticket_intervals.c.state)
            .join(ticket_intervals, ticket_intervals.c.ticket_id == tickets.c.id)
            .where(tickets.c.status.not_in(open_statuses), ticket_intervals.c.end_at.is_(None))).all())
        invariant("at most one open ledger interval per ticket", conn.execute(
            select(ticket_intervals.c.ticket_id, func.count()).where(ticket_intervals.c.end_at.is_(None))
            .group_by(ticket_intervals.c.ticket_id).having(func.count() > 1)).all())
        invariant("no ledger interval ends before it starts", conn.execute(
            select(ticket_intervals.c.ticket_id, ticket_intervals.c.state, ticket_intervals.c.start_at, ticket_intervals.c.end_at)
            .where(ticket_intervals.c.end_at < ticket_intervals.c.start_at)).all())
        seq = select(tickets.c.hall_day, tickets.c.prefix, func.max(tickets.c.seq).label("top"), func.count().label("n")) \
            .group_by(tickets.c.hall_day, tickets.c.prefix).subquery()
        invariant("day counter = the day's highest number = its count", conn.execute(
            select(seq.c.hall_day, seq.c.prefix, seq.c.top, seq.c.n, day_counters.c.last_seq)
            .outerjoin(day_counters, and_(day_counters.c.hall_day == seq.c.hall_day, day_counters.c.prefix == seq.c.prefix))
            .where((day_counters.c.last_seq.is_(None)) | (day_counters.c.last_seq != seq.c.top) | (seq.c.top != seq.c.n))).all())
        t = tickets.c
        is_line = and_(t.status == "waiting", t.target_window.is_(None))
        is_done = and_(t.status == "finished", t.served_at.is_not(None), t.finished_at.is_not(None))
        real = select(t.hall_day, t.queue, func.sum(case((is_line, 1), else_=0)).label("in_line"),
                      func.sum(case((is_done, 1), else_=0)).label("finished"),
                      func.sum(case((is_done, t.finished_at - t.served_at), else_=0.0)).label("service")) \
            .group_by(t.hall_day, t.queue).subquery()
        q = queue_day_counts.c
        rows = conn.execute(
            select(real.c.hall_day, real.c.queue, real.c.in_line, q.in_line, real.c.finished, q.finished, real.c.service, q.service_seconds)
            .outerjoin(queue_day_counts, and_(q.hall_day == real.c.hall_day, q.queue == real.c.queue))).all()
        invariant("queue day counts = the tickets they count", [
            row for row in rows
            if (row[3] or 0) != row[2] or (row[5] or 0) != row[4] or abs((row[7] or 0.0) - row[6]) > 0.01])
        invariant("no window holds an ended ticket", conn.execute(
            select(window_states.c.window_id, tickets.c.number, tickets.c.status)
            .join(tickets, tickets.c.id == window_states.c.current_ticket_id)
            .where(tickets.c.status.not_in(open_statuses))).all())
        found.append(Invariant("(tickets in the database)", 0, [str(conn.execute(select(func.count()).select_from(tickets)).scalar())]))
    engine.dispose()
    return found


# --- main ------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, folder: Path) -> int:
    config = write_soak_hall(folder / "config", args.volume, folder / "ptys")
    demo = Demo(folder, args.speed, args.seed)
    print(f"soak: {args.days} hall days at {args.speed:g}x, volume {args.volume:g}, in {folder}", flush=True)
    demo.start(config)
    started = time.monotonic()
    clients: list[asyncio.Task[None]] = []
    counts = StreamCounts()
    try:
        board_token, kiosk_token = await demo.tokens()
        assert demo.process is not None
        await asyncio.sleep(2)
        rss_start = rss_kb(demo.process.pid)
        print(f"  hub up, RSS {rss_start / 1024:.1f} MB", flush=True)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        zones = ["A", "B", "C", "D"]
        clients += [asyncio.create_task(board(session, demo.url, zones[n % len(zones)], board_token, counts)) for n in range(args.boards)]
        if args.phones:
            clients.append(asyncio.create_task(phones(session, demo.url, kiosk_token, ["A1", "B1", "C1", "D1"], args.phones, counts,
                                                       hold_s=3 * 3600 / args.speed)))
        closes = await watch_days(demo, args.days, started, counts)
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
        await session.close()
        first, last = date.fromisoformat(closes[0].day), date.fromisoformat(closes[-1].day)
        documents = await read_documents(demo.url, first.replace(day=1), last)
        rss_end = rss_kb(demo.process.pid)
    finally:
        for task in clients:
            task.cancel()
        exit_code = demo.stop()
    levels, problems = group_log(demo.log_lines())
    invariants = check_database(demo.database, [c.day for c in closes])
    return report(args, rss_start, closes, rss_end, counts, documents, levels, problems, invariants, exit_code,
                  time.monotonic() - started)


def report(args: argparse.Namespace, rss_start: int, closes: list[DayClose], rss_end: int, counts: StreamCounts,
           documents: list[tuple[str, int, int, str]], levels: collections.Counter[str], problems: collections.Counter[str],
           invariants: list[Invariant], exit_code: int | None, real_s: float) -> int:
    failed = False
    print(f"\nsoak: {len(closes)} hall days in {real_s:.0f} s real; hub exit status {exit_code}")
    failed |= exit_code != 0
    print("RSS: start {:.1f} MB; ".format(rss_start / 1024) + "; ".join(
        f"{c.day} close {c.rss_kb / 1024:.1f} MB ({c.closed} closed)" for c in closes) + f"; end {rss_end / 1024:.1f} MB")
    print("data folder at each close: " + ", ".join(f"{c.data_mb:.0f} MB" for c in closes))
    print(f"streams: {args.boards} boards received {counts.board_events} events, reconnected {counts.board_reconnects} times, "
          f"{counts.board_gaps} events seen twice; {counts.phones_opened} status pages, {counts.phones_ended} followed to the end, "
          f"{len(counts.phone_errors)} errors {counts.phone_errors[:3]}")
    failed |= counts.board_gaps > 0 or bool(counts.phone_errors)
    print("status pages' tickets issued per day, median / p99: " + "; ".join(
        f"{n} at {p50:.1f} / {p99:.1f} ms" for n, p50, p99 in counts.issue_times()))
    print("log lines by level: " + ", ".join(f"{level} {n}" for level, n in sorted(levels.items())))
    for message, n in problems.most_common():
        print(f"  {n:6d} x {message}")
    failed |= any(level in levels for level in ("ERROR", "CRITICAL", "traceback"))
    print("documents at the end:")
    for path, status, size, problem in documents:
        print(f"  {status} {size:8d} B  {path}  {problem}")
        failed |= status != 200 or bool(problem)
    print("database invariants:")
    for inv in invariants:
        print(f"  {'held' if inv.broken == 0 else f'BROKEN x{inv.broken}'}: {inv.name} {inv.examples if inv.broken or inv.name.startswith('(') else ''}")
        failed |= inv.broken > 0
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=4, help="hall days to run (end-of-day closes)")
    parser.add_argument("--speed", type=float, default=600.0, help="hall seconds per real second")
    parser.add_argument("--volume", type=float, default=0.5, help="share of the profile's tickets a day")
    parser.add_argument("--boards", type=int, default=4, help="zone boards on the event stream")
    parser.add_argument("--phones", type=int, default=8, help="status pages open at once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="run in this (new) folder and keep it (log, database)")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True)
        sys.exit(asyncio.run(run(args, args.keep.resolve())))
    with tempfile.TemporaryDirectory(prefix="hallq-soak-") as folder:
        sys.exit(asyncio.run(run(args, Path(folder))))


if __name__ == "__main__":
    main()
