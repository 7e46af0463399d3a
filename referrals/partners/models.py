"""Partners (creators): a vanity code's owner, its window, welcome, cap and commission terms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column

COMMISSION_KINDS = ("points", "money")


class Partner(db.Model):
    """A creator whose audience joins with a vanity code (its `ReferralCode` row)."""

    __tablename__ = "referral_partners"
    __table_args__ = (
        # The cap is a conditional increment of `signups`; this is its last line of defence.
        CheckConstraint("signup_cap IS NULL OR signups <= signup_cap", name="signups_within_cap"),
        CheckConstraint("welcome_points >= 0", name="welcome_points_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("prt")
    name: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
    # What a member who joins with the code gets at once: points, or a reward of the catalog.
    welcome_points: Mapped[int] = mapped_column(default=0)
    welcome_reward_id: Mapped[int | None] = mapped_column(ForeignKey("rewards.id"))
    signup_cap: Mapped[int | None]
    signups: Mapped[int] = mapped_column(default=0)
    # Recorded per qualified member for the operator's payout (the program pays nothing).
    commission_kind: Mapped[str | None] = mapped_column(String(10))
    commission_points: Mapped[int] = mapped_column(default=0)
    commission_minor: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()
