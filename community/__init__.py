"""The members' voice and experiences: surveys, product votes, events with early access,
interests.

One folder per domain, in the core's shape (models, service, schemas, api):

- ``surveys/``: admins' surveys of localized questions (nps, rating, single, multiple, text),
  the members' one response each with its reward through the ledger, results (distribution,
  NPS per store, free texts, CSV, detractors to call back), and ``triggers``: a survey offered
  with a push after a purchase, cheap on the purchase path;
- ``polls/``: candidate products voted on by eligible tiers, exactly once, the winner told to
  the voters at the close;
- ``events/``: seats, a waitlist in arrival order, early access by tier, paid seats through the
  ledger, tickets checked in once at the door;
- ``interests/``: the catalog, the members' choice and channels, the segment criterion and the
  personalization ranker (the catalog's and the offers' ``for_you``).

Pure rules sit beside them in modules of their own: ``nps``, ``windows`` (windows, early
access), ``waitlist`` (seat or wait, who is next), ``answers`` (do the answers fit).
Shared: ``eligibility`` (tiers, segment, interests), ``pushes`` (the events the notifications
package turns into pushes), ``checks`` (the ledger check's rules), ``privacy`` (export,
erasure), ``tasks`` (beat), ``demo`` and ``tables``.

How it plugs in: the core never imports this package. ``init_app`` registers the blueprints
through ``app.register_blueprint``, subscribes to purchase.recorded, registers the segment
criterion, the ranker, the ledger checks, the members' data parts, the beat jobs and the demo.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from marshmallow import fields, validate

    from app import events, personalization, register_blueprint
    from app.extensions import celery
    from app.seed import register_demo
    from app.segments import rules as segment_rules
    from community import checks, demo, privacy, state, tables, tasks
    from community.events import api as events_api
    from community.interests import api as interests_api
    from community.interests import service as interests
    from community.interests.models import CHANNELS
    from community.polls import api as polls_api
    from community.surveys import api as surveys_api
    from community.surveys import triggers

    del tables  # imported for its tables
    state.install(app)
    for module in (surveys_api, polls_api, events_api, interests_api):
        register_blueprint(app, module.blp)
    # Process-wide registrations; `subscribe` ignores a handler it already has.
    events.subscribe(events.PURCHASE_RECORDED, triggers.on_purchase_recorded)
    segment_rules.register(
        "interests",
        fields.List(fields.Str(validate=validate.Length(max=40)), validate=validate.Length(min=1)),
        interests.segment_clause,
    )
    # Only a modifier of `interests`: those who want to hear about them on this channel.
    segment_rules.register(
        "interests_channel",
        fields.Str(validate=validate.OneOf(CHANNELS)),
        lambda _value, _rules: _true(),
    )
    personalization.register_ranker(app, interests.rank)
    checks.register(app)
    privacy.register(app)
    interval = float(app.config["COMMUNITY_JOB_INTERVAL_SECONDS"])
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "community-close-polls": {"task": tasks.CLOSE_POLLS_TASK, "schedule": interval},
        "community-settle-events": {"task": tasks.SETTLE_EVENTS_TASK, "schedule": interval},
    }
    register_demo(demo.seed_demo)


def _true():
    from sqlalchemy import true

    return true()
