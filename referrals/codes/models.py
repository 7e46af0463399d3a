"""Codes (members' and partners' in one namespace) and the email keys the rules compare."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column

# The table this one's keys name, loaded with it.
from referrals.partners import models as _partners  # noqa: F401


class ReferralCode(db.Model):
    """A code a friend types at sign-up: a member's own or a partner's vanity code.

    One table for both, so one unique index keeps a partner's `ANNA10` from ever being a
    member's code too. The row is also what a referrer's qualifications take turns on (its
    row lock), so that the cap per period holds under concurrent purchases."""

    __tablename__ = "referral_codes"
    __table_args__ = (
        CheckConstraint("(member_id IS NULL) <> (partner_id IS NULL)", name="member_or_partner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), unique=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("referral_partners.id"), unique=True)
    # An erased member's code stops working; the row stays for the referrals that name it.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()


class EmailKey(db.Model):
    """A hash of each member's normalised email (`rules.email_key`): how a new member whose
    email is an existing member's in another spelling (`anna.k+2@...`) is found with one
    indexed lookup. Written when a member joins; deleted by erasure."""

    __tablename__ = "referral_email_keys"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
