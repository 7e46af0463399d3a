"""The console's blueprint: its areas, who may open them, CSRF, and the security headers.

Each area is a plain Flask blueprint nested under `/console` (not flask-smorest's: the JSON
API's OpenAPI document does not list the console). A feature's area is registered only when
the app runs that feature.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from app.errors import ApiError
from console import i18n, security
from console.pages import htmx, page

log = logging.getLogger(__name__)
csrf = CSRFProtect()

PREFIX = "/console"
# No inline script or style anywhere: htmx is configured from a <meta> tag (no eval, no
# injected indicator styles), charts are SVG with attributes, not style.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Open without a login (the login form itself, the language menu, the static files).
PUBLIC = frozenset({"console.static", "console.auth.login", "console.auth.language"})


@dataclass(frozen=True)
class Area:
    module: str
    # The feature package the area shows; None: the core's.
    feature: str | None = None


AREAS = (
    Area("console.auth.views"),
    Area("console.dashboard.views"),
    Area("console.members.views"),
    Area("console.program.views"),
    Area("console.segments.views"),
    Area("console.offers.views"),
    Area("console.campaigns.views", "notifications"),
    Area("console.games.views", "challenges"),
    Area("console.referrals.views", "referrals"),
    Area("console.community.views", "community"),
    Area("console.audit.views"),
    Area("console.till.views"),
)


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    role: str


def requires(blueprint: Blueprint, *roles: str) -> None:
    """Every page of `blueprint` is for these roles only (a 403 page for the others)."""

    def check() -> None:
        user = security.operator()
        if user is not None and user.role not in roles:
            raise ApiError(403, "forbidden", gettext("This page is not for your role."))

    blueprint.before_request(check)


def install(app: Flask) -> None:
    if app.config.get("APP_ENV") == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
    # The JSON API authenticates with tokens, not cookies: only the console checks CSRF.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # The token lives as long as the console's session (a till stays open for hours).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.permanent_session_lifetime = timedelta(hours=app.config["CONSOLE_SESSION_HOURS"])
    csrf.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(_blueprint(app))


def _blueprint(app: Flask) -> Blueprint:
    console = Blueprint(
        "console",
        __name__,
        url_prefix=PREFIX,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    nav: list[NavItem] = []
    for area in AREAS:
        if area.feature is not None and area.feature not in app.config["FEATURES"]:
            continue
        module = importlib.import_module(area.module)
        console.register_blueprint(module.bp)
        for label, endpoint, role in getattr(module, "NAV", ()):
            nav.append(NavItem(label, f"console.{module.bp.name}.{endpoint}", role))
    app.extensions["console_nav"] = nav
    console.before_request(_before)
    console.after_request(_headers)
    console.context_processor(_context)
    console.register_error_handler(CSRFError, _csrf_failed)
    console.register_error_handler(ApiError, _refused)
    console.register_error_handler(HTTPException, _http_error)
    console.register_error_handler(Exception, _unexpected)
    return console


def _before():
    if request.method not in SAFE_METHODS:
        csrf.protect()
    user = security.operator()
    if request.endpoint in PUBLIC or user is not None:
        return None
    login = url_for("console.auth.login", next=request.full_path.rstrip("?"))
    if htmx():
        # htmx follows this header with a full page load, not a swap.
        return Response(status=401, headers={"HX-Redirect": login})
    return redirect(login)


def safe_next(target: str | None, default: str) -> str:
    """Only a path of the console itself: never another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX + "/"):
        return default
    return target


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "console.static":
        # Members' data in pages: never kept by the browser's or a proxy's cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def _context() -> dict:
    user = g.get("user")
    items = current_app.extensions.get("console_nav", [])
    return {
        "operator": user,
        "nav": [item for item in items if user is not None and item.role == user.role],
        "languages": i18n.LANGUAGES,
        "language": i18n.current_language(),
    }


def _error_page(status: int, title: str, message: str):
    return page("console/error.html", "console/_error.html", status, title=title, message=message)


def _csrf_failed(error: CSRFError):
    return _error_page(
        400,
        _l("The form has expired"),
        _l("Reload the page and send the form again."),
    )


def _refused(error: ApiError):
    return _error_page(error.status, _l("Not possible"), gettext(error.message))


def _http_error(error: HTTPException):
    if error.code == 429:
        return _error_page(429, _l("Too many attempts"), _l("Wait a few minutes and try again."))
    return _error_page(error.code or 500, error.name, error.description or "")


def _unexpected(error: Exception):
    log.exception("unhandled error in the console")
    return _error_page(500, _l("Something went wrong"), _l("The error was logged."))
