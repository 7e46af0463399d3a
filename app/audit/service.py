"""Recording operators' actions in the transaction that makes them, and reading the trail.

`record(...)` is called by a handler (core or feature) before the change commits. The entry is
written by the commit itself (a `before_commit` hook), so it commits or rolls back with the
change: no change without its entry, no entry for a change that failed. The values after are
read at that moment, from the objects as they are committed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_app_context, has_request_context, request
from marshmallow import Schema
from sqlalchemy import Select, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.extensions import db

_PENDING_KEY = "audit_pending"
_UNSET: Any = object()
SYSTEM = "system"

Value = dict | Callable[[], dict | None] | None


@dataclass
class _Pending:
    action: str
    target: Any
    target_type: str | None
    before: Value
    after: Value
    actor_id: str
    actor_role: str
    client_addr: str | None
    request_id: str | None


def record(
    action: str,
    target: Any,
    *,
    schema: Schema | type[Schema] | None = None,
    created: bool = False,
    before: Value = _UNSET,
    after: Value = _UNSET,
    target_type: str | None = None,
    actor: Any = None,
) -> None:
    """Record `action` on `target` with the change being made in this transaction.

    `target` is a model object (its type from its class, its id from `public_id`, else `code`,
    else the row id; read at commit, so a new object has its id) or an id with `target_type`.
    With `schema`, the values are the target dumped through it: now (none when `created`) and
    at commit. `before`/`after` give them instead; `after` may be a callable, called at commit.
    """
    if schema is not None:
        dumper = schema() if isinstance(schema, type) else schema
        if before is _UNSET:
            before = None if created else _dump(dumper, target)
        if after is _UNSET:
            after = lambda: _dump(dumper, target)  # noqa: E731 - read at commit
    who_id, who_role = _actor(actor)
    pending = _Pending(
        action=action,
        target=target,
        target_type=target_type,
        before=None if before is _UNSET else before,
        after=None if after is _UNSET else after,
        actor_id=who_id,
        actor_role=who_role,
        client_addr=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_app_context() else None,
    )
    db.session.info.setdefault(_PENDING_KEY, []).append(pending)


def _dump(schema: Schema, target: Any) -> dict:
    # Through JSON once: what the column stores is what a reader gets back.
    return json.loads(json.dumps(schema.dump(target), default=str))


def _actor(actor: Any) -> tuple[str, str]:
    if actor is None and has_app_context():
        actor = g.get("user")
    if actor is None:
        return SYSTEM, SYSTEM
    return actor.public_id, actor.role


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _target(pending: _Pending) -> tuple[str, str]:
    target = pending.target
    if isinstance(target, str):
        return pending.target_type or "unknown", target
    kind = pending.target_type or _snake(type(target).__name__)
    ident = getattr(target, "public_id", None) or getattr(target, "code", None) or target.id
    return kind, str(ident)


def _value(value: Value) -> dict | None:
    return value() if callable(value) else value


@sa_event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    # A released SAVEPOINT fires this too; the entries belong to the real commit.
    if session.in_nested_transaction():
        return
    pending: list[_Pending] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    # New targets get their ids now; the commit then flushes the entries with the change.
    session.flush()
    for item in pending:
        target_type, target_id = _target(item)
        session.add(
            AuditEvent(
                actor_id=item.actor_id,
                actor_role=item.actor_role,
                action=item.action,
                target_type=target_type,
                target_id=target_id,
                client_addr=item.client_addr,
                request_id=item.request_id,
                before=_value(item.before),
                after=_value(item.after),
            )
        )


@sa_event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    # Whatever the outer transaction did not commit (a rollback, or a session closed after
    # an error) is forgotten with it: an entry only ever goes with its change.
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


def query(
    *,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """Newest first; `action` ending in `.` matches every action it begins (`tier.`)."""
    stmt: Select = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor:
        stmt = stmt.where(AuditEvent.actor_id == actor)
    if action:
        if action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    if target_type:
        stmt = stmt.where(AuditEvent.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEvent.target_id == target_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.created_at < until)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return list(db.session.scalars(stmt))
