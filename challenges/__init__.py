"""Games: quizzes, challenges (missions), contests with leaderboards and verifiable draws, badges.

The pure rules live in quiz_scoring, windows, progress, draw, standings, prizes; the Redis and
SQL leaderboards in leaderboard and leaderboard_sql. `init_app` plugs the package into the
core: models, blueprints, event subscriptions, background jobs and `flask games` commands.
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    from marshmallow import fields, validate

    from app import events, register_blueprint
    from app.errors import error_response
    from app.extensions import celery
    from app.seed import register_demo
    from app.segments import rules as segment_rules
    from challenges import admin_api, api, cli, settings, tables
    from challenges.badges import service as badges
    from challenges.common import EXTENSION
    from challenges.contests import service as contests
    from challenges.contests import tasks
    from challenges.errors import GameError
    from challenges.missions import service as missions

    del tables  # imported for its tables
    settings.configure(app.config)
    app.extensions[EXTENSION] = {}
    register_blueprint(app, api.blp)
    register_blueprint(app, admin_api.blp)
    app.register_error_handler(
        GameError, lambda exc: error_response(exc.status, exc.code, exc.message, exc.details)
    )
    # Process-wide registrations; `subscribe` ignores a handler it already has.
    events.subscribe(events.PURCHASE_RECORDED, missions.on_purchase_recorded)
    events.subscribe(events.PURCHASE_RECORDED, contests.on_purchase_recorded)
    events.subscribe(events.PURCHASE_REFUNDED, missions.on_purchase_refunded)
    events.subscribe(events.PURCHASE_REFUNDED, contests.on_purchase_refunded)
    events.subscribe(events.POINTS_CHANGED, contests.on_points_changed)
    events.subscribe(events.MEMBER_ENDED, contests.on_member_ended)
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "games-close-contests": {
            "task": tasks.CLOSE_DUE_TASK,
            "schedule": app.config["GAMES_CLOSE_INTERVAL_SECONDS"],
        },
    }
    cli.register(app)
    segment_rules.register(
        "badges",
        fields.List(fields.Str(validate=validate.Length(max=60)), validate=validate.Length(min=1)),
        badges.holds_badges,
    )
    register_demo(seed_demo)


def seed_demo() -> dict:
    """The demo games (see challenges.demo.seed_demo); needs an app context."""
    from challenges.demo import seed_demo as run

    return run()
