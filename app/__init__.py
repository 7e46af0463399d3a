"""The Flask app and the loyalty core."""

from __future__ import annotations

import importlib
from typing import Any

from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Config, check_settings
from app.extensions import db, jwt, limiter, migrate
from app.openapi import make_api


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    check_settings(app.config)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.json.sort_keys = False  # type: ignore[attr-defined] - keep schema field order

    _import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config["MIGRATIONS_DIR"]))
    jwt.init_app(app)
    limiter.init_app(app)
    # One Api (OpenAPI document) per app: tests build many apps in one process.
    app.extensions["loyalty_api"] = make_api(app, _name)

    from app import ops, request_hygiene
    from app.auth.tokens import register_token_callbacks
    from app.errors import register_error_handlers
    from app.jobs import init_celery

    register_error_handlers(app)
    # Before every handler, the feature packages' too: body size and characters.
    request_hygiene.install(app)
    register_token_callbacks(app)
    init_celery(app)
    # Logs, request ids, metrics and the probes, before any endpoint.
    ops.init_app(app)
    _register_blueprints(app)

    from app.cli import register_cli

    register_cli(app)
    # The core's parts of the members' data registries, before the features add theirs.
    _register_members_data(app)
    # Feature packages plug in by name: the core never imports them.
    for name in app.config["FEATURES"]:
        importlib.import_module(name).init_app(app)
    from app.privacy.api import export_blueprint

    # After the features: the export's documented shape names every part they added.
    register_blueprint(app, export_blueprint(app))
    return app


def _register_members_data(app: Flask) -> None:
    from app import privacy
    from app.retention import rules as retention_rules

    privacy.init_app(app)
    retention_rules.register_core(app)


def _name(schema) -> str:
    """OpenAPI component names: partial (PATCH) schemas get their own."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    return name + "Patch" if getattr(schema, "partial", False) else name


def _import_models() -> None:
    """Every core model and task module, so that metadata and Celery know them all."""
    for module in (
        "app.idempotency",
        "app.outbox",
        "app.audit.models",
        "app.auth.models",
        "app.consents.models",
        "app.holdout.models",
        "app.ledger.models",
        "app.ledger.tasks",
        "app.members.models",
        "app.offers.models",
        "app.offers.tasks",
        "app.segments.models",
        "app.program.models",
        "app.purchases.models",
        "app.rewards.models",
        "app.stores.models",
        "app.tiers.models",
        "app.tiers.tasks",
        "app.privacy.models",
        "app.privacy.erasure",
        "app.retention.tasks",
    ):
        importlib.import_module(module)


def _register_blueprints(app: Flask) -> None:
    from app.admin import catalog_api, program_api, stores_api
    from app.audit import api as audit_api
    from app.auth import account_api
    from app.auth import api as auth_api
    from app.consents import api as consents_api
    from app.members import api as members_api
    from app.offers import api as offers_api
    from app.privacy import api as privacy_api
    from app.purchases import api as purchases_api
    from app.rewards import api as rewards_api
    from app.segments import api as segments_api

    for module in (
        auth_api,
        account_api,
        members_api,
        purchases_api,
        rewards_api,
        program_api,
        stores_api,
        catalog_api,
        segments_api,
        offers_api,
        consents_api,
        privacy_api,
        audit_api,
    ):
        register_blueprint(app, module.blp)


def register_blueprint(app: Flask, blueprint, **options: Any) -> None:
    """How every package, core or feature, adds its endpoints and their OpenAPI documentation.

    `options` are Flask's, e.g. a `url_prefix` that comes from the app's settings."""
    app.extensions["loyalty_api"].register_blueprint(blueprint, **options)
