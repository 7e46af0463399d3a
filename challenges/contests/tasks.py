"""Background work: closing contests at their end and settling them once nothing they counted
can be refunded (an outbox job per step, and a periodic sweep by Celery beat as the backstop)."""

from __future__ import annotations

from sqlalchemy import select

from app import outbox
from app.extensions import celery, db
from app.models_base import utcnow
from challenges.contests import settle
from challenges.contests.models import CLOSED, OPEN, Contest
from challenges.contests.service import CLOSE_TOPIC

CLOSE_DUE_TASK = "challenges.close_due_contests"


@celery.task(name=CLOSE_DUE_TASK, ignore_result=True)
def close_due_contests() -> int:
    return len(settle.close_due())


@outbox.handler(CLOSE_TOPIC)
def close_contest_job(payload: dict) -> None:
    """Close the contest at its end, or settle it at `settles_at`, whichever it is due for."""
    contest = db.session.scalar(select(Contest).where(Contest.public_id == payload["contest_id"]))
    if contest is None or contest.status == CLOSED:
        return
    due = contest.ends_at if contest.status == OPEN else contest.settles_at
    left = (due - utcnow()).total_seconds() if due else 0
    if left > 0:
        # The end moved later; a job for the new end exists too, but waiting is harmless.
        raise outbox.RetryLater(left)
    if contest.status == OPEN:
        settle.close(contest.id)
    else:
        settle.settle(contest.id)
