"""Dialect parameters: the data that makes one vendor's board differ from another's.

Every dialect has a frozen dataclass of parameters with documented defaults; a technician
overrides any of them from the device configuration (TOML/JSON mapping) without code. This
module holds the shared fields and the one converter from a config mapping to such a
dataclass, so every dialect reports unknown keys and bad values the same way.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from display.led.errors import ParamsError
from display.led.textcodec import UNENCODABLE_POLICIES


@dataclass(frozen=True)
class DialectParams:
    """Fields every dialect has.

    min_interval_s: pause between the end of one frame on the wire and the next frame (boards
    drop frames that arrive while they redraw). line_separator: joins ScreenText.lines for a
    one-line module. on_unencodable: "error" refuses text with characters outside the screen's
    character set, "replace" shows '?'. baud: the usual line speed of the dialect, used for
    pacing (a frame occupies len*10/baud seconds of wire time at 8N1).
    """

    min_interval_s: float = 0.05
    line_separator: str = " "
    on_unencodable: str = "error"
    baud: int = 9600

    def __post_init__(self) -> None:
        if self.min_interval_s < 0:
            raise ParamsError(f"min_interval_s must be >= 0, got {self.min_interval_s!r}")
        if self.on_unencodable not in UNENCODABLE_POLICIES:
            raise ParamsError(
                f"on_unencodable must be one of {UNENCODABLE_POLICIES}, got {self.on_unencodable!r}"
            )
        if self.baud <= 0:
            raise ParamsError(f"baud must be > 0, got {self.baud!r}")


P = TypeVar("P", bound=DialectParams)


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    """Refuse a parameter value outside its documented choices, listing them."""
    if value not in choices:
        raise ParamsError(f"{name} must be one of {choices}, got {value!r}")


def _convert(name: str, value: Any, default: Any) -> Any:
    """Turn a config value into the type of the field's default, or say why not."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ParamsError(f"{name}: expected true/false, got {value!r}")
        return value
    if isinstance(default, enum.Enum):
        try:
            return type(default)(value)
        except ValueError:
            choices = [member.value for member in type(default)]
            raise ParamsError(f"{name}: expected one of {choices}, got {value!r}") from None
    if isinstance(default, int):
        if isinstance(value, str):
            try:
                return int(value, 0)
            except ValueError:
                raise ParamsError(f"{name}: expected an integer, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{name}: expected an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamsError(f"{name}: expected a number, got {value!r}")
        return float(value)
    if isinstance(default, bytes):
        return _convert_bytes(name, value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ParamsError(f"{name}: expected a string, got {value!r}")
        return value
    if isinstance(default, tuple):
        return _convert_pairs(name, value)
    raise ParamsError(f"{name}: cannot be set from configuration")


def _convert_bytes(name: str, value: Any) -> bytes:
    """Bytes from hex text ("08 02") or a list of integers ([8, 2])."""
    try:
        if isinstance(value, str):
            return bytes.fromhex(value)
        if isinstance(value, (list, tuple)):
            return bytes(value)
    except ValueError as exc:
        raise ParamsError(f"{name}: bad bytes {value!r}: {exc}") from None
    raise ParamsError(f"{name}: expected hex text like \"08 02\" or a list of bytes, got {value!r}")


def _convert_pairs(name: str, value: Any) -> tuple[tuple[str, str], ...]:
    """Ordered (from, to) text pairs from a mapping or a list of two-item lists."""
    items = list(value.items()) if isinstance(value, Mapping) else value
    if not isinstance(items, (list, tuple)):
        raise ParamsError(f"{name}: expected a table or a list of [from, to] pairs, got {value!r}")
    pairs = []
    for item in items:
        if (
            not isinstance(item, (list, tuple))
            or len(item) != 2
            or not all(isinstance(part, str) for part in item)
        ):
            raise ParamsError(f"{name}: each entry must be [from, to] strings, got {item!r}")
        pairs.append((item[0], item[1]))
    return tuple(pairs)


def params_from_mapping(cls: type[P], mapping: Mapping[str, Any], *, source: str = "params") -> P:
    """Build cls from a config mapping; errors name the source, the key and the reason."""
    fields = {field.name: field for field in dataclasses.fields(cls)}
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise ParamsError(
            f"{source}: unknown key(s) {unknown} for {cls.__name__}; known: {sorted(fields)}"
        )
    values = {}
    for key, value in mapping.items():
        field = fields[key]
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:  # pragma: no cover - every parameter has a default by design
            default = value
        try:
            values[key] = _convert(key, value, default)
        except ParamsError as exc:
            raise ParamsError(f"{source}: {exc}") from None
    try:
        return cls(**values)
    except ParamsError as exc:
        raise ParamsError(f"{source}: {exc}") from None
