"""Background work: closing contests at their end (an outbox job per contest, and a periodic
sweep by Celery beat as the backstop)."""

from __future__ import annotations

from sqlalchemy import select

from app import outbox
from app.extensions import celery, db
from app.models_base import utcnow
from challenges import contests
from challenges.models import Contest

CLOSE_DUE_TASK = "challenges.close_due_contests"


@celery.task(name=CLOSE_DUE_TASK, ignore_result=True)
def close_due_contests() -> int:
    return len(contests.close_due())


@outbox.handler(contests.CLOSE_TOPIC)
def close_contest_job(payload: dict) -> None:
    contest = db.session.scalar(select(Contest).where(Contest.public_id == payload["contest_id"]))
    if contest is None or contest.status != "open":
        return
    left = (contest.ends_at - utcnow()).total_seconds()
    if left > 0:
        # The end moved later; a job for the new end exists too, but waiting is harmless.
        raise outbox.RetryLater(left)
    contests.close(contest.id)
