"""Deliveries: writing them (skipping what exists, so a rerun adds nothing), the send jobs
that carry them (``send_jobs`` runs them), the sweep of the ones a dead job left, and the
opens the app reports."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import outbox
from app.errors import ApiError, not_found
from app.extensions import db
from app.ids import new_id
from app.members.models import Member
from app.models_base import utcnow
from notifications import settings
from notifications.delivery.models import Delivery

log = logging.getLogger(__name__)

SEND_TOPIC = "push.deliveries.send"


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def enqueue_send(ids: Sequence[int], due: datetime, source: str, now: datetime) -> None:
    """Write send jobs for these deliveries, due at ``due`` (in the current transaction)."""
    size = settings.integer(current_app.config, "PUSH_SEND_CHUNK")
    delay = max(0.0, (due - now).total_seconds())
    for chunk in chunks(list(ids), size):
        outbox.enqueue(
            SEND_TOPIC,
            {"ids": list(chunk)},
            dedupe_key=f"push.send:{source}:{chunk[0]}",
            delay_seconds=delay,
        )


def sweep(now: datetime | None = None, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Send jobs again for deliveries left pending past their time (a job that died for good)."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.scheduled_for <= now - older_than)
            .order_by(Delivery.id)
            .limit(20_000)
        )
    )
    if ids:
        enqueue_send(ids, now, f"sweep:{now.isoformat()}", now)
    db.session.commit()
    return len(ids)


def insert_deliveries(rows: list[dict[str, Any]]) -> None:
    """Insert deliveries, skipping any (source, device) that exists: a rerun adds nothing."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    for row in rows:
        row.setdefault("public_id", new_id("ntf"))
        row.setdefault("status", "pending")
        row.setdefault("attempts", 0)
        row.setdefault("created_at", now)
    stmt = insert(Delivery).on_conflict_do_nothing(index_elements=["source", "device_id"])
    for chunk in chunks(rows, 1000):
        db.session.execute(stmt, list(chunk))


def mark_opened(member: Member, public_id: str) -> Delivery:
    """The app reports that the member opened a notification; the first report counts."""
    delivery = db.session.scalar(
        select(Delivery).where(Delivery.public_id == public_id, Delivery.member_id == member.id)
    )
    if delivery is None:
        raise not_found("notification")
    if delivery.status != "sent":
        raise ApiError(409, "notification_not_sent", "This notification was never delivered.")
    if delivery.opened_at is None:
        delivery.opened_at = utcnow()
        db.session.commit()
    return delivery
