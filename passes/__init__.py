"""Apple Wallet and Google Wallet loyalty cards that update themselves.

One folder per wallet, in the core's shape, and the card they both show:

- `cards/`: the card as plain data (`card`), its labels in every language (`labels`), text
  colours for a tier's background (`colors`): pure rules; `service` reads the core's rows into
  them.
- `apple/`: the pass's files (`pkpass`: pass.json, strings, images, manifest), the signed zip
  (`builder`: what is the program's prepared once, pass.json as a template; `archive`: the zip
  with its static entries written once; `signing`: the PKCS#7 signature), the development
  chain (`dev_certs`), start-up checks (`checks`), the APNs client (`apns`), tokens
  (`tokens`); `models`, `service` (passes, tags, authentication), `registrations` (devices),
  `wallet_log`, `schemas`, `api` (the member's pass, Wallet's log for admins), `web_service`
  (Apple's PassKit protocol) and `tasks` (the APNs push job).
- `google/`: the LoyaltyClass/LoyaltyObject JSON and save link (`objects`), its check against
  Google's discovery document (`discovery`), the REST client (`client`); `models`, `service`,
  `schemas`, `api` (the save link) and `tasks` (the PATCH job).

Shared by both: `settings` (from app.config), `state` (what is loaded once per app: signer,
builders, clients), `updates` (the core's events -> outbox jobs for both wallets), `metrics`
and `cli` (`flask passes ...`).

How it plugs in: the core never imports this package. `init_app` loads the settings and
certificates, subscribes to the core's points.changed, tier.changed and member.ended events,
and registers the blueprints through `app.register_blueprint`, so that the OpenAPI document
and its error shape are the core's.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Load settings and certificates, check them, and plug the passes into the app."""
    from app import events, register_blueprint
    from passes import privacy
    from passes.apple import api as apple_api
    from passes.apple import models as apple_models  # noqa: F401  (tables)
    from passes.apple import web_service
    from passes.apple.schemas import APPLE_PASS_SCHEME, APPLE_PASS_SECURITY_SCHEME
    from passes.cli import register_cli
    from passes.google import api as google_api
    from passes.google import models as google_models  # noqa: F401  (tables)
    from passes.settings import load_settings
    from passes.state import build_state
    from passes.updates import (  # with it, both wallets' outbox handlers
        on_member_changed,
        register_facts,
    )

    settings = load_settings(app)
    app.extensions["passes"] = build_state(settings)
    events.subscribe(events.POINTS_CHANGED, on_member_changed)
    events.subscribe(events.TIER_CHANGED, on_member_changed)
    # An ended membership voids the passes: the same refresh carries the new state.
    events.subscribe(events.MEMBER_ENDED, on_member_changed)
    # What a purchase's member lock reads for on_member_changed (app.members.facts).
    register_facts(app)
    register_blueprint(app, apple_api.blp)
    register_blueprint(app, google_api.blp)
    register_blueprint(app, web_service.blp, url_prefix=f"{settings.web_service_prefix}/v1")
    # How Wallet authenticates, for the PassKit operations that say `security: applePass`.
    app.extensions["loyalty_api"].spec.components.security_scheme(
        APPLE_PASS_SCHEME, APPLE_PASS_SECURITY_SCHEME
    )
    register_cli(app)
    privacy.register(app)  # export, erasure and retention parts (app.privacy)
