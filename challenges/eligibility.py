"""Who may play a game: tiers, an explicit list of members, or one of the core's segments. The
same three columns on every game's table (`EligibilityColumns`), and the rule (`is_eligible`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column


class EligibilityColumns:
    """Who may play: tiers (empty = all), an explicit member list, a core segment (public id)."""

    tiers: Mapped[list] = mapped_column(JSON, default=list)
    member_ids: Mapped[list] = mapped_column(JSON, default=list)  # member public ids
    segment_id: Mapped[str | None] = mapped_column(String(64))


class Restricted(Protocol):
    tiers: list
    member_ids: list
    segment_id: str | None


class MemberLike(Protocol):
    id: int
    public_id: str
    tier: object  # has .code


def is_eligible(game: Restricted, member: MemberLike) -> bool:
    """Listed members always; else a segment (if set) and the tiers (empty = all) must agree."""
    listed: Sequence[str] = game.member_ids or ()
    if member.public_id in listed:
        return True
    tier_ok = not game.tiers or getattr(member.tier, "code", None) in game.tiers
    if game.segment_id:
        from app.segments.service import contains

        return tier_ok and contains(game.segment_id, member.id)
    if listed:
        return False
    return tier_ok
