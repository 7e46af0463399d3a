"""The referral program's settings: one row, changed by operators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, utcnow


class ReferralSettings(db.Model):
    """Rewards per side (points, or a reward of the catalog), the minimum first purchase, the
    referrer's cap per period and the hold. Read when a referral qualifies: changing them does
    not change referrals already qualified."""

    __tablename__ = "referral_settings"
    __table_args__ = (
        CheckConstraint("friend_points >= 0 AND referrer_points >= 0", name="points_not_negative"),
        CheckConstraint("min_purchase_minor >= 0", name="minimum_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    friend_points: Mapped[int] = mapped_column(default=100)
    friend_reward_id: Mapped[int | None] = mapped_column(ForeignKey("rewards.id"))
    referrer_points: Mapped[int] = mapped_column(default=200)
    referrer_reward_id: Mapped[int | None] = mapped_column(ForeignKey("rewards.id"))
    min_purchase_minor: Mapped[int] = mapped_column(default=2000)
    # Rewards a referrer earns per `cap_period_days` at most (None: no cap).
    referrer_cap: Mapped[int | None] = mapped_column(default=10)
    cap_period_days: Mapped[int] = mapped_column(default=365)
    # Days the rewards stay pending after the qualifying purchase (None: the program's
    # return window, the purchase's own points' hold).
    hold_days: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
