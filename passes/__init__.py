"""Apple Wallet and Google Wallet loyalty cards that update themselves.

Library parts: pass building and signing (`apple_pass`, `signing`), the development chain
(`dev_certs`), start-up checks (`checks`), the APNs client (`apns`), Google Wallet objects,
save links and REST client (`google_objects`, `google_client`).
Flask parts: settings, models, `service` (the only writer of the passes tables), `api` (the
member's passes, Wallet's log for admins), `web_service` (Apple's PassKit protocol), `tasks`
(outbox jobs: APNs pushes, Google PATCHes) and `cli` (`flask passes dev-certs`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Load settings and certificates, check them, and plug the passes into the app."""
    from app import events, register_blueprint
    from passes import models, tasks  # noqa: F401  (tables; outbox handlers)
    from passes.api import blp
    from passes.cli import register_cli
    from passes.service import on_member_changed
    from passes.settings import load_settings
    from passes.state import build_state
    from passes.web_service import passkit_blueprint

    settings = load_settings(app)
    app.extensions["passes"] = build_state(settings)
    events.subscribe(events.POINTS_CHANGED, on_member_changed)
    events.subscribe(events.TIER_CHANGED, on_member_changed)
    # An ended membership voids the passes: the same refresh carries the new state.
    events.subscribe(events.MEMBER_ENDED, on_member_changed)
    register_blueprint(app, blp)
    register_blueprint(app, passkit_blueprint(settings.web_service_prefix))
    register_cli(app)
