"""Background jobs (Celery beat): close polls past their end, settle events that began."""

from __future__ import annotations

from app.extensions import celery

CLOSE_POLLS_TASK = "community.close_polls"
SETTLE_EVENTS_TASK = "community.settle_events"


@celery.task(name=CLOSE_POLLS_TASK, ignore_result=True)
def close_polls() -> int:
    from community.polls.service import close_due

    return close_due()


@celery.task(name=SETTLE_EVENTS_TASK, ignore_result=True)
def settle_events() -> int:
    from community.events.service import settle_started

    return settle_started()
