"""What the package keeps per app: that it is installed, and the survey triggers' cache.

Event subscriptions are process-wide (app.events); an app built without the package (another
test, another FEATURES) must not react, so every subscriber asks `enabled()` first.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context

EXTENSION = "community"


def install(app: Any) -> None:
    app.extensions[EXTENSION] = {}


def enabled() -> bool:
    return has_app_context() and EXTENSION in current_app.extensions


def store() -> dict:
    return current_app.extensions[EXTENSION]
