"""Games: quizzes, challenges (missions), contests with leaderboards and verifiable draws, badges.

One folder per domain, in the core's shape (`models`, `service`, `schemas`, `api`):

- `quizzes/`: quizzes and their questions, attempts on a server-side clock, scored once;
- `missions/`: challenges with goals per window, joined or not; `subscribers` apply the core's
  purchase and refund events and completed quizzes to progress, and pay (or take back) rewards;
- `contests/`: leaderboards and sweepstakes; `subscribers` count scores and entries, `settle`
  closes, settles and pays the prizes once, `boards` keeps the standings (the truth, in SQL)
  and their Redis projection (`leaderboard`, and `leaderboard_sql` without Redis), `tasks` the
  close jobs;
- `badges/`: badges and who holds which.

The pure rules sit beside them in `rules/` (quiz scoring, windows, progress, draw, standings,
prizes): no Flask, no database. Shared: `blueprints` (the members' and the admins' blueprints
every domain's api adds to), `schemas` (eligibility, codes, texts in the member's language),
`common`, `eligibility`, `texts`, `errors`, `settings`, `tables` (every table in one import),
`checks` (the games' rules of the ledger check), `cli` (`flask games ...`) and `demo`.

How it plugs in: the core never imports this package. `init_app` reads the settings, loads the
tables and the close jobs, registers both blueprints through `app.register_blueprint` (so the
OpenAPI document and its error shape are the core's), subscribes to the core's events, adds the
games' rules to this app's ledger check, the `badges` segment criterion, the `flask games`
commands and the games' part of the demo.
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
    from challenges import checks, cli, privacy, settings, tables
    from challenges.badges import api as badges_api
    from challenges.badges import service as badges
    from challenges.blueprints import admin_blp, member_blp
    from challenges.common import EXTENSION
    from challenges.contests import api as contests_api
    from challenges.contests import subscribers as contests
    from challenges.contests import tasks
    from challenges.errors import GameError
    from challenges.missions import api as missions_api
    from challenges.missions import subscribers as missions
    from challenges.quizzes import api as quizzes_api

    # Imported for their tables and for the routes they add to the two blueprints.
    del tables, badges_api, contests_api, missions_api, quizzes_api
    settings.configure(app.config)
    app.extensions[EXTENSION] = {}
    register_blueprint(app, member_blp)
    register_blueprint(app, admin_blp)
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
    checks.register(app)
    cli.register(app)
    segment_rules.register(
        "badges",
        fields.List(fields.Str(validate=validate.Length(max=60)), validate=validate.Length(min=1)),
        badges.holds_badges,
    )
    register_demo(seed_demo)
    privacy.register(app)  # export parts (app.privacy)


def seed_demo() -> dict:
    """The demo games (see challenges.demo.seed_demo); needs an app context."""
    from challenges.demo import seed_demo as run

    return run()
