"""Celery bound to the Flask app: a broker in production, in-process (eager) without one."""

from __future__ import annotations

from celery import Task
from celery.schedules import crontab
from flask import Flask

from app import outbox
from app.extensions import celery


class FlaskTask(Task):
    """Every task runs in its own app context, so it gets its own database session."""

    def __call__(self, *args, **kwargs):
        flask_app: Flask = self.app.flask_app  # type: ignore[attr-defined]
        with flask_app.app_context():
            return super().__call__(*args, **kwargs)


BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "outbox.dispatch", "schedule": 30.0},
    "points-release": {"task": "ledger.release_due", "schedule": crontab(minute="*/15")},
    "points-expire": {"task": "ledger.expire_due", "schedule": crontab(minute=5, hour="*")},
    "offers-expire-claims": {"task": "offers.expire_claims", "schedule": crontab(minute="*/15")},
    "offers-record-holdouts": {"task": "offers.record_holdouts", "schedule": crontab(minute="*/5")},
    "tiers-evaluate": {"task": "tiers.evaluate_all", "schedule": crontab(minute=30, hour=3)},
    "retention-run": {"task": "retention.run", "schedule": crontab(minute=15, hour=4)},
}


def init_celery(app: Flask) -> None:
    broker = app.config.get("CELERY_BROKER_URL")
    celery.flask_app = app  # type: ignore[attr-defined]
    celery.conf.update(
        broker_url=broker or "memory://",
        result_backend=None,
        task_ignore_result=True,
        task_always_eager=not broker,
        task_eager_propagates=bool(app.config.get("TESTING")) and not broker,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        beat_schedule=BEAT_SCHEDULE,
        timezone="UTC",
    )
    # Celery caches a connection pool for the broker of the moment, even when tasks run eagerly;
    # an app configured later in the same process (tests build many) must not reuse it.
    celery._pool = None
    amqp = celery.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app.extensions["celery"] = celery
    outbox.resume_broker()
