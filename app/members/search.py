"""An operator's search for members: by email, name or card number, as typed."""

from __future__ import annotations

import re

from sqlalchemy import or_, select

from app.auth.models import User
from app.extensions import db
from app.members.models import Member

_SEPARATORS = re.compile(r"[\s-]")
MAX_RESULTS = 50


def search(query: str, limit: int = 25) -> list[Member]:
    """Members whose name contains the text, whose email begins with it, or whose card number
    begins with its digits (spaces and hyphens as printed on a card do not matter); newest
    first. Fewer than two characters find nothing: not every member at once."""
    text = (query or "").strip()
    if len(text) < 2:
        return []
    digits = _SEPARATORS.sub("", text)
    conditions = [
        Member.name.icontains(text, autoescape=True),
        User.email.istartswith(text, autoescape=True),
    ]
    if digits.isascii() and digits.isdigit():
        conditions.append(Member.card_number.startswith(digits, autoescape=True))
    stmt = (
        select(Member)
        .join(User, User.id == Member.user_id)
        .where(or_(*conditions))
        .order_by(Member.id.desc())
        .limit(min(limit, MAX_RESULTS))
    )
    return list(db.session.scalars(stmt))
