"""Who may play a game: tiers, an explicit list of members, or one of the core's segments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


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
