"""A referral: a friend who joined with a member's or a partner's code, and what came of it;
the commission a partner is owed for one that qualified."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column

# The tables this one's keys name, loaded with it (a metadata without them cannot be created).
from referrals.codes import models as _codes  # noqa: F401


class Referral(db.Model):
    """One friend's referral; `friend_member_id` is unique: one referrer per member.

    The rewards are fixed when it qualifies (the settings of that moment) and credited under
    the keys of `referrals.referrals.rewarding`; the ledger check proves they agree."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(
            "(referrer_member_id IS NULL) <> (partner_id IS NULL)", name="member_or_partner"
        ),
        CheckConstraint(
            "status IN ('joined', 'qualified', 'rewarded', 'flagged', 'rejected')",
            name="known_status",
        ),
        # The cap per period counts a referrer's qualifications by time.
        Index("ix_referrals_referrer", "referrer_member_id", "qualified_at"),
        # The settling job finds what is due.
        Index("ix_referrals_due", "status", "hold_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("rfl")
    code_id: Mapped[int] = mapped_column(ForeignKey("referral_codes.id"))
    referrer_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("referral_partners.id"), index=True)
    friend_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="joined")
    reason: Mapped[str | None] = mapped_column(String(40))
    # What linked the referrer to devices when the friend joined (hashes, `rules.Signal`): a
    # phone that moves to the friend's account later is still the referrer's.
    referrer_signals: Mapped[list | None] = mapped_column(JSON)
    purchase_public_id: Mapped[str | None] = mapped_column(String(32), index=True)
    purchase_amount_minor: Mapped[int | None]
    min_purchase_minor: Mapped[int | None]
    qualified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a refund in the hold took the rewards back.
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    friend_points: Mapped[int] = mapped_column(default=0)
    referrer_points: Mapped[int] = mapped_column(default=0)
    friend_reward_id: Mapped[int | None] = mapped_column(ForeignKey("rewards.id"))
    referrer_reward_id: Mapped[int | None] = mapped_column(ForeignKey("rewards.id"))
    friend_redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))
    referrer_redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))
    # A partner's welcome, given at sign-up.
    welcome_points: Mapped[int] = mapped_column(default=0)
    welcome_redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))
    # The operator who approved or rejected it, and why (free text; `reason` is the code).
    reviewed_by: Mapped[str | None] = mapped_column(String(40))
    review_note: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()


class Commission(db.Model):
    """What the operator owes a partner for one qualified member; voided when the qualifying
    purchase is refunded within the hold."""

    __tablename__ = "referral_commissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("com")
    partner_id: Mapped[int] = mapped_column(ForeignKey("referral_partners.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(default=0)
    amount_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
