"""`hallq report --from --to --by --format csv|xlsx|html [--out FILE]` (the lead wires the
subcommand to `report_main`). Catches the facts up first, so the file matches the ledger."""
from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from server.errors import HallQError
from server.stats.metrics import GROUPINGS, Figures


def _day(text: str) -> date:
    """A hall day as YYYY-MM-DD; anything else is refused in both languages (argparse said only
    "invalid fromisoformat value")."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-26 (日期应写作 2026-11-26)") from None


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hallq report", description="wait, service and satisfaction figures for a period")
    parser.add_argument("--from", dest="start", type=_day, required=True, help="first hall day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=_day, required=True, help="last hall day, YYYY-MM-DD")
    parser.add_argument("--by", default="day", choices=GROUPINGS)
    parser.add_argument("--format", default="csv", choices=("csv", "xlsx", "html"))
    parser.add_argument("--out", help="output file (default: standard output; required for xlsx)")
    parser.add_argument("--data", default="data", help="the hub's local data folder (default: ./data)")
    parser.add_argument("--db", help="database URL (default: SQLite in the data folder)")
    parser.add_argument("--config", help="hall configuration folder, the one the hub serves (default: the sample hall, "
                                         "with a warning)")
    return parser.parse_args(list(argv))


async def _figures(args: argparse.Namespace) -> tuple[str, list[Figures]]:
    """The hall's name and the period's rows, labelled with names as the report page shows them."""
    from server.config.loader import load_hall_config
    from server.config.paths import default_config_dir
    from server.engine.clock import SystemClock
    from server.stats.facts import FactBuilder
    from server.stats.labels import GroupLabels, staff_names
    from server.stats.metrics import figures
    from server.storage.db import default_database_url, open_database, upgrade

    config = load_hall_config(Path(args.config) if args.config else default_config_dir())
    database = open_database(args.db or default_database_url(Path(args.data)))
    try:
        await upgrade(database)
        await FactBuilder(database, config, SystemClock()).ready_for(args.start, args.end)
        rows, names = await database.read(lambda c: (figures(c, args.start, args.end, args.by,
                                                                     service_level_min=config.hall.service_level_min),
                                                             staff_names(c)))
        return config.hall.name, GroupLabels(config, names).apply(rows, args.by)
    finally:
        await database.close()


def report_main(argv: Sequence[str]) -> int:
    from server.stats.export import to_csv, to_html, to_xlsx

    from sqlalchemy.exc import SQLAlchemyError

    args = _parse(argv)
    if args.format == "xlsx" and not args.out:
        print("--out FILE is required for xlsx", file=sys.stderr)
        return 2
    if args.out and not Path(args.out).resolve().parent.is_dir():
        print(f"no folder {Path(args.out).resolve().parent} to write {args.out} in (输出文件夹不存在)", file=sys.stderr)
        return 2
    if not args.db and not (Path(args.data) / "hallq.db").exists():  # a mistyped folder: not a new, empty hall
        print(f"no hall database at {Path(args.data) / 'hallq.db'}: check --data (or --db) (找不到大厅数据库)", file=sys.stderr)
        return 2
    if args.config is None:  # as the hub says at its start: the labels and targets would be another hall's
        print("report: no --config given: zones, queues, windows and the service level are the SAMPLE hall's "
              "(config/), not this hall's; give the hub's configuration folder with --config DIR "
              "(未指定 --config，报表使用示例大厅的配置，并非本大厅的配置)", file=sys.stderr)
    try:
        hall_name, rows = asyncio.run(_figures(args))
    except HallQError as error:
        print(f"{error.message_en} ({error.message_zh})", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as error:
        print(f"cannot read the database: {error.__class__.__name__}: {error} (无法打开数据库，请核对 --db)", file=sys.stderr)
        return 2
    title = f"{hall_name}统计报表 {args.start}至{args.end}"
    data = {"csv": lambda: to_csv(rows, args.by), "xlsx": lambda: to_xlsx(rows, args.by),
            "html": lambda: to_html(rows, args.by, title).encode("utf-8")}[args.format]()
    if args.out:
        Path(args.out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0
