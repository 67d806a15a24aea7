"""Account names are one staff id whatever their case: `admin` and `ADMIN` were two accounts,
each with its own password, and sign-in took only the exact case. Names are now unique in any
case (and trimmed) when an account is made, and sign-in matches any case."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import HUB_PASSWORD, Hub
from tests.hub_process import HALLQ


async def test_an_account_differing_only_in_case_is_refused(hub: Hub) -> None:
    """Tried: the admin adding ADMIN and Staff01 over the API, beside the hub's admin and
    staff01. Kept: both refused (409, the message naming the account that exists), and the user
    list still has one admin and one staff01."""
    for name, role, existing in (("ADMIN", "admin", "admin"), ("Staff01", "staff", "staff01")):
        body = {"username": name, "password": "marble-cellar-27", "role": role}
        r = await hub.client.post("/api/v1/users", json=body, headers=hub.auth("admin"))
        assert r.status == 409, name
        assert f"账号 {existing} 已存在" in (await r.json())["error"]["message"]
    listed = [u["username"] for u in await (await hub.client.get("/api/v1/users", headers=hub.auth("admin"))).json()]
    assert [n for n in listed if n.lower() in ("admin", "staff01")] == ["admin", "staff01"]


async def test_sign_in_matches_the_staff_id_in_any_case(hub: Hub) -> None:
    """Tried: signing in as ADMIN, Staff01 and ` staff01 ` with their passwords, and as ADMIN
    with a wrong one. Kept: the right passwords sign in, as the account's own name (admin,
    staff01: what windows and reports record); the wrong one is 401."""
    for typed, name in (("ADMIN", "admin"), ("Staff01", "staff01"), (" staff01 ", "staff01")):
        r = await hub.client.post("/api/v1/auth/login", json={"username": typed, "password": HUB_PASSWORD})
        assert r.status == 200, typed
        assert (await r.json())["username"] == name
    wrong = await hub.client.post("/api/v1/auth/login", json={"username": "ADMIN", "password": "not-it-at-all"})
    assert wrong.status == 401


async def test_guesses_in_other_cases_count_against_one_account(hub: Hub) -> None:
    """Tried: five wrong passwords at admin, each typed in another case (Admin, aDmin …), from
    one PC. Kept: the sixth try, with the right password, is throttled (429) as five at `admin`
    would be: changing the case does not buy a guesser more tries."""
    for typed in ("Admin", "aDmin", "adMin", "admIn", "admiN"):
        r = await hub.client.post("/api/v1/auth/login", json={"username": typed, "password": "wrong-guess"})
        assert r.status == 401
    r = await hub.client.post("/api/v1/auth/login", json={"username": "ADMIN", "password": HUB_PASSWORD})
    assert r.status == 429


def test_the_command_line_refuses_a_name_differing_only_in_case(tmp_path: Path) -> None:
    """Tried: `hallq user add admin`, then `hallq user add ADMIN` and `hallq user add " Admin "`
    on one real SQLite data folder. Kept: the second and third refused with exit 1 and a message
    naming admin, no traceback; `hallq user list` shows the one admin."""
    env = dict(os.environ, HALLQ_PASSWORD="walnut-stair-82")
    data = ["--data", str(tmp_path / "data")]
    first = subprocess.run([HALLQ, "user", "add", "admin", "--role", "admin", *data], capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    for name in ("ADMIN", " Admin "):
        run = subprocess.run([HALLQ, "user", "add", name, "--role", "admin", *data], capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 1 and "账号 admin 已存在" in run.stderr and "Traceback" not in run.stderr, run.stderr
    listed = subprocess.run([HALLQ, "user", "list", *data], capture_output=True, text=True, env=env, timeout=120)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["admin"]


async def test_a_display_name_of_spaces_is_the_staff_id_and_names_are_trimmed(hub: Hub) -> None:
    """Tried: the admin adding staff07 with a display name of ASCII spaces, staff08 with one of
    ideographic spaces (a Chinese IME's 全角空格) and staff09 with ` 赵六 `, over the API (the
    command line's `--name` goes through the same Accounts.add_user). It was: the spaces stored
    as the name, a blank where the pad, the board and the reports name the clerk. Kept: a blank
    name is the staff id, as an omitted one is; a real one is stored trimmed, and signing in
    answers with it."""
    for username, given in (("staff07", "   "), ("staff08", "\u3000\u3000"), ("staff09", " 赵六 ")):
        body = {"username": username, "password": "marble-cellar-27", "role": "staff", "display_name": given}
        r = await hub.client.post("/api/v1/users", json=body, headers=hub.auth("admin"))
        assert r.status == 201, await r.text()
    listed = {u["username"]: u["display_name"] for u in await (await hub.client.get("/api/v1/users", headers=hub.auth("admin"))).json()}
    assert (listed["staff07"], listed["staff08"], listed["staff09"]) == ("staff07", "staff08", "赵六")
    r = await hub.client.post("/api/v1/auth/login", json={"username": "staff09", "password": "marble-cellar-27"})
    assert (await r.json())["display_name"] == "赵六"
