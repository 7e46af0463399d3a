"""Tier qualification: points earned in a rolling window. Upgrades at once, downgrades only at
the periodic evaluation, so that a member never loses a tier in the middle of a visit.

A purchase does not sum the window: the member's row carries a running total, `tier_points`,
the qualifying points of the entries made since `tier_points_since` (every entry adds its
`qualifying` to it, in the ledger's own update of the row). As `tier_points_since` is never
later than the window's start, the total is at least the window's sum (points only leave the
window by ageing, and the total keeps them until the next evaluation), so a purchase that leaves
it below the next tier's threshold cannot upgrade and costs nothing more, whatever the member's
history. Only a total that reaches the threshold is checked against the window's exact sum, and
the total is set to that sum (and `tier_points_since` to the window's start) on the way. The
periodic evaluation sums the window exactly for every member and sets the totals likewise.
(One case makes the total lower than the window's sum: a refund's reversal counted in the total
of points earned before it; the window loses it when it ages out, the total at the next
evaluation, so such an upgrade waits for that evaluation at most.)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from app import events, settings_cache, transaction_memo
from app.errors import ApiError
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.service import lock_member, qualifying_points
from app.members.models import Member
from app.models_base import utcnow
from app.program.service import program_settings
from app.tiers.models import Tier

settings_cache.watch(Tier)
_MEMO = "tiers"


def _tier_values() -> tuple[dict, ...]:
    return tuple(
        settings_cache.values_of(t) for t in db.session.scalars(select(Tier).order_by(Tier.rank))
    )


def all_tiers() -> list[Tier]:
    """The tiers by rank, from the settings cache: in the session without a query, so that
    `member.tier` needs none either."""
    memo = transaction_memo.current()
    if _MEMO not in memo:
        rows = settings_cache.cached("tiers", _tier_values)
        memo[_MEMO] = [settings_cache.attach(Tier, values) for values in rows]
    return memo[_MEMO]


def forget_cached_tiers() -> None:
    """After a change to the tiers in this transaction: read them again."""
    transaction_memo.current().pop(_MEMO, None)


def tier_settings() -> tuple[settings_cache.Frozen, ...]:
    """The tiers by rank to read (no ORM instances): the purchase path's."""
    return settings_cache.cached(
        "tiers.settings", lambda: tuple(settings_cache.Frozen(v) for v in _tier_values())
    )


def tier_of(member: Member) -> settings_cache.Frozen:
    return next(t for t in tier_settings() if t.id == member.tier_id)


def check_tier_codes(codes: list[str], field: str = "tiers") -> None:
    """A 422 naming the codes that are no tier of the program."""
    unknown = sorted(set(codes) - {t.code for t in all_tiers()})
    if unknown:
        raise ApiError(
            422, "validation_error", "Unknown tier.", {"fields": {field: [", ".join(unknown)]}}
        )


def entry_tier() -> Tier:
    tiers = all_tiers()
    if not tiers:
        raise ApiError(409, "program_not_configured", "The program has no tiers yet.")
    return tiers[0]


def tier_for_points(points: int, tiers: list) -> Any:
    qualified = [t for t in tiers if t.threshold_points <= points]
    return qualified[-1] if qualified else tiers[0]


def window_start(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=program_settings().tier_window_days)


def _window_points(member_id: int) -> int:
    return qualifying_points(member_id, window_start())


def _sum_window(member: Member, since: datetime) -> int:
    """The window's exact sum, which the member's running total becomes (member locked)."""
    points = qualifying_points(member.id, since)
    if member.tier_points != points or member.tier_points_since != since:
        member.tier_points = points
        member.tier_points_since = since
    return points


def _move(member: Member, target: Any) -> None:
    """Move the member to `target` (a tier, or its cached settings)."""
    tier = next(t for t in all_tiers() if t.id == target.id)
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
    """Called after points that qualify were earned, with the member locked: the running
    total first, the window's sum only when the total reaches the next tier."""
    tiers = tier_settings()
    rank = tier_of(member).rank
    higher = [t for t in tiers if t.rank > rank]
    if not higher or member.tier_points < higher[0].threshold_points:
        return
    target = tier_for_points(_sum_window(member, window_start()), tiers)
    if target.rank > rank:
        _move(member, target)


def evaluate(member_id: int) -> str:
    """The periodic evaluation: a member moves to the tier the window's points give, up or
    down, and the running total becomes the window's sum."""
    member = lock_member(member_id)
    target = tier_for_points(_sum_window(member, window_start()), all_tiers())
    if target.id != member.tier_id:
        _move(member, target)
    db.session.commit()
    return member.tier.code


def evaluate_all(batch: int = 1000) -> dict[str, int]:
    """Evaluate every member: one query a batch reads each member's tier, running total and
    the window's exact sum together (one snapshot); a lock only for those whose tier or total
    is off."""
    # Plain values: the commits below expire the session's tier instances.
    tiers = [
        SimpleNamespace(id=t.id, rank=t.rank, threshold_points=t.threshold_points)
        for t in all_tiers()
    ]
    rank_of = {t.id: t.rank for t in tiers}
    since = window_start()
    window = (
        select(func.coalesce(func.sum(LedgerEntry.qualifying), 0))
        .where(LedgerEntry.member_id == Member.id, LedgerEntry.created_at >= since)
        .correlate(Member)
        .scalar_subquery()
    )
    moved = {"up": 0, "down": 0, "same": 0}
    last_id = 0
    while True:
        rows = list(
            db.session.execute(
                select(Member.id, Member.tier_id, Member.tier_points, window)
                .where(Member.id > last_id, Member.ended_at.is_(None))
                .order_by(Member.id)
                .limit(batch)
            )
        )
        db.session.commit()  # no snapshot or lock held between batches
        if not rows:
            return moved
        for member_id, tier_id, total, points in rows:
            target = tier_for_points(points, tiers)
            if target.id == tier_id:
                moved["same"] += 1
            else:
                moved["up" if target.rank > rank_of[tier_id] else "down"] += 1
            if target.id != tier_id or total != points:
                evaluate(member_id)
        last_id = rows[-1][0]


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
