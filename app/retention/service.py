"""Pruning: per rule, `DELETE ... WHERE id IN (SELECT id ... LIMIT n)` until none is left, each
batch its own short transaction, so no lock is held long and a large backlog never blocks the
writers of the table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models_base import utcnow
from app.retention.rules import RetentionRule, registered_rules

Progress = Callable[[RetentionRule, int], None]


@dataclass(frozen=True)
class TableReport:
    name: str
    table: str
    rows: int


def due_count(rule: RetentionRule, now: datetime) -> int:
    """What a run now would delete (`planned`: as if its `prepare` had run)."""
    where = (rule.planned or rule.due)(now)
    return db.session.scalar(select(func.count()).select_from(rule.table).where(where))


def plan(now: datetime | None = None) -> list[TableReport]:
    """What a run would delete now, per table; deletes nothing."""
    now = now or utcnow()
    reports = [TableReport(r.name, r.table.name, due_count(r, now)) for r in registered_rules()]
    db.session.rollback()
    return reports


def prune(rule: RetentionRule, now: datetime, batch: int, progress: Progress | None) -> int:
    if rule.prepare is not None:
        rule.prepare(now)
        db.session.commit()
    key = next(iter(rule.table.primary_key.columns))
    deleted = 0
    while True:
        ids = select(key).where(rule.due(now)).order_by(key).limit(batch)
        result = db.session.execute(
            delete(rule.table)
            .where(key.in_(ids.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if not result.rowcount:
            return deleted
        deleted += result.rowcount
        if progress is not None:
            progress(rule, result.rowcount)


def run(now: datetime | None = None, progress: Progress | None = None) -> list[TableReport]:
    """Delete every row past its period, table by table; returns what was deleted."""
    now = now or utcnow()
    batch = int(current_app.config["RETENTION_BATCH_SIZE"])
    return [
        TableReport(rule.name, rule.table.name, prune(rule, now, batch, progress))
        for rule in registered_rules()
    ]
