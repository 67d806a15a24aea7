"""Shared fixtures: a small hall built in code, a manual clock, and real databases.

Storage and engine tests run against SQLite always, and against PostgreSQL too when it is
reachable on 127.0.0.1:5432 (it runs locally on the team's machines and in CI).
"""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import os
import shutil
import socket
import tempfile
import unittest.mock
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from aiohttp import web
from hypothesis import HealthCheck, settings
from aiohttp.test_utils import TestClient, TestServer

from server.config.models import HallConfig
from server.engine.clock import ManualClock, ScaledClock
from server.engine.engine import QueueEngine
from server.events import EventBus
from server.storage.db import Database, open_database, upgrade

TZ = ZoneInfo("Asia/Shanghai")
THURSDAY = date(2026, 11, 26)
PG_ADMIN_URL = os.environ.get("HALLQ_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis without its time limits: its 200 ms deadline per example and its too-slow
    health check are wall-clock limits, and on these noisy 2-core machines they failed property
    tests (test_toml_write's round trip, with helpers loading the machine) that found no bug.
    Tests still set their own example counts and other health checks."""
    settings.register_profile("hallq", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("hallq")


def publish_screenshot(path: Path, name: str | None = None) -> None:
    """Copy a test's screenshot into docs/img/ when asked (HALLQ_DOCS_IMG=1): a plain test run
    must not change tracked files (a machine without the CJK font once replaced the docs' pictures
    with empty boxes)."""
    if os.environ.get("HALLQ_DOCS_IMG"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / (name or path.name))


def at(hhmm: str, day: date = THURSDAY) -> float:
    """Epoch seconds of a local hall time."""
    return datetime.combine(day, time.fromisoformat(hhmm), TZ).timestamp()


def mini_hall_dict() -> dict:
    return {
        "hall": {"name": "测试县政务服务中心", "timezone": "Asia/Shanghai", "service_level_min": 20},
        "hours": {
            "seasons": [
                {
                    "name": "all",
                    "start": "01-01",
                    "end": "12-31",
                    "sessions": [{"start": "08:30", "end": "12:00"}, {"start": "14:30", "end": "17:30"}],
                }
            ],
            "stop_issuing_before_close_min": 30,
        },
        "calendar": {"holidays": [date(2026, 10, 1)], "workdays": [date(2026, 10, 10)]},
        "rules": {"max_recalls": 3, "per_person_daily_cap": 2},
        "zones": [{"code": "A", "name": "综合受理区"}, {"code": "B", "name": "不动产登记区"}],
        "units": [{"code": "U1", "name": "县民政局"}, {"code": "U2", "name": "县自然资源局"}],
        "queues": [
            {"prefix": "A1", "name": "民政业务", "zone": "A", "unit": "U1"},
            {"prefix": "A2", "name": "综合业务", "zone": "A", "unit": "U1", "daily_cap": 5},
            {"prefix": "B1", "name": "不动产登记", "zone": "B", "unit": "U2"},
        ],
        "windows": [
            {"id": "W1", "number": 1, "name": "1号窗口", "zone": "A", "queues": {"A1": 3, "A2": 1}},
            {"id": "W2", "number": 2, "name": "2号窗口", "zone": "A", "queues": {"A1": 1, "A2": 3}},
            {"id": "W3", "number": 3, "name": "3号窗口", "zone": "B", "queues": {"B1": 1}},
            {"id": "BO", "name": "不动产后台审批室", "zone": "B", "kind": "back_office", "queues": {}},
        ],
        "items": [
            {"code": "430224000001", "name": "最低生活保障审核", "unit": "U1", "zone": "A", "queue": "A1",
             "instant": False, "promised_days": 10},
            {"code": "430224000002", "name": "临时救助", "unit": "U1", "zone": "A", "queue": "A1",
             "instant": True, "promised_days": 0, "daily_cap": 3},
            {"code": "430224000003", "name": "不动产首次登记", "unit": "U2", "zone": "B", "queue": "B1",
             "instant": False, "promised_days": 5},
        ],
    }


@pytest.fixture
def hall_config() -> HallConfig:
    return HallConfig.model_validate(mini_hall_dict())


def sample_hall_serving(extra: dict[str, str]) -> HallConfig:
    """The sample hall (config/) with each window of ``extra`` also serving that queue: a window
    serving another zone's queue, whose calls belong to two zones (HallConfig.call_zones)."""
    from server.config.loader import load_hall_config
    from server.config.paths import default_config_dir

    raw = load_hall_config(default_config_dir()).model_dump()
    for window, queue in extra.items():
        next(w for w in raw["windows"] if w["id"] == window)["queues"][queue] = 1
    return HallConfig.model_validate(raw)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> ManualClock:
    """09:00 on a Thursday, moving only when a test says so; or, parametrized indirectly with a
    speed, a hall clock running that many times real time from 09:00 (the demo's kind), made when
    the test starts so it is 09:00 then."""
    speed = getattr(request, "param", None)
    return ScaledClock(at("09:00"), speed) if speed else ManualClock(at("09:00"))  # type: ignore[return-value]


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# ---------------------------------------------------------------- migrated databases, built once
# Building the schema with the migrations took 0.16-0.27 s of SQLite and 0.2-0.35 s of PostgreSQL
# for each of several hundred tests (every hub, every engine test), a minute and more of the run.
# A test that wants a migrated database gets a copy of one the migrations built once per test
# process; `upgrade` still runs on the copy (it finds nothing to do), so a copy not at the head
# revision would be brought there, as a hall's own database would. Tests of the migrations
# themselves use `database_url`, which stays empty unless the test also asks for `database`.


@functools.cache
def _migrated_sqlite_template() -> Path:
    """A SQLite file at the head revision, in a folder removed when the test process exits. Built
    on a thread of its own: this may be first asked for inside a running event loop."""
    folder = Path(tempfile.mkdtemp(prefix="hallq-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "hallq.db"

    async def build() -> None:
        database = open_database(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(database)
        finally:
            await database.close()

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, build()).result()
    return path


def migrated_sqlite_copy(path: Path) -> Path:
    """A new SQLite file at `path` holding the schema at the head revision (no rows), readable by
    its owner alone as the hub makes its own (server.storage.db.default_database_url)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(_migrated_sqlite_template(), path)
    path.chmod(0o600)
    return path


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database, SQLite and PostgreSQL; already migrated when the test asks for
    `database` too (it is that database's URL)."""
    migrated = "database" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "hall.db"
        if migrated:
            migrated_sqlite_copy(path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = await _migrated_pg_template(request.session) if migrated else None
    async with _new_pg_database(template) as name:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
async def pg_database() -> AsyncIterator[str]:
    """The name of a new, empty PostgreSQL database (dropped afterwards), for a hub process's --db."""
    async with _new_pg_database() as name:
        yield name


PG_TEMPLATE = pytest.StashKey[str]()


async def _migrated_pg_template(session: pytest.Session) -> str:
    """A PostgreSQL database at the head revision that new test databases are copied from
    (CREATE DATABASE ... TEMPLATE), made once per test process and dropped when its tests end."""
    if PG_TEMPLATE not in session.stash:
        if not postgres_reachable():
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
        name = f"hallq_template_{uuid.uuid4().hex[:12]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        database = open_database(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
        try:
            await upgrade(database)
        finally:
            await database.close()  # a template with a connection open cannot be copied
        session.stash[PG_TEMPLATE] = name
    return session.stash[PG_TEMPLATE]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if PG_TEMPLATE in session.stash:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{session.stash[PG_TEMPLATE]}" WITH (FORCE)'))


@contextlib.asynccontextmanager
async def _new_pg_database(template: str | None = None) -> AsyncIterator[str]:
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"hallq_test_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield name
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = open_database(database_url)
    await upgrade(db)
    yield db
    await db.close()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def engine(database: Database, hall_config: HallConfig, clock: ManualClock, bus: EventBus) -> QueueEngine:
    return QueueEngine(database, hall_config, clock, bus, secret=b"test-secret-0123456789")


@pytest.fixture
def event_log(bus: EventBus) -> Iterator[list]:
    seen: list = []
    unsubscribe = bus.listen(seen.append)
    yield seen
    unsubscribe()


# ---------------------------------------------------------------- a running hub
@dataclass
class Hub:
    """A hub serving on a real loopback port, with accounts and device tokens ready."""

    app: "web.Application"
    client: "TestClient"
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    @property
    def base_url(self) -> str:
        return str(self.client.make_url("/")).rstrip("/")

    @property
    def engine(self) -> QueueEngine:
        from server.api.keys import ENGINE

        return self.app[ENGINE]


HUB_PEOPLE = {
    "admin": ("admin", "系统管理员"),
    "manager": ("manager", "大厅管理员"),
    "tech": ("technician", "运维人员"),
    "staff01": ("staff", "张三"),
    "staff02": ("staff", "李四"),
    "staff03": ("staff", "王五"),
}
HUB_PASSWORD = "pass-1234"


@functools.cache
def _hub_password_hash() -> str:
    """One real scrypt hash of HUB_PASSWORD for every hub a test process starts: each account's
    own hash and sign-in cost ~0.1 s of scrypt, twelve per hub, which made setting up the hub a
    second and more of each of several hundred tests. Sign-in itself is tested where it is the
    subject (tests/api/test_login_guard.py, test_passwords.py), against these same hashes."""
    from server.accounts import hash_password

    return hash_password(HUB_PASSWORD)


@functools.cache
def _sample_hall() -> HallConfig:
    """The sample hall (config/), read once per test process: reading and checking its folder
    took 40-55 ms of every hub. HallConfig is frozen (no field can be reassigned); its lists are
    plain lists, which no test may change: a test wanting another hall passes its own `config`."""
    from server.config.loader import load_hall_config
    from server.config.paths import default_config_dir

    return load_hall_config(default_config_dir())


async def start_hub(aiohttp_client, data_dir: Path, clock: ManualClock, config: HallConfig | None = None, extensions=None) -> Hub:
    from server.accounts import Principal, Role
    from server.api.keys import ACCOUNTS
    from server.app import create_app
    from server.config.paths import default_config_dir
    from server.settings import HubSettings

    settings = HubSettings(config_dir=default_config_dir(), data_dir=data_dir)
    if not (data_dir / "hallq.db").exists():  # the hub's own default file, already migrated
        migrated_sqlite_copy(data_dir / "hallq.db")
    app = create_app(settings, clock=clock, config=config or _sample_hall(), extensions=extensions)
    client = await aiohttp_client(app)
    accounts = app[ACCOUNTS]
    tokens: dict[str, str] = {}
    with unittest.mock.patch("server.accounts.hash_password", return_value=_hub_password_hash()):
        for username, (role, name) in HUB_PEOPLE.items():
            await accounts.add_user(username, HUB_PASSWORD, Role(role), name, now=clock.now())
            principal = Principal(username, Role(role), False, name)
            tokens[username] = await accounts.open_session(principal, now=clock.now())
    tokens["kiosk"] = await accounts.add_device("kiosk-1", Role.KIOSK, now=clock.now())
    tokens["board-A"] = await accounts.add_device("board-A", Role.DISPLAY, "A", now=clock.now())
    return Hub(app, client, tokens)


@pytest.fixture
async def hub(aiohttp_client, tmp_path: Path, clock: ManualClock) -> Hub:
    """The sample hall (config/) on SQLite, at 09:00 on a Thursday."""
    return await start_hub(aiohttp_client, tmp_path / "data", clock)


# ---------------------------------------------------------------- a real browser
CHROMIUM = "/usr/bin/chromium"
BROWSER_WAIT_MS = 15_000
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


# One Chromium for the whole run, not one per test: starting Playwright's driver, launching the
# browser and closing it again took 2.5-4 s of every browser test on these 2-core machines (about
# 70 tests). Playwright's objects belong to the event loop that started them, so the browser tests
# and the async fixtures they use run in pytest-asyncio's session loop (`pytest_collection_
# modifyitems` below); every test still gets browser contexts of its own, closed at its end.
BROWSER_LOOP_FIXTURES = frozenset({"browser", "browser_client"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests using the shared browser (or a hub made for it) run in the session's event loop."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if BROWSER_LOOP_FIXTURES & fixtures:
            if "aiohttp_client" in fixtures:  # it fails later as "attached to a different loop"
                raise pytest.UsageError(f"{item.nodeid}: a browser test's hub needs browser_client, not aiohttp_client")
            item.add_marker(pytest.mark.asyncio(loop_scope="session"), append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium():
    """Debian's chromium driven by Playwright (its own browser download cannot work here)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.async_api import async_playwright, expect

    # Playwright's assertions wait 5 s for a state by default; on a loaded 2-core machine a page
    # load and its first API answer once took longer (test_no_appeals_says_so, beside a full run).
    # A liveness bound, not a speed claim: a state that never comes still fails.
    expect.set_options(timeout=BROWSER_WAIT_MS)
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            await instance.close()


class TestBrowser:
    """The shared Chromium as one test sees it: `new_page` and `new_context` as on Playwright's
    Browser, each context closed when the test ends (before its hub stops, so no page holds an
    event stream open at the hub's shutdown) and none seen by another test."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, chromium) -> None:  # type: ignore[no-untyped-def]
        self._chromium = chromium
        self._contexts: list = []  # type: ignore[type-arg]

    async def new_context(self, **options):  # type: ignore[no-untyped-def]
        context = await self._chromium.new_context(**options)
        self._contexts.append(context)
        return context

    async def new_page(self, **options):  # type: ignore[no-untyped-def]
        return await (await self.new_context(**options)).new_page()

    async def close(self) -> None:
        for context in reversed(self._contexts):
            await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browser(chromium) -> AsyncIterator[TestBrowser]:  # type: ignore[no-untyped-def]
    opened = TestBrowser(chromium)
    try:
        yield opened
    finally:
        await opened.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browser_client() -> AsyncIterator:  # type: ignore[type-arg]
    """pytest-aiohttp's `aiohttp_client` on the browser tests' (session) event loop: a hub a page
    talks to must serve on the loop the page is driven from."""
    clients: list[TestClient] = []

    async def make(app: web.Application) -> TestClient:
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in reversed(clients):
            await client.close()
