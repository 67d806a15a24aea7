"""The `hallq` command: run the hub, check and import configuration, manage accounts, simulate.

Each subcommand imports what it needs when it runs, so `hallq kiosk` on a kiosk PC never loads the
engine or the database code.
"""
from __future__ import annotations

import argparse
import dataclasses
import errno
import getpass
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.log_format import LOG_DATEFMT, LOG_FORMAT

if TYPE_CHECKING:  # imported where they are used, so that a kiosk PC never loads them
    import ssl

    from aiohttp import web

    from server.accounts import Accounts
    from server.config.models import HallConfig
    from server.settings import HubSettings

DEFAULT_DATA = Path("data")


def _config_dir(value: str | None) -> Path:
    from server.config.paths import default_config_dir

    return Path(value) if value else default_config_dir()


def _settings(args: argparse.Namespace) -> HubSettings:
    from server.settings import HubSettings

    return HubSettings(
        config_dir=_config_dir(args.config),
        data_dir=Path(args.data),
        database_url=args.db or os.environ.get("HALLQ_DB", ""),
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", 8080),
        tls_cert=Path(args.tls_cert) if getattr(args, "tls_cert", None) else None,
        tls_key=Path(args.tls_key) if getattr(args, "tls_key", None) else None,
    )


def _hub_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="hall configuration folder (default: the sample hall in config/)")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="local data folder (default: ./data)")
    parser.add_argument("--db", help="database URL (default: SQLite in the data folder; or postgresql://…)")


