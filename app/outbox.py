"""The outbox: work for the outside world, written in the same transaction as its cause.

A feature enqueues a job while the change that causes it is being written; a background task
picks committed jobs up after commit (and a periodic sweep picks up whatever a crash left
behind). A job is claimed before it runs so that two workers never run it at once, and a
`dedupe_key` coalesces a burst of changes into one pending job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kombu.exceptions import OperationalError as BrokerUnreachable
from sqlalchemy import JSON, Index, String, Text, or_, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import celery, db
from app.models_base import UTCDateTime, created_at_column, utcnow
from app.ops.logs import current_request_id, request_id_of_job

log = logging.getLogger(__name__)

JobHandler = Callable[[dict[str, Any]], None]
_handlers: dict[str, JobHandler] = {}
_KICK_KEY = "outbox_kick"

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
# Due jobs one dispatcher takes at a time: few, so that a burst of long jobs (a campaign's push
# send jobs: seconds of FCM calls each) spreads over every worker instead of queueing behind
# the first one that claimed them all, while a claim still serves several short jobs.
CLAIM_BATCH = 5
# After the broker could not be reached, requests stop asking it for this long: each attempt
# costs the request the client's connection retries (about 0.6 s with Redis), and the sweep
# (app.jobs, every 30 s) runs the committed jobs in any case.
BROKER_PAUSE_SECONDS = 5.0
_broker_paused_until = 0.0


class RetryLater(Exception):
    """Raised by a handler to be run again later (a rate limit, a remote 5xx)."""

    def __init__(self, after_seconds: float | None = None, reason: str = "") -> None:
        super().__init__(reason or "retry later")
        self.after_seconds = after_seconds


class OutboxJob(db.Model):
    __tablename__ = "outbox_jobs"
    __table_args__ = (
        Index("ix_outbox_due", "status", "available_at"),
        # Retention deletes done jobs by when they finished (app.retention).
        Index("ix_outbox_finished", "status", "finished_at"),
        # One pending job per dedupe key: later changes ride on the job already waiting.
        Index(
            "uq_outbox_pending_dedupe",
            "dedupe_key",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    # pending -> running -> done | failed (dead after MAX_ATTEMPTS)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # The request that wrote the job (or wrote the job that wrote it): its log lines carry it.
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = created_at_column()


def handler(topic: str) -> Callable[[JobHandler], JobHandler]:
    def register(fn: JobHandler) -> JobHandler:
        _handlers[topic] = fn
        return fn

    return register


def topics() -> list[str]:
    """The topics that have a handler in this process."""
    return sorted(_handlers)


def enqueue(
    topic: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    delay_seconds: float = 0,
) -> None:
    """Write a job in the current transaction; it runs after the transaction commits."""
    values = {
        "topic": topic,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "available_at": utcnow() + timedelta(seconds=delay_seconds),
        "request_id": current_request_id(),
        "created_at": utcnow(),
    }
    session = db.session
    dialect = session.get_bind().dialect.name
    if dedupe_key is not None and dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = (
            insert(OutboxJob)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=["dedupe_key"], index_where=text("status = 'pending'")
            )
        )
        session.execute(stmt)
    else:
        session.add(OutboxJob(**values))
    session.info[_KICK_KEY] = True


@sa_event.listens_for(Session, "after_commit")
def _kick_after_commit(session: Session) -> None:
    # Fired for a released SAVEPOINT too: the job is not committed until the outer commit.
    if session.in_nested_transaction():
        return
    if session.info.pop(_KICK_KEY, False):
        kick()


def kick(countdown: float | None = None) -> bool:
    """Ask a worker to run the due jobs (after `countdown` seconds); False when the broker
    could not be reached. The jobs are committed before anyone asks, so an unreachable broker
    only delays them until the sweep: the request that wrote them still answers."""
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        return False
    try:
        dispatch_outbox.apply_async(countdown=countdown)
    except BrokerUnreachable as exc:
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        log.warning("outbox: the broker is unreachable, the sweep will run the jobs: %s", exc)
        return False
    return True


def resume_broker() -> None:
    """Ask the broker again from the next kick (a newly configured broker)."""
    global _broker_paused_until
    _broker_paused_until = 0.0


@sa_event.listens_for(Session, "after_rollback")
def _forget_kick(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_KICK_KEY, None)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts * 5, 3600))


def claim(limit: int = 100) -> list[OutboxJob]:
    """Mark due jobs as running and return them; a worker that died leaves them to the lease."""
    now = utcnow()
    session = db.session
    due = (
        select(OutboxJob.id)
        .where(
            or_(
                (OutboxJob.status == "pending") & (OutboxJob.available_at <= now),
                (OutboxJob.status == "running") & (OutboxJob.claimed_at < now - LEASE),
            )
        )
        .order_by(OutboxJob.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    if not ids:
        session.commit()
        return []
    session.execute(
        update(OutboxJob)
        .where(OutboxJob.id.in_(ids))
        .values(status="running", claimed_at=now, attempts=OutboxJob.attempts + 1)
    )
    session.commit()
    return list(session.scalars(select(OutboxJob).where(OutboxJob.id.in_(ids))))


def run_job(job: OutboxJob) -> str:
    with request_id_of_job(job.request_id):
        return _run(job)


def _run(job: OutboxJob) -> str:
    fn = _handlers.get(job.topic)
    session = db.session
    try:
        if fn is None:
            raise LookupError(f"no handler for outbox topic {job.topic!r}")
        fn(dict(job.payload))
    except Exception as exc:
        session.rollback()
        delay = exc.after_seconds if isinstance(exc, RetryLater) else None
        if not isinstance(exc, RetryLater):
            log.exception("outbox job %s (%s) failed", job.id, job.topic)
        job = session.get(OutboxJob, job.id)
        job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        job.finished_at = utcnow()
        if job.attempts >= MAX_ATTEMPTS:
            job.status = "failed"
        elif _superseded(session, job):
            # A newer pending job with the same key already covers this one's work.
            job.status = "done"
            job.last_error += " (superseded)"
        else:
            job.status = "pending"
            job.finished_at = None
            wait = timedelta(seconds=delay) if delay is not None else _backoff(job.attempts)
            job.available_at = utcnow() + wait
        try:
            session.commit()
        except IntegrityError:
            # A newer pending job with this key was committed meanwhile: it covers this work.
            session.rollback()
            job = session.get(OutboxJob, job.id)
            job.status, job.finished_at = "done", utcnow()
            session.commit()
        return job.status
    job.status = "done"
    job.finished_at = utcnow()
    session.commit()
    return "done"


def _superseded(session: Session, job: OutboxJob) -> bool:
    if job.dedupe_key is None:
        return False
    with session.no_autoflush:
        newer = session.scalar(
            select(OutboxJob.id).where(
                OutboxJob.dedupe_key == job.dedupe_key,
                OutboxJob.status == "pending",
                OutboxJob.id != job.id,
            )
        )
    return newer is not None


def dispatch(max_jobs: int = 1000) -> int:
    """Run due jobs until none are left or `max_jobs` ran; returns how many ran."""
    ran = 0
    while ran < max_jobs:
        jobs = claim(min(CLAIM_BATCH, max_jobs - ran))
        if not jobs:
            break
        if len(jobs) == CLAIM_BATCH:
            _ask_for_help()
        for job in jobs:
            run_job(job)
            ran += 1
    return ran


def _ask_for_help() -> None:
    """More jobs may be due than this dispatcher took: with a broker, one more dispatch task
    lets an idle worker take the next batch (one that finds nothing costs a query)."""
    if not celery.conf.task_always_eager:
        kick()


@celery.task(name="outbox.dispatch", ignore_result=True)
def dispatch_outbox() -> int:
    return dispatch()
