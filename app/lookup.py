from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from app.errors import ApiError, not_found
from app.extensions import db

T = TypeVar("T")


def by_public_id(model: type[T], public_id: str | None, what: str, *, lock: bool = False) -> T:
    """The row a client names by its public id, or a 404 `<what>_not_found`; `lock` takes the
    row lock and reloads it."""
    stmt = select(model).where(model.public_id == public_id)  # type: ignore[attr-defined]
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = db.session.scalar(stmt)
    if row is None:
        raise not_found(what)
    return row


def optional_ref(model: type, public_id: str | None, field: str) -> int | None:
    """A reference given by public id in a body, or None; a bad one is a 422 on that field."""
    if public_id is None:
        return None
    row = db.session.scalar(select(model).where(model.public_id == public_id))
    if row is None:
        raise ApiError(
            422, "validation_error", f"Unknown {field}.", {"fields": {field: ["unknown id"]}}
        )
    return row.id


def apply(row: object, changes: dict) -> None:
    for field, value in changes.items():
        setattr(row, field, value)
