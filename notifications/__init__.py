"""Push notifications: devices, Firebase Cloud Messaging, campaigns and their pacing.

The library parts stand alone: ``push`` (a push and its FCM message), ``sender`` and
``outcomes`` (sending through firebase-admin and reading the results), ``firebase`` (setup),
``pacing`` (quiet hours, daily cap) and ``texts`` (language choice, templates). ``init_app``
plugs the rest into the core: ``models``, the member and admin endpoints (``api``,
``admin_api``), campaigns' fan-out (``campaigns``), sending (``delivery``), transactional pushes
on the core's events (``transactional``) and the demo (``demo``).
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    from app import register_blueprint
    from app.extensions import celery
    from app.seed import register_demo
    from notifications import (
        admin_api,
        api,
        campaigns,
        delivery,
        demo,
        models,
        settings,
        transactional,
    )

    del models, campaigns  # imported for their tables and outbox handlers
    settings.configure(app.config)
    app.extensions[delivery.EXTENSION] = {"sender": None}
    register_blueprint(app, api.blp)
    register_blueprint(app, admin_api.blp)
    # Process-wide registrations; `subscribe` ignores a handler it already has.
    transactional.subscribe()
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "push-offer-reminders": {
            "task": transactional.REMINDERS_TASK,
            "schedule": float(settings.integer(app.config, "PUSH_OFFER_REMINDER_INTERVAL_SECONDS")),
        },
        "push-sweep": {"task": transactional.SWEEP_TASK, "schedule": 600.0},
    }
    register_demo(demo.seed_demo)


def seed_demo() -> dict:
    """The push part of the demo program (see notifications.demo.seed_demo); needs a context."""
    from notifications.demo import seed_demo as run

    return run()
