"""What SQLite and PostgreSQL spell differently: UTC days and months of a timestamp, the
greater of two values, and upserts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, cast, func, literal_column, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db

# Inline constants, not bind parameters: PostgreSQL must see the expression in a SELECT and
# in its GROUP BY as the same one.
_UTC = literal_column("'UTC'")
_MONTH = literal_column("'month'")
_START_OF_MONTH = literal_column("'start of month'")


def dialect() -> str:
    return db.session.get_bind().dialect.name


def utc_day(column: Any) -> Any:
    if dialect() == "sqlite":
        # Timestamps are stored as UTC text there.
        return type_coerce(func.date(column), Date())
    return cast(func.timezone(_UTC, column), Date)


def utc_month(column: Any) -> Any:
    """The first day of the timestamp's (or date's) month."""
    if dialect() == "sqlite":
        return type_coerce(func.date(column, _START_OF_MONTH), Date())
    return cast(func.date_trunc(_MONTH, func.timezone(_UTC, column)), Date)


def month_of_date(column: Any) -> Any:
    if dialect() == "sqlite":
        return type_coerce(func.date(column, _START_OF_MONTH), Date())
    return cast(func.date_trunc(_MONTH, column), Date)


def greatest(a: Any, b: Any) -> Any:
    if dialect() == "sqlite":
        return func.max(a, b)
    return func.greatest(a, b)


def insert(model: type) -> Any:
    return (postgresql if dialect() == "postgresql" else sqlite).insert(model)


def upsert_adding(model: type, keys: list[str], sums: list[str], source: Any = None) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE adding `sums` to what is there; from a SELECT
    (`source`, its columns in the order keys + sums) or, without one, for executemany rows."""
    stmt = insert(model)
    if source is not None:
        stmt = stmt.from_select(keys + sums, source)
    table = model.__table__
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + stmt.excluded[name] for name in sums},
    )
