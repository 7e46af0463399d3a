"""Who may take part in a survey, a poll or an event: the same three columns everywhere.

Tiers (empty: all), a core segment (its public id), and interests (empty: all; otherwise the
member has chosen at least one of them).
"""

from __future__ import annotations

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.errors import ApiError
from app.extensions import db
from app.lookup import optional_ref
from app.members.models import Member
from app.segments.models import Segment
from app.segments.service import contains
from app.tiers.models import Tier


class EligibilityColumns:
    tiers: Mapped[list] = mapped_column(JSON, default=list)
    segment_id: Mapped[str | None] = mapped_column(String(32))
    interests: Mapped[list] = mapped_column(JSON, default=list)


def is_eligible(row: EligibilityColumns, member: Member) -> bool:
    from community.interests.service import has_any

    if row.tiers and member.tier.code not in row.tiers:
        return False
    if row.interests and not has_any(member.id, row.interests):
        return False
    return not row.segment_id or contains(row.segment_id, member.id)


def check_refs(data: dict) -> None:
    """The segment and the interests an admin names exist (a 422 on the field otherwise)."""
    from community.interests.service import unknown_codes

    if data.get("segment_id"):
        optional_ref(Segment, data["segment_id"], "segment_id")
    unknown = unknown_codes(data.get("interests") or [])
    if unknown:
        raise ApiError(
            422,
            "validation_error",
            "Unknown interests.",
            {"fields": {"interests": [f"unknown interest {c}" for c in unknown]}},
        )
    tiers = data.get("tiers") or []
    known = set(db.session.scalars(select(Tier.code).where(Tier.code.in_(tiers))))
    if set(tiers) - known:
        raise ApiError(
            422,
            "validation_error",
            "Unknown tiers.",
            {"fields": {"tiers": [f"unknown tier {t}" for t in tiers if t not in known]}},
        )
