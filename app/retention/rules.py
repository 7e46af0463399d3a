"""What is kept how long: one rule per table, registered on the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Table

from app.auth.models import AuthSession, PasswordResetToken
from app.idempotency import IdempotencyRecord
from app.outbox import OutboxJob

Due = Callable[[datetime], ColumnElement[bool]]
Prepare = Callable[[datetime], None]
_EXTENSION = "retention_rules"


@dataclass(frozen=True)
class RetentionRule:
    """`due(now)`: the rows past their period (on indexed columns: it is run once a batch).
    `prepare(now)`, when given, runs (and is committed) before the first batch: what must
    outlive the rows, such as counts, is kept there. `planned(now)`: what `due` will select
    once `prepare` has run, for a dry run (default: `due`)."""

    name: str
    table: Table
    due: Due
    prepare: Prepare | None = None
    planned: Due | None = None


def register_retention(
    app: Flask,
    name: str,
    table: Table,
    due: Due,
    *,
    prepare: Prepare | None = None,
    planned: Due | None = None,
) -> None:
    """Add a table to this app's retention (from a package's init_app). The table needs a
    single-column primary key: rows are deleted by it, a batch at a time."""
    rules = app.extensions.setdefault(_EXTENSION, {})
    if name in rules:
        raise ValueError(f"retention rule {name!r} is already registered")
    if len(table.primary_key.columns) != 1:
        raise ValueError(f"{table.name}: retention deletes by a single-column primary key")
    rules[name] = RetentionRule(name, table, due, prepare, planned)


def registered_rules(app: Flask | None = None) -> list[RetentionRule]:
    app = app or current_app
    return list(app.extensions.get(_EXTENSION, {}).values())


def days(setting: str) -> timedelta:
    return timedelta(days=int(current_app.config[setting]))


def register_core(app: Flask) -> None:
    register_retention(
        app,
        "idempotency_keys",
        IdempotencyRecord.__table__,
        lambda now: IdempotencyRecord.created_at < now - days("RETENTION_IDEMPOTENCY_DAYS"),
    )
    # A session is over for good once its newest refresh token has expired: no token of it
    # can be used any more, revoked or not.
    register_retention(
        app,
        "auth_sessions",
        AuthSession.__table__,
        lambda now: (
            AuthSession.refreshed_at < now - current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
        ),
    )
    # Done jobs only: failed ones (given up) are what operators look into, and what the
    # outbox metrics count.
    register_retention(
        app,
        "outbox_jobs",
        OutboxJob.__table__,
        lambda now: (
            (OutboxJob.status == "done")
            & (OutboxJob.finished_at < now - days("RETENTION_OUTBOX_DAYS"))
        ),
    )
    register_retention(
        app,
        "password_reset_tokens",
        PasswordResetToken.__table__,
        lambda now: PasswordResetToken.expires_at < now - days("RETENTION_RESET_TOKEN_DAYS"),
    )
