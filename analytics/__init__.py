"""Analytics: what the program costs, what it owes and what it returns, with holdout lift.

It reads the core and the other packages and writes nothing but its own aggregates. One
folder per part, in the core's shape:

- ``aggregates/``: the daily sums (``models``), the scheduled job that keeps them
  incrementally behind a watermark (``job``: a day's recorded rows are summed once), what it
  counts of each loaded package (``counters``: the extension point for another package's
  activity) and the beat task (``tasks``);
- ``reports/``: liability, return (``roi``), engagement, cohorts, tiers and stores
  (``places``), read from the aggregates only; ``filters`` (store, region, channel, period),
  ``schemas``, ``csv`` and ``api`` (``/api/v1/admin/analytics/...``);
- ``holdout/``: a campaign's or an offer's lift from the groups the core records
  (``app.holdout``), ``GET /api/v1/admin/campaigns/{id}/lift`` and ``.../offers/{id}/lift``.

Pure math sits in modules of its own: ``breakage`` (the estimate by join-month cohort) and
``stats`` (Welch's interval). ``sql`` holds what SQLite and PostgreSQL spell differently.

How it plugs in: the core never imports this package. ``init_app`` loads its tables, the
counters of the packages the app has, the blueprints (the campaigns' lift only with
``notifications``), the nightly beat job and ``flask analytics``. It subscribes to no event: no
work is added to a purchase.
"""

from __future__ import annotations

from celery.schedules import crontab
from flask import Flask


def init_app(app: Flask) -> None:
    from analytics import cli, tables
    from analytics.aggregates import counters
    from analytics.aggregates import tasks as aggregate_tasks
    from analytics.holdout import api as lift_api
    from analytics.reports import api as reports_api
    from app import register_blueprint
    from app.extensions import celery

    del tables  # imported for its tables
    counters.install(app)
    register_blueprint(app, reports_api.blp)
    register_blueprint(app, lift_api.offers_blp)
    if "notifications" in app.config["FEATURES"]:
        register_blueprint(app, lift_api.campaigns_blp)
    hour, minute = app.config["ANALYTICS_RUN_AT"]
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "analytics-aggregate": {
            "task": aggregate_tasks.AGGREGATE_TASK,
            "schedule": crontab(minute=minute, hour=hour),
        },
    }
    cli.register_cli(app)
