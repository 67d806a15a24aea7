"""The one error shape every configuration check reports.

A technician fixes a hall's files from these messages alone, so each problem names the file,
the key path inside it and a plain reason. Checks collect problems instead of raising on the first
one, because a technician with ten mistakes should see all ten in one run of `check-config`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

HALL_FILE = "hall.toml"
ZONES_FILE = "zones.toml"
WINDOWS_FILE = "windows.toml"
ITEMS_FILE = "items.csv"


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in one place: `windows.toml: windows[12].queues.Z9: unknown queue`."""

    file: str
    key_path: str
    reason: str

    def __str__(self) -> str:
        if self.key_path:
            return f"{self.file}: {self.key_path}: {self.reason}"
        return f"{self.file}: {self.reason}"


class ConfigError(Exception):
    """Raised with every problem found, never only the first."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems: list[ConfigProblem] = list(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} configuration problem(s):\n{lines}")


def key_path(loc: Iterable[str | int]) -> str:
    """Render a pydantic location as a key path a technician can search for.

    ("windows", 12, "queues", "Z9") -> "windows[12].queues.Z9"
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def join_path(prefix: str, suffix: str) -> str:
    """Append a key path to a prefix without doubling or losing the dot."""
    if not prefix:
        return suffix
    if not suffix:
        return prefix
    return prefix + (suffix if suffix.startswith("[") else "." + suffix)


def problems_from_validation(
    error: ValidationError, file: str, prefix: str = ""
) -> list[ConfigProblem]:
    """Turn pydantic's errors into ours, keeping its precise locations."""
    problems = []
    for detail in error.errors(include_url=False):
        loc = tuple(p for p in detail["loc"] if p != "__root__")
        reason = detail["msg"]
        gloss = REASONS_ZH.get(detail["type"])
        if detail["type"] == "extra_forbidden":
            reason = "unknown key (not part of the configuration format; check its spelling)"
        elif detail["type"] == "missing":
            reason = "required key is missing"
        elif reason.startswith("Value error, "):
            reason = reason.removeprefix("Value error, ")
        if "input" in detail and detail["type"] not in ("extra_forbidden", "missing"):
            shown = repr(detail["input"])
            if len(shown) <= 60 and not isinstance(detail["input"], (dict, list)) and shown not in reason:
                reason = f"{reason} (got {shown})"
            reason += full_width_in_value(detail["input"])
        if gloss:
            reason += f"（{gloss}）"
        problems.append(ConfigProblem(file, join_path(prefix, key_path(loc)), reason))
    return problems


REASONS_ZH = {
    "extra_forbidden": "未知的键，请检查拼写",
    "missing": "缺少必填项",
    "time_parsing": "时间应写作 HH:MM，如 08:30", "time_type": "时间应写作 HH:MM，如 08:30",
    "date_parsing": "日期应写作 YYYY-MM-DD", "date_from_datetime_parsing": "日期应写作 YYYY-MM-DD", "date_type": "日期应写作 YYYY-MM-DD",
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
    "string_type": "应为加引号的文字",
    "string_too_short": "内容太短", "string_too_long": "内容太长", "too_short": "项数太少", "too_long": "项数太多",
    "greater_than": "数值太小", "greater_than_equal": "数值太小", "less_than": "数值太大", "less_than_equal": "数值太大",
    "list_type": "应为列表 [ ]", "dict_type": "应为表", "model_type": "应为表",
    "literal_error": "取值不在允许范围内", "enum": "取值不在允许范围内", "string_pattern_mismatch": "格式不符",
}
"""A Chinese gloss of pydantic's error types, after its English reason: check-config's lines are
what a hall's technician must act on, and 'Input should be a valid integer' alone asked them to
read English. (The hints our own checks add are bilingual; their own reasons are still English.)"""


FULL_WIDTH_MEANT = {"：": ":", "－": "-", "．": ".", "，": ",", "　": " ", "０": "0", "１": "1", "２": "2", "３": "3",
                    "４": "4", "５": "5", "６": "6", "７": "7", "８": "8", "９": "9", "／": "/"}
"""Characters a Chinese input method types where a time, date or number wants ASCII: inside a
value, so `：` means ':' here, where loader.FULL_WIDTH (between key and value) reads it as '='."""


def full_width_in_value(value: object) -> str:
    """A hint when a refused value holds full-width characters (`"15：00"`): on screen they look
    like the ASCII ones, and pydantic's 'invalid time separator' did not say which."""
    if not isinstance(value, str):
        return ""
    found = list(dict.fromkeys(c for c in value if c in FULL_WIDTH_MEANT))
    if not found:
        return ""
    named = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in found)
    meant = ", ".join(f"'{FULL_WIDTH_MEANT[c]}'" for c in found)
    return (f"; it has the full-width {named}, typed with a Chinese input method: write the ASCII {meant} "
            f"(值中含全角字符，请改为半角)")
