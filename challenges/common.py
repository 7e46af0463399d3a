"""Small helpers the games' services share."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import select

from app.errors import ApiError
from app.extensions import db
from app.program.service import get_program
from app.purchases.models import Purchase
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


def earned_something(purchase_public_id: str) -> bool:
    """A purchase that earned nothing (the program is not live in that store, too small an
    amount) plays no game either: otherwise a store outside the pilot would farm rewards."""
    found = db.session.execute(
        select(Purchase.no_points_reason).where(Purchase.public_id == purchase_public_id)
    ).first()
    return found is not None and found[0] is None
