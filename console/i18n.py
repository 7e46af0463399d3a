"""The console's languages: English, Finnish, Polish and Tagalog, through Flask-Babel.

The operator chooses one (kept in the console's session cookie); before that the browser's
preference decides. The catalogs are `translations/<lang>/LC_MESSAGES/messages.po`, compiled
to the `.mo` files committed beside them (`make translations` extracts, updates and compiles;
a test holds the `.mo` files to their `.po`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel, format_datetime

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# Each language named in itself, as a language menu shows them.
LANGUAGES = {"en": "English", "fi": "Suomi", "pl": "Polski", "tl": "Tagalog"}


def current_language() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES.keys()) or "en"


def when(value: datetime | str | None) -> str:
    """A time (or an ISO 8601 string, as schemas dump one) as the operator reads it: localized,
    in UTC (what the program stores)."""
    if not value:
        return "\u2013"  # an en dash: no time
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, "medium") + " UTC"


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=current_language,
        default_translation_directories=str(TRANSLATIONS),
        default_timezone="UTC",
    )
    app.jinja_env.filters["when"] = when
