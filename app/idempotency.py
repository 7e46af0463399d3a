"""Idempotent writes: a retried request returns the first result, a changed body is a conflict.

The key row is inserted first, inside the same transaction as the write it guards. A concurrent
request with the same key blocks on the unique index until the first one commits (PostgreSQL) and
then replays its stored answer, so the write happens exactly once however requests race.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.errors import ApiError
from app.extensions import db
from app.models_base import created_at_column

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
    replay = _replay(scope, key, digest)
    if replay is not None:
        return replay
    record = IdempotencyRecord(scope=scope, key=key, request_hash=digest)
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request with this key committed first: answer as it answered.
        db.session.rollback()
        replay = _replay(scope, key, digest)
        if replay is None:  # pragma: no cover - the winner's row is committed by now
            raise ApiError(
                409, "idempotency_in_progress", "A request with this key is running."
            ) from None
        return replay
    try:
        body, status = action()
        record.status_code = status
        record.response = body
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return body, status, False


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
