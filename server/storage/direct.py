"""Prebuilt hot-path statements executed straight on the sqlite3 driver.

Measured here (docs/benchmarks.md): issuing a ticket runs eight statements; through SQLAlchemy's
execution machinery (compiled-cache lookup, parameter construction, execution context, result
metadata) they cost about 460 us, while the same SQL on the sqlite3 cursor costs about 230 us with
the commit. So the statements marked `direct()` in statements.py are compiled once per parameter
set for SQLite, with their type conversions (dates, booleans, JSON) taken from the columns' own
types, and run on the driver connection inside the transaction SQLAlchemy began. Everything else,
and every statement on PostgreSQL, goes through SQLAlchemy unchanged.

Errors keep SQLAlchemy's types (`sqlalchemy.exc.IntegrityError` etc.), so callers cannot tell
which path ran a statement; the engine tests run on both paths (SQLite and PostgreSQL).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, NoResultFound, MultipleResultsFound
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

DIRECT_OPTION = "hallq_direct"
E = TypeVar("E", bound=Executable)


def direct(statement: E) -> E:
    """Mark a prebuilt, long-lived statement for direct execution on SQLite."""
    return statement.execution_options(**{DIRECT_OPTION: True})


Processor = Callable[[Any], Any] | None


@dataclass(eq=False)
class _Plan:
    """A statement compiled for SQLite with one set of parameter names."""

    sql: str
    params: tuple[tuple[str, Any, bool, Processor], ...]  # name, literal value, required, bind processor
    returns_rows: bool
    is_returning_dml: bool
    processors: tuple[Processor, ...]  # per result column, from the column's own type
    # Learnt from the first result (the SQL's own labels, as SQLAlchemy's rows have them, e.g.
    # count_1 for an unnamed count): the column names, and (position, name, processor) of the
    # columns whose values are converted. Rows are then built by C (dict of zip) plus those few
    # conversions, not by a Python loop over every column.
    names: tuple[str, ...] | None = None
    conversions: tuple[tuple[int, str, Callable[[Any], Any]], ...] = ()

    def learn_names(self, description: Sequence[Sequence[Any]]) -> tuple[str, ...]:
        names = tuple(column[0] for column in description)
        self.conversions = tuple(
            (position, name, processor)
            for position, (name, processor) in enumerate(zip(names, self.processors))
            if processor is not None
        )
        self.names = names
        return names


_DATE_FORMAT = "%(year)04d-%(month)02d-%(day)02d"


def _bind_processor(type_: Any, dialect: Dialect) -> Processor:
    """The column type's own bind processor, except SQLite's for dates in the default format:
    `date.isoformat()` writes the same text (YYYY-MM-DD) at a fraction of the cost of the
    generic formatter, and every hot statement binds the hall day."""
    impl = type_.dialect_impl(dialect)
    processor = impl.bind_processor(dialect)
    if processor is None or getattr(impl, "_storage_format", None) != _DATE_FORMAT:
        return processor

    def iso_date(value: Any) -> Any:
        return value.isoformat() if type(value) is date else processor(value)

    return iso_date


def _plan(statement: ClauseElement, dialect: Dialect, keys: frozenset[str]) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    assert isinstance(compiled, SQLCompiler)  # direct() statements are queries and DML, not DDL
    if compiled.insert_prefetch or compiled.update_prefetch or compiled.positiontup is None:
        return None  # needs Python-side column defaults evaluated per row: SQLAlchemy's job
    if "POSTCOMPILE" in compiled.string:
        return None  # expanding IN: rendered per execution
    params = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        processor = _bind_processor(bind.type, dialect)
        params.append((name, bind.value, bind.required and name not in keys and bind.callable is None, processor))
    exported = list(statement.exported_columns)  # type: ignore[attr-defined]  # select list or RETURNING
    processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in exported)
    is_dml = bool(compiled.isinsert or compiled.isupdate or compiled.isdelete)
    return _Plan(compiled.string, tuple(params), bool(exported), is_dml and bool(exported), processors)


class DirectRow:
    """What the engine reads of a Row: `_mapping`, attribute access and position."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: dict[str, Any]):
        self._mapping = mapping

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, index: int) -> Any:
        return list(self._mapping.values())[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._mapping.values())


class DirectResult:
    """The part of SQLAlchemy's Result the engine uses, over rows already fetched."""

    def __init__(self, rows: list[DirectRow], rowcount: int):
        self._rows = rows
        self.rowcount = rowcount

    def all(self) -> list[DirectRow]:
        return self._rows

    def first(self) -> DirectRow | None:
        return self._rows[0] if self._rows else None

    def one(self) -> DirectRow:
        if len(self._rows) != 1:
            raise NoResultFound("no row") if not self._rows else MultipleResultsFound("more than one row")
        return self._rows[0]

    def scalar(self) -> Any:
        first = self.first()
        return None if first is None else first[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


class DirectConnection:
    """A Connection that runs `direct()` statements on the sqlite3 driver and delegates the rest.

    Created per transaction by the Database; `plans` is the Database's cache of compiled plans.
    """

    def __init__(self, conn: Connection, plans: dict[tuple[Any, tuple[str, ...]], _Plan | None]):
        self._conn = conn
        self._plans = plans
        self._driver: sqlite3.Connection = conn.connection.dbapi_connection  # type: ignore[assignment]  # pysqlite's

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, statement: Any, parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None, **kw: Any) -> Any:
        params = {} if parameters is None else parameters
        if kw or type(params) is not dict:  # keyword options or several parameter sets: SQLAlchemy's
            return self._conn.execute(statement, parameters, **kw)
        key = (statement, tuple(params))
        plan = self._plans.get(key, _MISSING)
        if plan is _MISSING:
            if not statement.get_execution_options().get(DIRECT_OPTION):  # not cached: may be built per call
                return self._conn.execute(statement, parameters)
            plan = self._plans[key] = _plan(statement, self._conn.dialect, frozenset(params))
        if plan is None:
            return self._conn.execute(statement, parameters)
        return self._run(plan, params)

    def _run(self, plan: _Plan, params: Mapping[str, Any]) -> DirectResult:
        values = []
        for name, literal, required, processor in plan.params:
            if name in params:
                value = params[name]
            elif required:
                raise KeyError(f"statement needs parameter {name!r}")
            else:
                value = literal
            values.append(processor(value) if processor is not None else value)  # None too, as SQLAlchemy does
        try:
            cursor = self._driver.execute(plan.sql, values)
            raw = cursor.fetchall() if plan.returns_rows else []
            # sqlite3 counts RETURNING rows only while they are stepped through: use what was read.
            rowcount = len(raw) if plan.is_returning_dml else cursor.rowcount
        except sqlite3.Error as error:
            raise DBAPIError.instance(plan.sql, values, error, sqlite3.Error) from error
        if not raw:
            return DirectResult([], rowcount)
        names = plan.names or plan.learn_names(cursor.description)
        conversions = plan.conversions
        rows = []
        for values_of_row in raw:
            mapping = dict(zip(names, values_of_row))
            for position, name, processor in conversions:
                mapping[name] = processor(values_of_row[position])
            rows.append(DirectRow(mapping))
        return DirectResult(rows, rowcount)


_MISSING: Any = object()
