"""The send jobs: claim the due deliveries, send them through the app's sender, record what
became of each, and hand what FCM asked to retry back to the outbox.

A batch (``FCM_BATCH_SIZE`` deliveries) is claimed (row locks on PostgreSQL, SQLite's single
writer) inside the transaction that records its results. Two jobs holding the same ids
therefore never both send a delivery: the second skips the rows the first holds (PostgreSQL) or
waits for its commit (SQLite) and then finds them no longer pending. A job that dies before a
batch's commit leaves that batch pending for the retry; only a crash between FCM's answer and
that commit can send a batch twice, and the collapse key folds such a duplicate into one
notification on the device.

On PostgreSQL the batches of a job overlap: while one batch is with FCM, the next is claimed on
a second connection and the one before is recorded, so the sender is seldom idle waiting for
the database. Each batch keeps its own transaction, from its claim to its results.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, Select, bindparam, func, select, text, update

from app import outbox
from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow
from notifications import metrics as push_metrics
from notifications import settings
from notifications.campaigns.models import Campaign
from notifications.delivery.models import CAMPAIGN_KIND, Delivery
from notifications.delivery.service import chunks
from notifications.devices.models import Device
from notifications.sending.outcomes import Outcome, SendReport
from notifications.sending.push import Push
from notifications.sending.sender import PushSender
from notifications.state import current_sender

log = logging.getLogger(__name__)

# A job enqueued for a time may start a moment early (clock skew between workers).
DUE_SLACK = timedelta(seconds=5)


def send_deliveries(ids: Sequence[int], sender: PushSender | None = None) -> None:
    """Send those of ``ids`` that are pending and due; RetryLater while some are left."""
    config = current_app.config
    sender = sender or current_sender()
    batches = list(chunks(list(ids), settings.integer(config, "FCM_BATCH_SIZE")))
    max_attempts = settings.integer(config, "PUSH_MAX_DELIVERY_ATTEMPTS")
    if db.session.get_bind().dialect.name == "postgresql" and len(batches) > 1:
        held_elsewhere = _send_overlapped(batches, sender, max_attempts)
    else:
        held_elsewhere = set()
        for chunk in batches:
            batch = _claim(db.session, chunk, utcnow())
            statuses = _record(db.session, batch, _send(sender, batch.pushes), max_attempts)
            db.session.commit()
            push_metrics.record_deliveries(statuses)
            held_elsewhere |= batch.held_elsewhere
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


def _send_overlapped(
    batches: list[Sequence[int]], sender: PushSender, max_attempts: int
) -> set[int]:
    """Batch i+1 is claimed while batch i is with FCM, and batch i is recorded while batch i+1
    is; two connections take turns, each holding one batch's transaction."""
    held_elsewhere: set[int] = set()
    with ExitStack() as stack:
        connections = [stack.enter_context(db.engine.connect()) for _ in range(2)]
        sending = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="push-send"))
        previous: tuple[Any, _Batch, Future[SendReport | None]] | None = None
        for number, chunk in enumerate(batches):
            connection = connections[number % 2]
            batch = _claim(connection, chunk, utcnow())
            held_elsewhere |= batch.held_elsewhere
            report = previous[2].result() if previous else None  # a crash stops here
            future = sending.submit(_send, sender, batch.pushes)
            if previous:
                _finish(previous[0], previous[1], report, max_attempts)
            previous = (connection, batch, future)
        if previous:
            _finish(previous[0], previous[1], previous[2].result(), max_attempts)
    return held_elsewhere


def _finish(connection: Any, batch: _Batch, report: SendReport | None, max_attempts: int) -> None:
    statuses = _record(connection, batch, report, max_attempts)
    connection.commit()
    push_metrics.record_deliveries(statuses)


def _send(sender: PushSender, pushes: list[Push]) -> SendReport | None:
    return sender.send(pushes) if pushes else None


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


@dataclass
class _Batch:
    """The deliveries of a batch this job holds, what to send, and what is already decided."""

    now: datetime
    held_elsewhere: set[int]
    attempts: dict[int, int] = field(default_factory=dict)  # counting this one
    pushes: list[Push] = field(default_factory=list)
    pushed: list[Row] = field(default_factory=list)
    states: list[dict] = field(default_factory=list)  # each claimed delivery's new state


