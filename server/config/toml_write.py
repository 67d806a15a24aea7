"""A small TOML writer for the shapes our configuration files use.

The standard library reads TOML but cannot write it, and the sample hall generator (and tests
that write broken copies of a config) need to. Supports tables, arrays of tables and scalar,
list and inline-table values; that is all the hall files contain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, time
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_string(text: str) -> str:
    """A basic string; TOML forbids raw control characters, DEL included (JSON allows DEL)."""
    escaped = json.dumps(text, ensure_ascii=False)
    return escaped.replace("\x7f", "\\u007f")


def toml_key(key: str) -> str:
    # fullmatch: "$" would also accept a key ending in a newline and write broken TOML.
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, time):
        return json.dumps(f"{value:%H:%M}")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        inner = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _pairs(table: Mapping[str, Any]) -> list[str]:
    return [
        f"{toml_key(k)} = {toml_value(v)}"
        for k, v in table.items()
        if v is not None
    ]


def dump_toml(data: Mapping[str, Any], header: str = "") -> str:
    """TOML text for `data`; None values are left out (TOML has no null, and None means default)."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    scalars = {k: v for k, v in data.items() if not isinstance(v, Mapping) and not _is_table_array(v)}
    lines += _pairs(scalars)
    for key, value in data.items():
        if isinstance(value, Mapping):
            lines += ["", f"[{toml_key(key)}]", *_pairs(value)]
        elif _is_table_array(value):
            for entry in value:
                lines += ["", f"[[{toml_key(key)}]]", *_pairs(entry)]
    return "\n".join(lines).lstrip("\n") + "\n"
