"""Small helpers the games' services share."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import current_app, has_app_context

from app.errors import ApiError
from app.program.service import get_program
from challenges.eligibility import is_eligible

T = TypeVar("T")
EXTENSION = "challenges"


def enabled() -> bool:
    """Is the games package plugged into the app handling this event? Event subscriptions are
    process-wide, and an app built without the package must not be touched by them."""
    return has_app_context() and EXTENSION in current_app.extensions


def default_language() -> str:
    return get_program().default_language or "en"


def require_eligible(game: Any, member: Any) -> None:
    if not is_eligible(game, member):
        raise ApiError(403, "not_eligible", "This game is not open to you.")
