"""Referrals: members bring friends and family, creators (partners) bring their audiences.

One folder per domain, in the core's shape:

- ``codes/``: every member's personal code (made on first ask) and share link,
  ``GET /api/v1/me/referral``; one namespace for members' and partners' codes; the email keys;
- ``referrals/``: a referral's life on the core's events (joined at sign-up, judged on the
  friend's first purchase, rewarded after the hold, reversed by a refund in it; ``rewarding``:
  what it gives, through the ledger and the catalog), ``GET /api/v1/me/referrals``;
- ``review/``: the operators' queue, approve (granted exactly once) and reject;
- ``partners/``: partners' vanity codes, window, welcome, cap, commissions and their funnel
  ``report``;
- ``program/``: the settings (rewards per side, the minimum purchase, the cap, the hold).

Pure rules sit in ``rules`` (codes, email keys, self-referral, caps); ``signals`` reads what
links a member to a phone from the tables there are. Shared: ``events`` (what this package
publishes), ``checks`` (its rules in the ledger check), ``privacy`` (its parts of the export,
erasure and audit trail), ``segments`` (the `partner_codes` criterion), ``state`` (whether
the app runs the package), ``tasks``, ``cli``, ``demo`` and ``tables``.

How it plugs in: the core never imports this package. ``init_app`` handles the sign-up's
``referral_code`` (``app.auth.signup_fields``), subscribes to member.joined,
purchase.recorded and purchase.refunded, registers its blueprints, ledger checks, members'
data parts, segment criterion, beat job, ``flask referrals`` and its part of the demo.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app import events, register_blueprint
    from app.auth import signup_fields
    from app.extensions import celery
    from app.members import facts
    from app.seed import register_demo
    from app.segments import rules as segment_rules
    from referrals import checks, cli, demo, privacy, segments, state, tables, tasks
    from referrals.codes import api as codes_api
    from referrals.partners import api as partners_api
    from referrals.program import api as program_api
    from referrals.referrals import api as referrals_api
    from referrals.referrals import service
    from referrals.review import api as review_api

    del tables  # imported for its tables
    state.install(app)
    for module in (codes_api, referrals_api, review_api, partners_api, program_api):
        register_blueprint(app, module.blp)
    signup_fields.register(app, "referral_code", service.join)
    # Process-wide registrations; `subscribe` ignores a handler it already has.
    events.subscribe(events.MEMBER_JOINED, service.on_member_joined)
    events.subscribe(events.PURCHASE_RECORDED, service.on_purchase_recorded)
    events.subscribe(events.PURCHASE_REFUNDED, service.on_purchase_refunded)
    # What a purchase's member lock reads for on_purchase_recorded (app.members.facts).
    facts.register(app, service.OPEN_REFERRAL_FACT, service.has_open_referral)
    segment_rules.register("partner_codes", segments.FIELD, segments.joined_with)
    checks.register(app)
    privacy.register(app)
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "referrals-settle": {"task": tasks.SETTLE_TASK, "schedule": tasks.SETTLE_EVERY_SECONDS},
    }
    cli.register(app)
    register_demo(demo.seed_demo)
