"""What a technician's `hallq` command loads: only what its own job needs.

Tried: `hallq --help`, `user add`, `user list`, `db backup` and `check-config` on the sample hall,
each in a fresh interpreter, and which of the hub's heavy parts were imported by the end. It was:
every account command loaded pydantic and the hall's models to find the configuration folder,
`check-config` loaded the web server, the queue engine, SQLAlchemy and alembic through the
devices' and the voice's package files, and `db backup` loaded alembic; each command waited
about a second for code it never ran (28 of them in test_account_switches alone).
Kept: every command still does its job (its output is checked too), and a command that needs a
part still loads it: the database commands SQLAlchemy and alembic (they migrate first), and
check-config pydantic, the speech engine (it looks up voice.toml's voices) and python-escpos (the
printer profiles, built on its capability database, against which it checks the names a ticket
prints).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from server.config.paths import default_config_dir

HEAVY = {"aiohttp", "alembic", "asyncpg", "escpos", "pydantic", "pygame", "pyttsx3", "sqlalchemy",
         "server.api", "server.engine", "server.simulation", "server.stats", "server.web"}
"""Third-party libraries and hub packages that take a noticeable share of a second to import."""

PROBE = """
import json, sys
import server.cli
try:
    code = server.cli.main(sys.argv[1:])
except SystemExit as leaving:  # --help
    code = leaving.code
names = {".".join(m.split(".")[:2]) if m.startswith("server.") else m.split(".")[0] for m in sys.modules}
print(json.dumps({"code": code, "loaded": sorted(names)}))
"""


def run(*args: str) -> tuple[str, set[str]]:
    """(what the command printed, the heavy parts it imported) for `hallq ARGS` in a new process."""
    env = dict(os.environ, HALLQ_PASSWORD="pass-1234")
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120)
    *printed, last = done.stdout.splitlines()
    report = json.loads(last)
    assert report["code"] in (0, None), (args, done.stdout, done.stderr)
    return "\n".join(printed), set(report["loaded"]) & (HEAVY | {"asyncio"})


def test_each_command_imports_only_what_it_needs(tmp_path: Path) -> None:
    data = ("--data", str(tmp_path / "data"))

    printed, loaded = run("--help")
    assert "check-config" in printed
    assert loaded == set()

    printed, loaded = run("user", "add", "staff07", "--role", "staff", "--name", "周七", *data)
    assert printed == "added staff staff07"
    assert loaded - {"asyncio"} <= {"sqlalchemy", "alembic"}

    printed, loaded = run("user", "list", *data)
    assert printed == "staff07  周七  staff  active"
    assert loaded - {"asyncio"} <= {"sqlalchemy", "alembic"}

    printed, loaded = run("db", "backup", str(tmp_path / "backup"), *data)
    assert printed.startswith("backed up the database") and (tmp_path / "backup" / "hallq.db").is_file()
    assert loaded - {"asyncio"} <= {"sqlalchemy"}

    printed, loaded = run("check-config", str(default_config_dir()))
    assert f"OK {default_config_dir()}: " in printed
    assert loaded - {"asyncio"} <= {"pydantic", "pyttsx3", "escpos", "server.stats"}  # the roster and assessment rules
