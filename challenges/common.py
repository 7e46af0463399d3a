"""Small helpers the games' services share: is the package loaded, the program's language, who
may play, what a purchase counts for, and the checks every admin definition goes through."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import select

from app.errors import ApiError
from app.extensions import db
from app.members.models import Member
from app.program.service import get_program
from app.purchases.models import Purchase
from app.tiers.service import check_tier_codes
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


def invalid(field: str, message: str) -> ApiError:
    """A 422 `validation_error` naming the field, as the body's own validation does."""
    return ApiError(422, "validation_error", message, {"fields": {field: [message]}})


def check_eligibility(data: dict[str, Any]) -> None:
    """The tiers and members a definition names exist (the segment is checked by its schema)."""
    if data.get("tiers"):
        check_tier_codes(data["tiers"])
    if data.get("member_ids"):
        wanted = set(data["member_ids"])
        found = set(
            db.session.scalars(select(Member.public_id).where(Member.public_id.in_(wanted)))
        )
        if wanted - found:
            raise invalid("member_ids", f"Unknown member: {', '.join(sorted(wanted - found))}.")


def check_code_free(model: type, code: str | None) -> None:
    """A game's code is unique per kind of game: 409 `code_taken`."""
    if code and db.session.scalar(select(model.id).where(model.code == code)) is not None:
        raise ApiError(409, "code_taken", f"The code {code!r} is in use.")
