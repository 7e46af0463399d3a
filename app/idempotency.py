"""Idempotent writes: a retried request returns the first result, a changed body is a conflict.

The key row is inserted first, inside the same transaction as the write it guards. A concurrent
request with the same key blocks on the unique index until the first one commits (PostgreSQL) and
then replays its stored answer, so the write happens exactly once however requests race.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.errors import ApiError
from app.extensions import db
from app.models_base import created_at_column, utcnow

MAX_KEY_LENGTH = 200


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("scope", "key"),
        # Retention deletes keys by age (app.retention).
        Index("ix_idempotency_keys_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()


def fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def require_key(raw: str | None) -> str:
    if not raw:
        raise ApiError(
            400, "idempotency_key_required", "Send an Idempotency-Key header with this request."
        )
    if len(raw) > MAX_KEY_LENGTH:
        raise ApiError(400, "idempotency_key_invalid", "The Idempotency-Key is too long.")
    return raw


def run_once(
    scope: str, key: str, payload: Any, action: Callable[[], tuple[Any, int]]
) -> tuple[Any, int, bool]:
    """Run `action` once per (scope, key) and commit; returns (body, status, replayed)."""
    digest = fingerprint(payload)
    record_id = _claim(scope, key, digest)
    if record_id is None:
        # Another request with this key committed first: answer as it answered.
        replay = _replay(scope, key, digest)
        if replay is None:  # pragma: no cover - the winner's row is committed by now
            raise ApiError(409, "idempotency_in_progress", "A request with this key is running.")
        return replay
    try:
        body, status = action()
        db.session.connection().execute(
            _ANSWER, {"record_id": record_id, "status": status, "body": body}
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return body, status, False


def _claim(scope: str, key: str, digest: str) -> int | None:
    """Insert the key's row, in one statement whether or not it exists; its id, or None when
    the key was used already (PostgreSQL waits here while another request with the key runs,
    and answers None once that one committed)."""
    session = db.session
    stmt = _claim_statement(session.get_bind().dialect.name)
    if stmt is None:
        return _claim_portably(scope, key, digest)
    values = {"scope": scope, "key": key, "request_hash": digest, "created_at": utcnow()}
    # On the connection: the session's ORM layer adds nothing to a Core statement but CPU.
    return session.connection().execute(stmt, values).scalar()


@functools.cache
def _claim_statement(dialect: str):
    # Built once: a statement object reused keeps its cache key.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return None
    table = IdempotencyRecord.__table__
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.scope, table.c.key])
        .returning(table.c.id)
    )


_ANSWER = (
    update(IdempotencyRecord.__table__)
    .where(IdempotencyRecord.__table__.c.id == bindparam("record_id"))
    .values(status_code=bindparam("status"), response=bindparam("body"))
)


def _claim_portably(scope: str, key: str, digest: str) -> int | None:
    if _replay(scope, key, digest) is not None:
        return None
    record = IdempotencyRecord(scope=scope, key=key, request_hash=digest)
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    return record.id


def _replay(scope: str, key: str, digest: str) -> tuple[Any, int, bool] | None:
    record = db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != digest:
        raise ApiError(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request.",
        )
    return record.response, record.status_code or 200, True
