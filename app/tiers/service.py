"""Tier qualification: points earned in a rolling window. Upgrades at once, downgrades only at
the periodic evaluation, so that a member never loses a tier in the middle of a visit."""

from __future__ import annotations

from datetime import timedelta

from flask import g, has_app_context
from sqlalchemy import func, select

from app import events
from app.errors import ApiError
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.service import lock_member, qualifying_points
from app.members.models import Member
from app.models_base import utcnow
from app.program.service import get_program
from app.tiers.models import Tier


def all_tiers() -> list[Tier]:
    """The tiers by rank, read once per request or job."""
    if has_app_context() and "_tiers" in g:
        return g._tiers
    tiers = list(db.session.scalars(select(Tier).order_by(Tier.rank)))
    if has_app_context():
        g._tiers = tiers
    return tiers


def forget_cached_tiers() -> None:
    if has_app_context():
        g.pop("_tiers", None)


def check_tier_codes(codes: list[str], field: str = "tiers") -> None:
    """A 422 naming the codes that are no tier of the program."""
    unknown = sorted(set(codes) - {t.code for t in all_tiers()})
    if unknown:
        raise ApiError(
            422, "validation_error", "Unknown tier.", {"fields": {field: [", ".join(unknown)]}}
        )


def entry_tier() -> Tier:
    tier = db.session.scalar(select(Tier).order_by(Tier.rank).limit(1))
    if tier is None:
        raise ApiError(409, "program_not_configured", "The program has no tiers yet.")
    return tier


def tier_for_points(points: int, tiers: list[Tier]) -> Tier:
    qualified = [t for t in tiers if t.threshold_points <= points]
    return qualified[-1] if qualified else tiers[0]


def _window_points(member_id: int) -> int:
    since = utcnow() - timedelta(days=get_program().tier_window_days)
    return qualifying_points(member_id, since)


def _move(member: Member, tier: Tier) -> None:
    old = member.tier
    member.tier_id = tier.id
    member.tier = tier
    member.tier_since = utcnow()
    events.publish(
        db.session,
        events.TIER_CHANGED,
        {
            "member_id": member.id,
            "member_public_id": member.public_id,
            "old_tier": old.code,
            "new_tier": tier.code,
            "direction": "up" if tier.rank > old.rank else "down",
        },
    )


def upgrade_if_qualified(member: Member) -> None:
    """Called after points that qualify were earned, with the member locked."""
    if member.tier.rank == all_tiers()[-1].rank:
        return
    target = tier_for_points(_window_points(member.id), all_tiers())
    if target.rank > member.tier.rank:
        _move(member, target)


def evaluate(member_id: int) -> str:
    """The periodic evaluation: a member moves to the tier the window's points give, up or down."""
    member = lock_member(member_id)
    target = tier_for_points(_window_points(member.id), all_tiers())
    if target.id != member.tier_id:
        _move(member, target)
    db.session.commit()
    return member.tier.code


def evaluate_all(batch: int = 1000) -> dict[str, int]:
    """Evaluate every member; one aggregate query a batch, a lock only for those who move."""
    tiers = all_tiers()
    rank_of = {t.id: t.rank for t in tiers}
    since = utcnow() - timedelta(days=get_program().tier_window_days)
    moved = {"up": 0, "down": 0, "same": 0}
    last_id = 0
    while True:
        rows = list(
            db.session.execute(
                select(Member.id, Member.tier_id)
                .where(Member.id > last_id, Member.ended_at.is_(None))
                .order_by(Member.id)
                .limit(batch)
            )
        )
        if not rows:
            return moved
        ids = [member_id for member_id, _ in rows]
        points = dict(
            db.session.execute(
                select(LedgerEntry.member_id, func.sum(LedgerEntry.qualifying))
                .where(LedgerEntry.member_id.in_(ids), LedgerEntry.created_at >= since)
                .group_by(LedgerEntry.member_id)
            ).all()
        )
        for member_id, tier_id in rows:
            target = tier_for_points(points.get(member_id) or 0, tiers)
            if target.id == tier_id:
                moved["same"] += 1
                continue
            moved["up" if target.rank > rank_of[tier_id] else "down"] += 1
            evaluate(member_id)
        last_id = ids[-1]


def points_standing(member: Member) -> dict:
    """Where the member stands: qualifying points and what the next tier needs."""
    points = _window_points(member.id)
    higher = [t for t in all_tiers() if t.rank > member.tier.rank]
    nxt = higher[0] if higher else None
    return {
        "tier": member.tier.code,
        "qualifying_points": points,
        "next_tier": nxt.code if nxt else None,
        "points_to_next_tier": max(0, nxt.threshold_points - points) if nxt else None,
    }