def _claim(connection: Any, ids: Sequence[int], now: datetime) -> _Batch:
    """Take the due, pending ones of ``ids`` until ``connection`` commits, and make their pushes
    (or skip them, with the reason).

    Rows are found by primary key only: with "status = 'pending'" in the WHERE clause,
    PostgreSQL right after a large fan-out (statistics not yet refreshed) scans the whole
    pending range of ix_push_deliveries_due for every batch (bench/fanout.py saw a campaign to
    100,000 slow to a fifth). PostgreSQL locks the rows while reading what the send needs, in
    one statement (another job's are skipped: it sends them), and the new attempt is written
    with the outcome; SQLite, one writer at a time, takes them with a conditional UPDATE.
    """
    due = now + DUE_SLACK
    if _dialect(connection) == "postgresql":
        rows = connection.execute(
            _sendable(ids).with_for_update(skip_locked=True, of=Delivery)
        ).all()
        claimed = [r for r in rows if r.status == "pending" and r.scheduled_for <= due]
        batch = _Batch(now, set(ids) - {r.id for r in rows})
        batch.attempts = {r.id: r.attempts + 1 for r in claimed}
    else:
        taken = list(
            connection.execute(
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
        claimed = connection.execute(_sendable(taken)).all() if taken else []
        batch = _Batch(now, set())
        batch.attempts = {r.id: r.attempts for r in claimed}
    for row in claimed:
        reason = _skip_reason(row)
        if reason is None:
            try:
                push = _push(row)
            except ValueError as error:
                log.warning("delivery %s cannot be sent: %s", row.public_id, error)
                reason = "invalid_push"
        if reason is not None:
            batch.states.append(_state(row, batch.attempts[row.id], "skipped", reason))
            continue
        batch.pushes.append(push)
        batch.pushed.append(row)
    return batch


def _dialect(connection: Any) -> str:
    # A Connection has its dialect; the Session finds its bind's.
    dialect = getattr(connection, "dialect", None) or connection.get_bind().dialect
    return dialect.name


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


_deliveries = Delivery.__table__
# Every claimed delivery's new state, in one executemany (SQLite).
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
# The same in one statement on PostgreSQL: the states as arrays, unnested into rows.
_RECORD_PG = text(
    f"""
    UPDATE {Delivery.__tablename__} AS d
    SET status = v.status, attempts = v.attempts, scheduled_for = v.scheduled_for,
        sent_at = v.sent_at, fcm_message_id = v.message_id, error_code = v.error_code
    FROM unnest(
        CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:attempts AS integer[]),
        CAST(:scheduled AS timestamptz[]), CAST(:sent AS timestamptz[]),
        CAST(:message_ids AS text[]), CAST(:errors AS text[])
    ) AS v(id, status, attempts, scheduled_for, sent_at, message_id, error_code)
    WHERE d.id = v.id
    """
)
_COLUMNS = {
    "ids": "b_id",
    "statuses": "b_status",
    "attempts": "b_attempts",
    "scheduled": "b_scheduled_for",
    "sent": "b_sent_at",
    "message_ids": "b_message_id",
    "errors": "b_error_code",
}
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


def _outcomes(
    batch: _Batch, report: SendReport | None, max_attempts: int
) -> Iterator[tuple[dict, int | None, str | None]]:
    """(new state, device to retire, why) of each pushed delivery, from FCM's answers."""
    now = batch.now
    for row, result in zip(batch.pushed, report.results if report else (), strict=True):
        tries = batch.attempts[row.id]
        state = _state(row, tries, "failed", result.error_code)  # FAILED, or RETRY too often
        retire = None
        if result.outcome is Outcome.SENT:
            state.update(b_status="sent", b_sent_at=now, b_message_id=result.message_id)
        elif result.outcome is Outcome.TOKEN_INVALID:
            state["b_status"] = "token_removed"
            retire = result.error_code or "INVALID"
        elif result.outcome is Outcome.EXPIRED:
            state["b_status"] = "expired"
        elif result.outcome is Outcome.RETRY and tries < max_attempts:
            wait = report.retry_after if report and report.retry_after else 60 * tries
            later = now + timedelta(seconds=math.ceil(wait))
            state.update(b_status="pending", b_scheduled_for=later)
        yield state, row.device_id if retire else None, retire


def _record(
    connection: Any, batch: _Batch, report: SendReport | None, max_attempts: int
) -> list[str]:
    """Write what became of the batch; returns the statuses (the caller commits, then counts)."""
    states = list(batch.states)
    retired: dict[int, str] = {}
    for state, device_id, reason in _outcomes(batch, report, max_attempts):
        states.append(state)
        if device_id is not None and reason is not None:
            retired[device_id] = reason
    if states and _dialect(connection) == "postgresql":
        connection.execute(
            _RECORD_PG, {name: [state[key] for state in states] for name, key in _COLUMNS.items()}
        )
    elif states:
        connection.execute(_RECORD, states)
    if retired:
        connection.execute(
            _RETIRE, [{"b_id": i, "b_reason": code[:40]} for i, code in retired.items()]
        )
    if report is not None:
        counts = report.counts
        log.info(
            "push batch: %d sent, %d token removed, %d to retry, %d failed",
            counts[Outcome.SENT],
            counts[Outcome.TOKEN_INVALID],
            counts[Outcome.RETRY],
            counts[Outcome.FAILED],
        )
    return [state["b_status"] for state in states]
