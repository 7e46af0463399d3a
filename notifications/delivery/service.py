"""Deliveries: writing them, and sending them: claim the due ones, send them through the
configured sender, record what became of each, and hand what FCM asked to retry back to the
outbox. Also the opens the app reports.

A batch is claimed (row locks on PostgreSQL, SQLite's single writer) inside the transaction
that records its results. Two jobs holding the same ids therefore never both send a delivery:
the second skips the rows the first holds (PostgreSQL) or waits for its commit (SQLite) and
then finds them no longer pending. A job that dies before the commit leaves its batch pending
for the retry; only a crash between FCM's answer and that commit can send a batch twice, and
the collapse key folds such a duplicate into one notification on the device.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, Select, bindparam, func, select, update

from app import outbox
from app.errors import ApiError, not_found
from app.extensions import db
from app.ids import new_id
from app.members.models import Member
from app.models_base import utcnow
from notifications import metrics as push_metrics
from notifications import settings
from notifications.campaigns.models import Campaign
from notifications.delivery.models import CAMPAIGN_KIND, Delivery
from notifications.devices.models import Device
from notifications.sending.outcomes import Outcome
from notifications.sending.push import Push
from notifications.sending.sender import PushSender
from notifications.state import current_sender

log = logging.getLogger(__name__)

SEND_TOPIC = "push.deliveries.send"
# A job enqueued for a time may start a moment early (clock skew between workers).
DUE_SLACK = timedelta(seconds=5)


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


def send_deliveries(ids: Sequence[int], sender: PushSender | None = None) -> None:
    """Send those of ``ids`` that are pending and due; RetryLater while some are left."""
    config = current_app.config
    sender = sender or current_sender()
    batch = settings.integer(config, "FCM_BATCH_SIZE")
    max_attempts = settings.integer(config, "PUSH_MAX_DELIVERY_ATTEMPTS")
    held_elsewhere: set[int] = set()
    for chunk in chunks(list(ids), batch):
        held_elsewhere |= _send_batch(chunk, sender, max_attempts)
    # What another job holds is that job's to send (or, if it dies, its retry's).
    mine = [i for i in ids if i not in held_elsewhere]
    earliest = db.session.scalar(
        select(func.min(Delivery.scheduled_for)).where(
            Delivery.id.in_(mine), Delivery.status == "pending"
        )
    )
    db.session.commit()
    if earliest is not None:
        wait = max(1.0, (earliest - utcnow()).total_seconds())
        raise outbox.RetryLater(wait, reason="deliveries left to send later")


# What a send needs of a delivery, its device and its member: plain rows, no ORM objects.
_SENDABLE = (
    Delivery.id,
    Delivery.public_id,
    Delivery.status,
    Delivery.scheduled_for,
    Delivery.attempts,
    Delivery.kind,
    Delivery.member_id,
    Delivery.device_id,
    Delivery.title,
    Delivery.body,
    Delivery.deep_link,
    Delivery.collapse_key,
    Delivery.expires_at,
    Device.fid,
    Device.token,
    Device.active.label("device_active"),
    Device.member_id.label("device_member_id"),
    Member.ended_at,
    Member.marketing_consent.label("consent"),
    Campaign.public_id.label("campaign_public_id"),
)


def _sendable(ids: Sequence[int]) -> Select:
    return (
        select(*_SENDABLE)
        .join(Device, Device.id == Delivery.device_id)
        .join(Member, Member.id == Delivery.member_id)
        .outerjoin(Campaign, Campaign.id == Delivery.campaign_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
    )


def _claim(ids: Sequence[int], now: datetime) -> tuple[list[Row], dict[int, int], set[int]]:
    """Take the due, pending ones of ``ids`` for this job until its commit: their rows, each
    one's attempts counting this one, and the ids another job holds right now.

    Rows are found by primary key only: with "status = 'pending'" in the WHERE clause,
    PostgreSQL right after a large fan-out (statistics not yet refreshed) scans the whole
    pending range of ix_push_deliveries_due for every batch (bench/fanout.py saw a campaign to
    100,000 slow to a fifth). PostgreSQL locks the rows while reading what the send needs, in
    one statement (another job's are skipped: it sends them), and the new attempt is written
    with the outcome; SQLite, one writer at a time, takes them with a conditional UPDATE.
    """
    due = now + DUE_SLACK
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(
            _sendable(ids).with_for_update(skip_locked=True, of=Delivery)
        ).all()
        claimed = [r for r in rows if r.status == "pending" and r.scheduled_for <= due]
        attempts = {r.id: r.attempts + 1 for r in claimed}
        return claimed, attempts, set(ids) - {r.id for r in rows}
    taken = list(
        db.session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(ids),
                Delivery.status == "pending",
                Delivery.scheduled_for <= due,
            )
            .values(attempts=Delivery.attempts + 1)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    claimed = db.session.execute(_sendable(taken)).all() if taken else []
    return claimed, {r.id: r.attempts for r in claimed}, set()


def _skip_reason(row: Row) -> str | None:
    if row.ended_at is not None:
        return "membership_ended"
    if not row.device_active or not (row.fid or row.token):
        return "device_inactive"
    if row.device_member_id != row.member_id:
        return "device_moved"  # registered by someone else since: not theirs to read
    if row.kind == CAMPAIGN_KIND and not row.consent:
        return "no_consent"
    return None


_deliveries = Delivery.__table__
# Every claimed delivery's new state, in one executemany (psycopg pipelines it).
_RECORD = (
    _deliveries.update()
    .where(_deliveries.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        scheduled_for=bindparam("b_scheduled_for"),
        sent_at=bindparam("b_sent_at"),
        fcm_message_id=bindparam("b_message_id"),
        error_code=bindparam("b_error_code"),
    )
)
_devices = Device.__table__
_RETIRE = (
    _devices.update()
    .where(_devices.c.id == bindparam("b_id"))
    .values(active=False, deactivated_reason=bindparam("b_reason"))
)


def _state(row: Row, attempts: int, status: str, error_code: str | None = None) -> dict:
    return {
        "b_id": row.id,
        "b_status": status,
        "b_attempts": attempts,
        "b_scheduled_for": row.scheduled_for,
        "b_sent_at": None,
        "b_message_id": None,
        "b_error_code": error_code,
    }


def _send_batch(ids: Sequence[int], sender: PushSender, max_attempts: int) -> set[int]:
    """Send the batch; returns the ids another job holds."""
    now = utcnow()
    claimed, attempts, held_elsewhere = _claim(ids, now)
    if not claimed:
        db.session.commit()
        return held_elsewhere
    states: list[dict] = []
    pushes: list[Push] = []
    pushed: list[Row] = []
    for row in claimed:
        reason = _skip_reason(row)
        if reason is None:
            try:
                push = _push(row)
            except ValueError as error:
                log.warning("delivery %s cannot be sent: %s", row.public_id, error)
                reason = "invalid_push"
        if reason is not None:
            states.append(_state(row, attempts[row.id], "skipped", reason))
            continue
        pushes.append(push)
        pushed.append(row)
    report = sender.send(pushes) if pushes else None
    invalid_devices: dict[int, str] = {}
    for row, result in zip(pushed, report.results if report else (), strict=True):
        tries = attempts[row.id]
        state = _state(row, tries, "failed", result.error_code)  # FAILED, or RETRY too often
        if result.outcome is Outcome.SENT:
            state.update(b_status="sent", b_sent_at=now, b_message_id=result.message_id)
        elif result.outcome is Outcome.TOKEN_INVALID:
            state["b_status"] = "token_removed"
            invalid_devices[row.device_id] = result.error_code or "INVALID"
        elif result.outcome is Outcome.EXPIRED:
            state["b_status"] = "expired"
        elif result.outcome is Outcome.RETRY and tries < max_attempts:
            wait = report.retry_after if report and report.retry_after else 60 * tries
            later = now + timedelta(seconds=math.ceil(wait))
            state.update(b_status="pending", b_scheduled_for=later)
        states.append(state)
    db.session.execute(_RECORD, states)
    if invalid_devices:
        db.session.execute(
            _RETIRE, [{"b_id": i, "b_reason": code[:40]} for i, code in invalid_devices.items()]
        )
    db.session.commit()
    push_metrics.record_deliveries(state["b_status"] for state in states)
    if report is not None:
        counts = report.counts
        log.info(
            "push batch: %d sent, %d token removed, %d to retry, %d failed",
            counts[Outcome.SENT],
            counts[Outcome.TOKEN_INVALID],
            counts[Outcome.RETRY],
            counts[Outcome.FAILED],
        )
    return held_elsewhere


def _push(row: Row) -> Push:
    data = {"kind": row.kind}
    if row.campaign_public_id:
        data["campaign_id"] = row.campaign_public_id
    return Push(
        delivery_id=row.public_id,
        title=row.title,
        body=row.body,
        deep_link=row.deep_link,
        fid=row.fid,
        # A device that reported a fid is addressed by it; the token only for older apps.
        token=None if row.fid else row.token,
        collapse_key=row.collapse_key,
        expires_at=row.expires_at,
        data=data,
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
