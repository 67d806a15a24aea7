"""Accounts of people and devices, with hashed secrets.

People (staff, managers, technicians, admins) log in with a staff id and a password or PIN; the
hash is scrypt (in the standard library, memory-hard, no extra dependency). Devices (kiosks,
boards, pad buses) carry a long random token; only its SHA-256 is stored, so a stolen database
does not hand out working tokens.
"""
from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from server.errors import HallQError, bad_request, not_found
from server.login_guard import LoginGuard
from server.storage.db import Database
from server.storage.schema import auth_sessions, devices, users, window_states

SESSION_SECONDS = 12 * 3600
USERNAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Role(StrEnum):
    KIOSK = "kiosk"
    DISPLAY = "display"
    STAFF = "staff"
    CHIEF = "chief"
    MANAGER = "manager"
    TECHNICIAN = "technician"
    ADMIN = "admin"


PERSON_ROLES = (Role.STAFF, Role.CHIEF, Role.MANAGER, Role.TECHNICIAN, Role.ADMIN)
DEVICE_ROLES = (Role.KIOSK, Role.DISPLAY)


@dataclass(frozen=True)
class Principal:
    """Who is making a request."""

    name: str
    role: Role
    is_device: bool
    display_name: str = ""
    unit: str | None = None
    zone: str | None = None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


PIN_ROLES = (Role.STAFF, Role.CHIEF)  # they sign in at a pad's keypad too: a PIN will do


def check_password(password: str, role: Role, username: str) -> None:
    """The policy a new password or PIN meets wherever one is set (`hallq user add`, the API's
    add, reset and change-own), in the manner of NIST SP 800-63B: length, and not one a guesser
    tries first; no composition rules (they make "Password1!", not a stronger password).

    - at least 4 characters for window staff (a PIN typed on a pad), 8 for the accounts that can
      run the hall (manager, technician, admin): a 4-digit admin PIN fell to one common guess;
    - not one of the most common passwords (server/common_passwords.txt, any case);
    - not the staff id, nor containing it (ids of 3 or more characters);
    - not one character repeated ("11111111"), a short pattern repeated ("12121212", "abcabc"),
      a run up or down ("12345678", "87654321", "abcdefgh") or a run of keyboard keys
      ("qwertyui", "asdfghjk").

    Existing hashes are not judged: a password set before this policy still signs in.
    """
    least = 4 if role in PIN_ROLES else 8
    if len(password) < least:
        raise bad_request(f"a password needs at least {least} characters for this account",
                          f"该账号的密码至少{least}位，请换一个更长的密码")
    folded = password.casefold()
    name = username.strip().casefold()
    if folded == name or (len(name) >= 3 and name in folded):
        raise bad_request("a password may not be or contain the staff id", "密码不能是工号，也不能包含工号，请换一个")
    if _is_trivial(password):
        raise bad_request("a password may not be one character repeated, a repeated pattern, a run such as 12345678 or "
                          "keys in a row such as qwertyui",
                          "密码不能是同一字符重复、简单重复（如 12121212）、连续数字或字母（如 12345678、abcdefgh）"
                          "或键盘上相邻的一排键（如 qwertyui），请换一个")
    if folded in _common_passwords():
        raise bad_request("this password is among the most common ones, which are guessed first: choose another",
                          "该密码属于最常见的密码，容易被猜中，请换一个不常见的密码")


