"""Drawing and recording an audience's holdout groups."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.holdout import rules
from app.holdout.models import HoldoutAssignment
from app.models_base import utcnow

# subject kind -> the model whose rows are the subjects (their public ids for the export). The
# core's offers are here; the notifications package adds its campaigns (the core never imports it).
_SUBJECT_MODELS: dict[str, type] = {}


def register_subject(kind: str, model: type) -> None:
    if kind not in rules.SUBJECT_KINDS:
        raise ValueError(f"unknown holdout subject kind {kind!r}")
    _SUBJECT_MODELS[kind] = model


def subject_public_id(assignment: HoldoutAssignment) -> str | None:
    """The subject's public id, or None when no loaded package knows its kind."""
    model = _SUBJECT_MODELS.get(assignment.subject_kind)
    row = db.session.get(model, assignment.subject_id) if model is not None else None
    return row.public_id if row is not None else None


def salt() -> bytes:
    """HOLDOUT_SALT, or one derived from SECRET_KEY when it is unset (then rotating the secret
    key redraws the groups of offers still running: production should set it)."""
    config = current_app.config
    explicit = config.get("HOLDOUT_SALT")
    if explicit:
        return explicit.encode()
    return hmac.new(config["SECRET_KEY"].encode(), b"holdout-salt", hashlib.sha256).digest()


def is_held_out(subject_kind: str, subject_id: int, member_id: int, percent: int) -> bool:
    return rules.held_out(salt(), subject_kind, subject_id, member_id, percent)


def record(subject_kind: str, subject_id: int, percent: int, member_ids: Iterable[int]) -> set[int]:
    """Draw and record the groups of these members of the subject's audience (in the caller's
    transaction); returns the held-out ones. A member recorded before keeps the first row, so
    a fan-out run again records nothing twice."""
    key = salt()
    now = utcnow()
    rows = [
        {
            "subject_kind": subject_kind,
            "subject_id": subject_id,
            "member_id": member_id,
            "held_out": rules.held_out(key, subject_kind, subject_id, member_id, percent),
            "assigned_at": now,
        }
        for member_id in dict.fromkeys(member_ids)
    ]
    if rows:
        db.session.execute(_insert_new(), rows)
    return {row["member_id"] for row in rows if row["held_out"]}


def _insert_new():
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(HoldoutAssignment).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(HoldoutAssignment).on_conflict_do_nothing()
    return insert(HoldoutAssignment)
