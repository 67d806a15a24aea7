"""Call-pad dialects. Each module here (except ``base``) defines ``DIALECT``, a class with a ``name``
and a ``Params`` dataclass; ``make_dialect`` finds it by name.

Why discovery instead of a hand-kept list: adding a vendor should be one small file, with no
registry to edit and no module-level mutable state (the scan runs on each call; it is cheap).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any, Protocol

from caller.dialects.base import Dialect, Frame, FrameDecoder
from caller.errors import UnknownDialect

__all__ = ["Dialect", "DialectClass", "Frame", "FrameDecoder", "dialect_classes", "make_dialect"]


class DialectClass(Protocol):
    """What ``make_dialect`` needs of a ``DIALECT`` class: its name, its ``Params`` dataclass, and
    to make a dialect from an instance of it."""

    name: str
    Params: type[Any]

    def __call__(self, params: Any, /) -> Dialect: ...


def dialect_classes() -> dict[str, DialectClass]:
    """name -> dialect class for every module in this package that defines ``DIALECT``."""
    found: dict[str, DialectClass] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        cls = getattr(module, "DIALECT", None)
        if cls is not None:
            found[cls.name] = cls
    return found


def make_dialect(name: str, params: Mapping[str, Any] | None = None) -> Dialect:
    """A fresh dialect instance (one per bus: polled and hallq dialects keep per-address memory).

    ``params`` come from the device configuration; an unknown key is an error that names it.
    """
    classes = dialect_classes()
    if name not in classes:
        raise UnknownDialect(f"unknown call-pad dialect {name!r}; known: {', '.join(sorted(classes))}")
    cls = classes[name]
    known = {f.name for f in dataclasses.fields(cls.Params)}
    unknown = sorted(set(params or {}) - known)
    if unknown:
        raise UnknownDialect(f"dialect {name!r} has no parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return cls(cls.Params(**dict(params or {})))
