"""Rows written with one Core INSERT on the session's connection, for the hot paths (a purchase's
purchase, ledger entry and lot): the ORM's unit of work costs more CPU than the statement itself.

`insert_row` gives back the ORM instance too, persistent as if it had just been loaded, so that
the code after it (schemas, events, later changes flushed as UPDATEs) sees no difference. Every
column must be given: a column left out would read as expired and cost a SELECT.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import Table, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.base import manager_of_class

from app.extensions import db

T = TypeVar("T")


@functools.cache
def _insert_returning_id(table: Table):
    # Built once per table: a statement object reused keeps its cache key.
    return insert(table).returning(table.c.id)


@functools.cache
def _insert(table: Table):
    return insert(table)


def loaded(model: type[T], values: dict[str, Any]) -> T:
    """The instance of a row whose every column is in `values`, put in the session as the ORM
    puts a row it loads: its attributes set without change events, persistent, unchanged."""
    instance = manager_of_class(model).new_instance()
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


def insert_row(model: type[T], values: dict[str, Any]) -> T:
    """INSERT one row (all columns but `id`), and its instance in the session."""
    table = model.__table__  # type: ignore[attr-defined]
    row_id = db.session.connection().execute(_insert_returning_id(table), values).scalar_one()
    return loaded(model, {"id": row_id, **values})


def insert_values(model: type, values: dict[str, Any]) -> None:
    """INSERT one row that nothing after reads as an object."""
    db.session.connection().execute(_insert(model.__table__), values)  # type: ignore[attr-defined]