def _listen_options(parser: argparse.ArgumentParser) -> None:
    """Where a hub listens, and with which certificate: `serve` and `demo` alike."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--tls-cert", metavar="FILE",
                        help="serve HTTPS/WSS with this PEM certificate (chain); needs --tls-key (docs/architecture.md, 'The hall network: TLS')")
    parser.add_argument("--tls-key", metavar="FILE", help="the certificate's PEM private key (unencrypted, readable by the hub only)")


def _tls_context(settings: HubSettings) -> tuple[ssl.SSLContext | None, str | None]:
    """(the hub's TLS context or None, the line that says why it cannot start); warns of clear
    text on a non-loopback address without TLS."""
    from server.tls import TlsSetupError, clear_text_warning, server_context

    if settings.tls_cert is None and settings.tls_key is None:
        warning = clear_text_warning(settings.host)
        if warning:
            logging.getLogger("hallq").warning(warning)
        return None, None
    if settings.tls_cert is None or settings.tls_key is None:
        return None, ("--tls-cert and --tls-key go together: give the certificate and its private key "
                      "(--tls-cert 与 --tls-key 须同时给出：证书及其私钥)")
    try:
        return server_context(settings.tls_cert, settings.tls_key), None
    except TlsSetupError as error:
        return None, str(error)


def _bind_or_say(settings: HubSettings) -> list[socket.socket] | None:
    """The hub's listening sockets, bound before the devices and the database are touched (see
    server/listen.py), or None after one line saying why not: `serve` and `demo` alike (a second
    `hallq demo` on the same port printed a traceback after opening the first one's database)."""
    from server.listen import bind_listeners

    try:
        return bind_listeners(settings.host, settings.port)
    except OSError as error:
        taken = error.errno == errno.EADDRINUSE
        print(f"cannot listen on {settings.host}:{settings.port}: "
              f"{'the port is already in use (is another hub running?)' if taken else error} "
              f"({'端口已被占用（是否已有一个 hub 在运行？）' if taken else '无法监听该地址'}，请核对 --host/--port)", file=sys.stderr)
        return None


def _on_bound_port(settings: HubSettings, sockets: list[socket.socket]) -> HubSettings:
    """The settings with the port the hub really listens on: `--port 0` asks the system for a free
    one, and the demo printed its pages (and the tickets' QR codes) at port 0."""
    if settings.port != 0 or not sockets:
        return settings
    return dataclasses.replace(settings, port=int(sockets[0].getsockname()[1]))


def _run_hub(app: web.Application, sockets: list[socket.socket], ssl_context: ssl.SSLContext | None, settings: HubSettings) -> int:
    """Serve until stopped; a database that cannot be opened or migrated is one line, not a
    traceback (server/storage/start_problems.py)."""
    from aiohttp import web

    from server.access_log import PathOnlyAccessLogger
    from server.hub_lock import FolderTaken, hold_data_folder
    from server.storage.start_problems import why_unusable

    try:
        folder = hold_data_folder(settings.data_dir)  # held, open, until the process ends
    except FolderTaken as taken:
        print(taken, file=sys.stderr)
        return 1
    except OSError as error:  # a data folder the hub's user may not write: named, as below
        print(why_unusable(error, settings.resolved_database_url(), settings.data_dir) or f"cannot start: {error}", file=sys.stderr)
        return 1
    try:
        web.run_app(app, sock=sockets, ssl_context=ssl_context, access_log_class=PathOnlyAccessLogger, print=lambda msg: print(msg, flush=True))
    except Exception as error:
        line = why_unusable(error, settings.resolved_database_url(), settings.data_dir)
        if line is None:  # not a problem of the hall's set-up: the traceback is for whoever fixes it
            raise
        print(line, file=sys.stderr)
        return 1
    finally:
        folder.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from server.app import create_app
    from server.config.problems import ConfigError
    from server.extensions import default_extensions
    from server.api.keys import CONFIG
    from server.devices.config import load_device_config
    from server.start_summary import log_start_summary

    settings = _settings(args)
    ssl_context, tls_problem = _tls_context(settings)
    if tls_problem:
        print(tls_problem, file=sys.stderr)
        return 1
    sockets = _bind_or_say(settings)
    if sockets is None:
        return 1
    settings = _on_bound_port(settings, sockets)
    try:
        app = create_app(settings, extensions=default_extensions(settings))
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    log_start_summary(settings, app[CONFIG], load_device_config(settings.config_dir, app[CONFIG]), sample=args.config is None)
    return _run_hub(app, sockets, ssl_context, settings)


def cmd_demo(args: argparse.Namespace) -> int:
    from server.demo import DemoRefused, build_demo_app, demo_settings

    settings = demo_settings(_settings(args))
    ssl_context, problem = _tls_context(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    sockets = _bind_or_say(settings)
    if sockets is None:
        return 1
    settings = _on_bound_port(settings, sockets)
    try:
        return _run_hub(build_demo_app(settings, speed=args.speed, seed=args.seed), sockets, ssl_context, settings)
    except DemoRefused as refused:
        print(refused, file=sys.stderr)
        return 2


def cmd_check_config(args: argparse.Namespace) -> int:
    from server.config.cli import check_config_main

    # None, not the sample's resolved folder: check_config_main says when it checks the sample.
    return check_config_main(Path(args.dir) if args.dir else None)


def cmd_import_items(args: argparse.Namespace) -> int:
    from server.config.cli import import_items_main

    return import_items_main(Path(args.file), _config_dir(args.config))


def _run_with_database(args: argparse.Namespace, action: Callable[[Accounts], Awaitable[None]], *, creates: bool = False,
                       migrate: bool = True) -> int:
    """Run `action` on the hall's accounts. `creates`: the command may be the first on a new hall
    (adding its first accounts before the hub ever started); the others refuse a database that
    is not there. `migrate`: bring the schema up to date first (`db upgrade` does it itself)."""
    import asyncio

    from server.accounts import Accounts
    from server.storage.db import open_database, upgrade
    from server.storage.start_problems import why_unusable

    settings = _settings(args)
    url = settings.database_url or str(settings.data_dir / "hallq.db")
    if not creates and not settings.database_url and not (settings.data_dir / "hallq.db").exists():
        # A mistyped --data would otherwise make a new, empty hall and list nobody.
        print(f"no hall database at {settings.data_dir / 'hallq.db'}: check --data (or --db) "
              f"(找不到大厅数据库，请核对 --data 或 --db)", file=sys.stderr)
        return 1

    async def main() -> int:
        database = open_database(settings.resolved_database_url())
        try:
            if migrate:
                await upgrade(database)
            await action(Accounts(database))
            return 0
        finally:
            await database.close()

    made = not settings.database_url and not (settings.data_dir / "hallq.db").exists()
    try:
        code = asyncio.run(main())
        if made:  # accounts added to ./data while the hub serves /var/lib/hallq sign in nowhere: say where they went
            where = (settings.data_dir / "hallq.db").resolve()
            print(f"note: a new hall database was made at {where}; the hub must run with --data {where.parent} to use it "
                  f"(已新建大厅数据库 {where}，hub 须以相同的 --data 启动)", file=sys.stderr)
        return code
    except Exception as error:
        line = why_unusable(error, url, settings.data_dir)  # a refusal, a full disk, a newer hall's database, …
        if line is None:
            raise
        print(line, file=sys.stderr)
        return 1


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    env = os.environ.get("HALLQ_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise SystemExit("no password: type it at a terminal, or give it with --password-stdin or HALLQ_PASSWORD "
                         "(请输入密码：在终端输入，或用 --password-stdin、HALLQ_PASSWORD 提供)")
    try:
        first = getpass.getpass("Password / PIN (密码): ")
        again = getpass.getpass("Again (再次输入): ")
    except (EOFError, KeyboardInterrupt):  # Ctrl-D or Ctrl-C at the prompt printed a traceback
        raise SystemExit("\nno password typed: nothing added (未输入密码，未添加账号)") from None
    if again != first:
        raise SystemExit("the two entries differ: nothing added (两次输入不一致，未添加账号)")
    return first


def _not_in_hall(args: argparse.Namespace, what: str, what_zh: str, code: str, codes_of: Callable[[HallConfig], list[str]]) -> bool:
    """True (and says so) when `code` names no zone/unit of the hall's configuration."""
    from server.config.loader import load_hall_config

    codes = codes_of(load_hall_config(_settings(args).config_dir))
    if code in codes:
        return False
    print(f"{what} {code} not found ({what}s: {', '.join(codes)}) ({what_zh}不存在：{code})", file=sys.stderr)
    return True


def cmd_user_add(args: argparse.Namespace) -> int:
    import time

    from server.accounts import Role

    # As the API refuses it: the assessment ranks people by their unit.
    if args.unit is not None and _not_in_hall(args, "unit", "单位", args.unit, lambda c: [u.code for u in c.units]):
        return 1
    password = _password(args)

    async def action(accounts: Accounts) -> None:
        await accounts.add_user(args.username, password, Role(args.role), args.name or "", args.unit, now=time.time())
        print(f"added {args.role} {args.username}")

    return _run_with_database(args, action, creates=True)


def cmd_device_add(args: argparse.Namespace) -> int:
    import time

    from server.accounts import Role

    # As the API refuses it: a board of a zone the hall lacks shows nothing.
    if args.zone is not None and _not_in_hall(args, "zone", "分区", args.zone, lambda c: [z.code for z in c.zones]):
        return 1

    async def action(accounts: Accounts) -> None:
        token = await accounts.add_device(args.name, Role(args.role), args.zone, now=time.time())
        print(token)

    return _run_with_database(args, action, creates=True)


def cmd_device_new_token(args: argparse.Namespace) -> int:
    async def action(accounts: Accounts) -> None:
        token, active = await accounts.new_device_token(args.name)
        print(token)  # alone on stdout, as `device add` prints it, for a script to take
        if not active:  # switched off by a technician, for a reason: a new token does not undo that
            print(f"note: device {args.name} stays disabled; the new token works once it is enabled: hallq device enable "
                  f"{args.name} (设备 {args.name} 仍处于停用状态，新令牌需启用后方可使用：hallq device enable {args.name})",
                  file=sys.stderr)

    return _run_with_database(args, action)


def cmd_set_active(args: argparse.Namespace) -> int:
    """`hallq user|device enable|disable NAME`."""
    active = args.switch == "enable"
    is_device = args.command == "device"

    async def action(accounts: Accounts) -> None:
        if is_device:
            await accounts.set_device_active(args.name, active)
        else:
            await accounts.set_user_active(args.name, active)
        print(f"{args.command} {args.name} {'enabled' if active else 'disabled'}")

    return _run_with_database(args, action)


def cmd_list_accounts(args: argparse.Namespace) -> int:
    """`hallq user list` and `hallq device list`: one line each, never a secret."""
    async def action(accounts: Accounts) -> None:
        rows = await (accounts.list_devices() if args.command == "device" else accounts.list_users())
        for row in rows:
            state = "active" if row.pop("active") else "disabled"
            print("  ".join(str(value) for value in row.values() if value is not None) + f"  {state}")

    return _run_with_database(args, action)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Migrate, and say what happened: it said "up to date" also right after migrating."""
    from server.storage.db import current_revision, upgrade

    async def action(accounts: Accounts) -> None:
        before = await current_revision(accounts.database)
        await upgrade(accounts.database)
        after = await current_revision(accounts.database)
        if before == after:
            print(f"database schema is up to date ({after})")
        else:
            print(f"upgraded {before or 'an empty database'} → {after}")

    return _run_with_database(args, action, creates=True, migrate=False)


def cmd_db_backup(args: argparse.Namespace) -> int:
    from server.storage.backup import BackupRefused, back_up

    settings = _settings(args)
    try:
        made = back_up(settings.data_dir, settings.database_url, Path(args.dest))
    except BackupRefused as refused:
        print(refused, file=sys.stderr)
        return 1
    with_secret = f" and {made.secret.name}" if made.secret else " (no secret.key in the data folder)"
    print(f"backed up the database ({made.size} bytes){with_secret} to {made.database.parent}; to restore: stop the hub, "
          f"remove hallq.db-wal and hallq.db-shm from its data folder, copy these files in, start the hub")
    return 0


FORWARDED = {
    "report": ("server.stats.cli", "report_main", "wait statistics for a period (csv, xlsx, html)"),
    "simulate": ("server.simulation.history", "simulate_main", "fill a database with simulated hall days"),
    "pad-sim": ("caller.sim", "main", "call-pad simulator on a pseudo-terminal"),
    "screen-sim": ("display.led.sim", "main", "LED screen simulator on a pseudo-terminal"),
    "kiosk": ("kiosk.app", "main", "the ticket kiosk"),
    "board": ("display.board.app", "main", "the TV board of a zone"),
}
"""Subcommands whose options belong to another package: their own parser reads the arguments."""


def run_forwarded(name: str, argv: list[str]) -> int:
    import importlib

    module, function, _ = FORWARDED[name]
    return int(getattr(importlib.import_module(module), function)(argv))


def _list_and_switch_parsers(commands: Any, what: str) -> None:
    """`list`, `disable NAME` and `enable NAME` for accounts and devices alike."""
    listing = commands.add_parser("list", help=f"list the {what} (never a secret)")
    _hub_options(listing)
    listing.set_defaults(func=cmd_list_accounts)
    for switch, effect in (("disable", "switch off (a running hub refuses it within 10 s)"), ("enable", "switch on again")):
        parser = commands.add_parser(switch, help=effect)
        _hub_options(parser)
        parser.add_argument("name")
        parser.set_defaults(func=cmd_set_active, switch=switch)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hallq", description="HallQ: the queue of a government service hall")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the hub")
    _hub_options(serve)
    _listen_options(serve)
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="the hub with simulated devices, citizens and staff")
    _hub_options(demo)
    _listen_options(demo)
    demo.add_argument("--speed", type=float, default=20.0, help="simulated seconds per real second")
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(func=cmd_demo)

    check = sub.add_parser("check-config", help="validate a hall configuration folder")
    check.add_argument("dir", nargs="?")
    check.set_defaults(func=cmd_check_config)

    imp = sub.add_parser("import-items", help="import or update the item catalogue from CSV or XLSX")
    imp.add_argument("file")
    imp.add_argument("--config")
    imp.set_defaults(func=cmd_import_items)

    user = sub.add_parser("user", help="accounts of people").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="add an account")
    _hub_options(add)
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["staff", "chief", "manager", "technician", "admin"])
    add.add_argument("--name", help="display name, e.g. 张三 (default, and when only spaces: the staff id)")
    add.add_argument("--unit", help="unit code")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_user_add)

    _list_and_switch_parsers(user, "accounts")
    device = sub.add_parser("device", help="device tokens").add_subparsers(dest="device_command", required=True)
    dadd = device.add_parser("add", help="register a kiosk or display and print its token")
    _hub_options(dadd)
    dadd.add_argument("name")
    dadd.add_argument("--role", required=True, choices=["kiosk", "display"])
    dadd.add_argument("--zone")
    dadd.set_defaults(func=cmd_device_add)
    new_token = device.add_parser("new-token", help="give a device a new token and print it (a running hub refuses the old one within 10 s; a disabled device stays disabled)")
    _hub_options(new_token)
    new_token.add_argument("name")
    new_token.set_defaults(func=cmd_device_new_token)
    _list_and_switch_parsers(device, "devices")

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="migrate the schema to this version")
    _hub_options(up)
    up.set_defaults(func=cmd_db_upgrade)
    backup = db.add_parser("backup", help="copy the database and secret.key into a new folder (while the hub runs)")
    _hub_options(backup)
    backup.add_argument("dest", help="a new folder for this backup in an existing one, e.g. /backup/hallq-2026-11-28")
    backup.set_defaults(func=cmd_db_backup)

    for name, (_, _, text) in FORWARDED.items():
        sub.add_parser(name, help=f"{text} (see hallq {name} --help)", add_help=False)
    return parser


def _set_up_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=LOG_FORMAT, datefmt=LOG_DATEFMT)
    if not verbose:
        # One line per plugin and per migration context at every start: `hallq report` from cron
        # printed thirteen of them before its own words.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # pygame greets stdout with its version and a web address at import (kiosk, boards, the
    # hub's voice); hallq's output is for the hall's technicians.
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    verbose = bool(argv) and argv[0] in ("-v", "--verbose")
    rest = argv[1:] if verbose else argv
    if rest and rest[0] in FORWARDED:
        _set_up_logging(verbose)
        return run_forwarded(rest[0], rest[1:])
    args = build_parser().parse_args(argv)
    _set_up_logging(args.verbose)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `hallq check-config | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush is quiet too
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