_KEY_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _is_trivial(password: str) -> bool:
    """One character repeated, a unit of up to 3 characters repeated, a run of consecutive
    characters up or down, or keys next to each other in one keyboard row (either way); in any
    case ("ABCDEFGH", "QwErTyUi")."""
    folded = password.casefold()
    if any(len(folded) % n == 0 and folded == folded[:n] * (len(folded) // n) for n in (1, 2, 3)):
        return True
    for text in (password, folded):  # a run as typed ("XYZ[\\]^_") or once folded ("AbCdEfGh")
        if {ord(b) - ord(a) for a, b in zip(text, text[1:])} in ({1}, {-1}):
            return True
    return any(folded in row or folded in row[::-1] for row in _KEY_ROWS)


@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("server").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def named(username: str) -> ColumnElement[bool]:
    """The account `username` names, in any case and with spaces around it dropped.

    Staff ids are matched case-insensitively, not exactly: a pad's or phone's keyboard that
    capitalises the first letter, or caps lock, must not make a clerk's right PIN "wrong", and
    with names unique whatever their case (add_user, and the index uq_users_username_lower of
    migration 0012) any case names one account only, so matching loosely lets no one into
    another's. The name as it was created is the one kept and shown (Principal.name)."""
    return func.lower(users.c.username) == username.strip().lower()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """People and devices. Resolved tokens are remembered for a few seconds: every API request
    authenticates, and a database round trip per request cost more than the request's own work.
    Logging out forgets at once; a device deactivated in the database stops within the TTL."""

    TOKEN_CACHE_SECONDS = 10.0
    HASHING_AT_ONCE = 2  # scrypt runs in threads (it lets go of the GIL), at most this many at once

    def __init__(self, database: Database):
        self.database = database
        self._recent: dict[str, tuple[float, Principal]] = {}
        self._guard = LoginGuard()
        self._hashing = asyncio.Semaphore(self.HASHING_AT_ONCE)
        self._dummy_hash: str | None = None

    async def sign_in(self, username: str, password: str, *, source: str, now: float) -> Principal | None:
        """The person if the password is theirs and the account active; None otherwise. Raises
        429 while `source` is throttled (server/login_guard.py): the web sign-in passes the
        client's address, a call-pad its bus and address."""
        key = username.strip().lower()  # guesses at `Admin` and `admin` count against one account
        self._guard.begin(key, source, now)
        principal = await self._verify(username, password)
        if principal is not None:
            self._guard.succeeded(key, source, now)
        return principal

    async def _verify(self, username: str, password: str) -> Principal | None:
        """Exactly one scrypt whatever the account: unknown, switched off or real (an answer
        that came faster for a missing or disabled id told which ids exist). Off the event loop,
        so sign-ins never stall the kiosks, pads and boards the hub is serving."""
        row = await self.database.read(lambda conn: conn.execute(select(users).where(named(username))).first())
        stored = row._mapping["password_hash"] if row is not None else await self._unknown_hash()
        async with self._hashing:
            ok = await asyncio.to_thread(verify_password, password, stored)
        return _active_person(row) if ok else None

    async def _unknown_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(hash_password, secrets.token_urlsafe(16))
        return self._dummy_hash

    async def add_user(
        self, username: str, password: str, role: Role, display_name: str = "", unit: str | None = None, *, now: float
    ) -> None:
        """A person's account. The name is trimmed and must differ from every other one in more
        than case: `admin` and `ADMIN` would be one staff id with two passwords at sign-in.

        The display name is trimmed too, and one left empty (omitted, or only spaces) is the staff
        id: `--name "   "` showed as a blank where the pad, the board and the reports name the
        clerk, and nobody could tell who had served."""
        username = username.strip()
        display_name = display_name.strip()
        if role not in PERSON_ROLES:
            raise bad_request(f"{role} is not a role for people", "该角色不能用于人员账号")
        if not USERNAME.fullmatch(username):  # the API's body rule, for the command line too: a
            # name sign-in refuses (empty, 300 characters, spaces) made an account nobody could use
            raise bad_request("a staff id is 1 to 64 letters, digits, '_', '.' or '-'", "工号只能由1至64位字母、数字、下划线、点或连字符组成")
        check_password(password, role, username)
        values = {
            "username": username,
            "display_name": display_name or username,
            "role": role.value,
            "unit": unit,
            "password_hash": await asyncio.to_thread(hash_password, password),
            "active": True,
            "created_at": now,
        }

        def work(conn: Connection) -> str | None:
            existing = conn.execute(select(users.c.username).where(named(username))).scalar()
            if existing is None:
                conn.execute(insert(users).values(**values))
            return existing

        try:
            existing = await self.database.write(work)
        except IntegrityError:  # made at the same moment by another process: the index refused it
            existing = username
        if existing is not None:
            raise HallQError("duplicate", f"账号 {existing} 已存在（工号不区分大小写）",
                             f"user {existing} exists (staff ids are matched in any case)", 409)

    async def set_password(self, username: str, password: str, *, keep_session: str | None = None) -> None:
        """A new password, and every session of the account ends but `keep_session` (the one the
        person changing their own password is using): whoever had the old one is out."""
        role = await self.database.read(lambda conn: conn.execute(select(users.c.role).where(named(username))).scalar())
        if role is None:
            raise HallQError("not_found", "账号不存在", f"no user {username}", 404)
        check_password(password, Role(role), username)
        digest = await asyncio.to_thread(hash_password, password)
        kept = token_digest(keep_session) if keep_session else None

        def work(conn: Connection) -> list[str]:
            user_id = conn.execute(select(users.c.id).where(named(username))).scalar_one()
            conn.execute(update(users).where(users.c.id == user_id).values(password_hash=digest))
            ended = [d for d in conn.execute(select(auth_sessions.c.token_hash).where(auth_sessions.c.user_id == user_id)).scalars()
                     if d != kept]
            conn.execute(delete(auth_sessions).where(auth_sessions.c.token_hash.in_(ended)))
            return ended

        for ended in await self.database.write(work):
            self._recent.pop(ended, None)

    async def open_session(self, principal: Principal, *, now: float) -> str:
        token = secrets.token_urlsafe(32)

        def work(conn: Connection) -> None:
            user_id = conn.execute(select(users.c.id).where(users.c.username == principal.name)).scalar_one()
            conn.execute(delete(auth_sessions).where(auth_sessions.c.expires_at < now))
            conn.execute(
                insert(auth_sessions).values(
                    token_hash=token_digest(token), user_id=user_id, created_at=now, expires_at=now + SESSION_SECONDS
                )
            )

        await self.database.write(work)
        return token

    async def close_session(self, token: str) -> None:
        self._recent.pop(token_digest(token), None)
        statement = delete(auth_sessions).where(auth_sessions.c.token_hash == token_digest(token))
        await self.database.write(lambda conn: conn.execute(statement))

    async def add_device(self, name: str, role: Role, zone: str | None = None, *, now: float) -> str:
        """Register a device and return its token (shown once; only its digest is kept). The name
        follows the API's rule on the command line too: `device add ""` made a device listed as
        a blank that `device disable ""` then had to name."""
        if role not in DEVICE_ROLES:
            raise bad_request(f"{role} is not a device role", "该角色不能用于设备")
        if not USERNAME.fullmatch(name):
            raise bad_request("a device name is 1 to 64 letters, digits, '_', '.' or '-'",
                              "设备名称只能由1至64位字母、数字、下划线、点或连字符组成")
        token = "dev_" + secrets.token_urlsafe(32)
        statement = insert(devices).values(
            name=name, kind=role.value, zone=zone, token_hash=token_digest(token), active=True, created_at=now
        )
        try:
            await self.database.write(lambda conn: conn.execute(statement))
        except IntegrityError:
            raise HallQError("duplicate", f"设备 {name} 已存在", f"device {name} exists", 409) from None
        return token

    async def new_device_token(self, name: str) -> tuple[str, bool]:
        """(a fresh token for a registered device, whether the device is active). The old token
        stops at once in this hub (its cached entry is dropped; another process that cached it
        stops within TOKEN_CACHE_SECONDS). For a kiosk PC replaced, a token lost or seen where it
        should not be: the device keeps its name, role, zone and its switch, so nothing else is
        configured again, and a device a technician switched off stays off until switched on."""
        token = "dev_" + secrets.token_urlsafe(32)
        active = await self._update_device(name, token_hash=token_digest(token))
        return token, active

    async def set_device_active(self, name: str, active: bool) -> None:
        """Switch a device's token off (a kiosk stolen, a board taken down) or on again. Off takes
        effect at once in this hub, as for `new_device_token`."""
        await self._update_device(name, active=active)

    async def _update_device(self, name: str, **values: object) -> bool:
        """Change a registered device's row and forget its token's cached principal (404 if there
        is no such device); whether the device is active afterwards."""
        def work(conn: Connection) -> tuple[str, bool] | None:
            row = conn.execute(select(devices.c.token_hash, devices.c.active).where(devices.c.name == name)).first()
            if row is None:
                return None
            conn.execute(update(devices).where(devices.c.name == name).values(**values))
            return row.token_hash, bool(values.get("active", row.active))

        found = await self.database.write(work)
        if found is None:
            raise not_found("device", "设备", name)
        self._recent.pop(found[0], None)
        return found[1]

    async def set_user_active(self, username: str, active: bool) -> None:
        """Switch a person's account off (someone who left the hall) or on again. Off also ends the
        account's open sessions, so a call-pad left signed in stops at once in this hub."""
        def work(conn: Connection) -> list[str] | None:
            user_id = conn.execute(select(users.c.id).where(named(username))).scalar()
            if user_id is None:
                return None
            conn.execute(update(users).where(users.c.id == user_id).values(active=active))
            if active:
                return []
            digests = list(conn.execute(select(auth_sessions.c.token_hash).where(auth_sessions.c.user_id == user_id)).scalars())
            conn.execute(delete(auth_sessions).where(auth_sessions.c.user_id == user_id))
            return digests

        ended = await self.database.write(work)
        if ended is None:
            raise not_found("user", "账号", username)
        for digest in ended:
            self._recent.pop(digest, None)

    async def switched_off_at_windows(self) -> list[str]:
        """Staff ids logged in at some window whose account is switched off (by `hallq user
        disable`, which has only the database: the API's switch-off signs them off itself)."""
        statement = (select(users.c.username).distinct()
                     .join(window_states, window_states.c.staff_id == users.c.username)
                     .where(users.c.active.is_(False)))
        return list(await self.database.read(lambda conn: list(conn.execute(statement).scalars())))

    async def authenticate(self, token: str, *, now: float) -> Principal | None:
        digest = token_digest(token)
        cached = self._recent.get(digest)
        if cached is not None and 0 <= now - cached[0] < self.TOKEN_CACHE_SECONDS:
            return cached[1]
        principal = await self._authenticate(token, digest, now)
        if principal is None:
            self._recent.pop(digest, None)
        else:
            if len(self._recent) > 10_000:
                self._recent.clear()
            self._recent[digest] = (now, principal)
        return principal

    async def _authenticate(self, token: str, digest: str, now: float) -> Principal | None:
        if token.startswith("dev_"):
            row = await self.database.read(lambda conn: conn.execute(select(devices).where(devices.c.token_hash == digest)).first())
            if row is None or not row._mapping["active"]:
                return None
            m = row._mapping
            return Principal(m["name"], Role(m["kind"]), True, m["name"], None, m["zone"])
        query = (
            select(users)
            .join(auth_sessions, auth_sessions.c.user_id == users.c.id)
            .where(auth_sessions.c.token_hash == digest, auth_sessions.c.expires_at > now)
        )
        row = await self.database.read(lambda conn: conn.execute(query).first())
        return _active_person(row)

    async def active_person(self, username: str) -> Principal | None:
        """The active account of that staff id (in any case), or None: a manager signing a
        colleague in at a window names someone who exists and still works here."""
        row = await self.database.read(lambda conn: conn.execute(select(users).where(named(username))).first())
        return _active_person(row)

    async def list_users(self) -> list[dict[str, object]]:
        rows = await self.database.read(lambda conn: conn.execute(select(users).order_by(users.c.username)).all())
        return [{k: r._mapping[k] for k in ("username", "display_name", "role", "unit", "active")} for r in rows]

    async def list_devices(self) -> list[dict[str, object]]:
        rows = await self.database.read(lambda conn: conn.execute(select(devices).order_by(devices.c.name)).all())
        return [{k: r._mapping[k] for k in ("name", "kind", "zone", "active")} for r in rows]


def _active_person(row: Row[Any] | None) -> Principal | None:
    """A users row as the person it signs in, None if there is none or it is switched off."""
    if row is None or not row._mapping["active"]:
        return None
    m = row._mapping
    return Principal(m["username"], Role(m["role"]), False, m["display_name"], m["unit"])
