"""The operators' review: the flagged queue, approving (granting exactly once), rejecting."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import ApiError
from app.extensions import db
from app.ledger.service import lock_member
from app.lookup import by_public_id
from app.models_base import utcnow
from referrals import rules
from referrals.codes.service import lock_code
from referrals.program.service import get_settings
from referrals.referrals import service as referrals
from referrals.referrals.models import Referral

OPERATOR = "operator"
REJECTABLE = (rules.JOINED, rules.FLAGGED)


def get_referral(public_id: str) -> Referral:
    return by_public_id(Referral, public_id, "referral")


def queue(status: str | None, before_id: int | None, limit: int) -> list[Referral]:
    stmt = select(Referral)
    if status is not None:
        stmt = stmt.where(Referral.status == status)
    if before_id is not None:
        stmt = stmt.where(Referral.id < before_id)
    return list(db.session.scalars(stmt.order_by(Referral.id.desc()).limit(limit)))


def _locked(referral: Referral) -> Referral:
    """The friend's ledger lock first (the lock order of every referral change), then the
    referral as it is now."""
    lock_member(referral.friend_member_id)
    return db.session.execute(
        select(Referral)
        .where(Referral.id == referral.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def approve(referral: Referral, by: str, note: str | None) -> Referral:
    """A flagged referral qualifies after all: its rewards are granted, exactly once (a second
    approval finds it no longer flagged); the referrer's cap still holds."""
    referral = _locked(referral)
    if referral.status != rules.FLAGGED:
        raise ApiError(409, "referral_not_flagged", "Only a flagged referral can be approved.")
    now = utcnow()
    if referral.referrer_member_id is not None:
        settings = get_settings()
        lock_code(referral.code_id)
        counted = referrals.rewarded_in_period(referral.referrer_member_id, settings, now)
        if rules.cap_reached(counted, settings.referrer_cap):
            raise ApiError(
                409,
                "referrer_cap_reached",
                "The referrer has earned as many referral rewards this period as allowed.",
                {"cap": settings.referrer_cap, "period_days": settings.cap_period_days},
            )
    referral.status = rules.QUALIFIED
    referral.qualified_at = now
    referral.reviewed_by, referral.reviewed_at, referral.review_note = by, now, note
    db.session.flush()
    referrals.grant(referral, now)
    return referral


def reject(referral: Referral, by: str, note: str) -> Referral:
    """A joined or flagged referral is closed without rewards (none were given yet)."""
    referral = _locked(referral)
    if referral.status not in REJECTABLE:
        raise ApiError(
            409,
            "referral_not_open",
            "Only a joined or flagged referral can be rejected; its rewards may be given.",
            {"status": referral.status},
        )
    now = utcnow()
    referral.status = rules.REJECTED
    referral.reason = OPERATOR
    referral.closed_at = now
    referral.reviewed_by, referral.reviewed_at, referral.review_note = by, now, note
    db.session.flush()
    return referral
