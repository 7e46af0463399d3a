"""Push notifications: devices, Firebase Cloud Messaging, campaigns and their pacing.

One folder per domain, in the core's shape:

- ``devices/``: the member's app installations (register with a cap, list, unregister);
- ``campaigns/``: the operators' marketing pushes to a segment, sent now or at a time, counted;
- ``delivery/``: one push to one device: a campaign's fan-out, the send jobs, the outcomes
  recorded, the sweep, the opens the app reports;
- ``transactional/``: pushes about the member's own activity, on the core's events, behind the
  member's switches;
- ``sending/``: FCM through firebase-admin, with no Flask and no database (the push and its
  message, the senders, the outcomes).

Pure rules sit beside them in modules of their own: ``pacing`` (quiet hours, daily cap),
``texts`` (language choice, templates) and ``messages`` (the transactional texts). Shared:
``settings`` (from app.config), ``state`` (the app's sender), ``metrics``, ``tables`` (every
table in one import), ``privacy`` (the package's part of a member's export, erasure and
retention) and ``demo``.

How it plugs in: the core never imports this package. ``init_app`` reads the settings, loads
the tables and the background jobs (outbox handlers, beat tasks), registers the blueprints
through ``app.register_blueprint`` (so the OpenAPI document and its error shape are the
core's), subscribes to the core's events (and tells the member lock what they need to know),
and adds its parts of the demo and of the members' data.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app import register_blueprint
    from app.extensions import celery
    from app.seed import register_demo
    from notifications import demo, privacy, settings, state, tables
    from notifications.campaigns import api as campaigns_api
    from notifications.delivery import api as delivery_api
    from notifications.delivery import tasks as delivery_tasks
    from notifications.devices import api as devices_api
    from notifications.transactional import api as transactional_api
    from notifications.transactional import subscribers
    from notifications.transactional import tasks as transactional_tasks

    del tables  # imported for its tables
    settings.configure(app.config)
    state.install(app)
    for module in (devices_api, transactional_api, delivery_api, campaigns_api):
        register_blueprint(app, module.blp)
    # Process-wide registrations; `subscribe` ignores a handler it already has.
    subscribers.subscribe()
    # What a purchase's member lock reads for the subscribers (app.members.facts).
    subscribers.register_facts(app)
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "push-offer-reminders": {
            "task": transactional_tasks.REMINDERS_TASK,
            "schedule": float(settings.integer(app.config, "PUSH_OFFER_REMINDER_INTERVAL_SECONDS")),
        },
        "push-sweep": {"task": delivery_tasks.SWEEP_TASK, "schedule": 600.0},
    }
    register_demo(demo.seed_demo)
    privacy.register(app)  # export, erasure and retention parts (app.privacy)


def seed_demo() -> dict:
    """The push part of the demo program (see notifications.demo.seed_demo); needs a context."""
    from notifications.demo import seed_demo as run

    return run()
