"""What a referral gives, through the ledger and the catalog, each exactly once.

Points go through `award_points` under one key per referral and side, pending until the hold
ends (the qualifying purchase's return window by default) so that `reverse_award` can take
them back if that purchase is refunded first. Rewards of the catalog are granted when the hold
has passed (a code cannot be pending). A partner's welcome is given at sign-up.
"""

from __future__ import annotations

from app.extensions import db
from app.ledger.service import award_points, reverse_award
from app.rewards import service as rewards
from app.rewards.models import Reward
from referrals.partners.models import Partner
from referrals.referrals.models import Referral

FRIEND = "friend"
REFERRER = "referrer"
WELCOME = "welcome"
REFERENCE_TYPE = "referral"


def award_key(referral_public_id: str, side: str) -> str:
    """The ledger idempotency key of one side's points (the ledger check builds it in SQL)."""
    return f"referral:{referral_public_id}:{side}"


def _award(referral: Referral, member_id: int, points: int, side: str, reason: str, until) -> None:
    award_points(
        member_id,
        points,
        idempotency_key=award_key(referral.public_id, side),
        kind="bonus",
        reason=reason,
        reference_type=REFERENCE_TYPE,
        reference_id=referral.public_id,
        pending_until=until,
    )


def credit(referral: Referral) -> None:
    """Both sides' points, pending until `hold_until` (available at once when it has passed).
    The friend's ledger is locked first: the lock order of every ledger write here."""
    if referral.friend_points:
        _award(
            referral,
            referral.friend_member_id,
            referral.friend_points,
            FRIEND,
            "Referral: welcome, friend",
            referral.hold_until,
        )
    if referral.referrer_member_id is not None and referral.referrer_points:
        _award(
            referral,
            referral.referrer_member_id,
            referral.referrer_points,
            REFERRER,
            "Referral: a friend joined",
            referral.hold_until,
        )


def reverse(referral: Referral) -> None:
    """Take both sides' points back, exactly once (nothing when none were given)."""
    for side in (FRIEND, REFERRER):
        reverse_award(award_key(referral.public_id, side), "Referral: qualifying purchase refunded")


def _grant(member_id: int, reward_id: int, reason: str) -> int | None:
    reward = db.session.get(Reward, reward_id)
    granted = rewards.grant(member_id, reward, reason) if reward and reward.active else None
    return granted.id if granted else None


def grant_catalog(referral: Referral) -> None:
    """The catalog rewards of both sides, once the hold has passed (out of stock: none)."""
    if referral.friend_reward_id and referral.friend_redemption_id is None:
        referral.friend_redemption_id = _grant(
            referral.friend_member_id, referral.friend_reward_id, "Referral"
        )
    if (
        referral.referrer_member_id is not None
        and referral.referrer_reward_id
        and referral.referrer_redemption_id is None
    ):
        referral.referrer_redemption_id = _grant(
            referral.referrer_member_id, referral.referrer_reward_id, "Referral"
        )


def welcome(referral: Referral, partner: Partner) -> None:
    """A partner's welcome to the member who joined with its code, at once."""
    if partner.welcome_points:
        referral.welcome_points = partner.welcome_points
        award_points(
            referral.friend_member_id,
            partner.welcome_points,
            idempotency_key=award_key(referral.public_id, WELCOME),
            kind="bonus",
            reason=f"Welcome from {partner.name}"[:200],
            reference_type=REFERENCE_TYPE,
            reference_id=referral.public_id,
        )
    elif partner.welcome_reward_id:
        referral.welcome_redemption_id = _grant(
            referral.friend_member_id,
            partner.welcome_reward_id,
            f"Welcome from {partner.name}"[:200],
        )
