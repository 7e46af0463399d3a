"""A member's switches for transactional pushes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, true
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, utcnow

# Transactional pushes, each behind its own switch in the member's preferences.
TRANSACTIONAL_KINDS = (
    "points_earned",
    "tier_changed",
    "challenge_completed",
    "contest_won",
    "offer_expiring",
    "referrals",
    # The community's (community/): a survey after a purchase, a poll's winner, a seat freed.
    "survey_invitation",
    "poll_result",
    "event_waitlist",
)


class NotificationPreference(db.Model):
    """A member's switches for transactional pushes; a member without a row has them all on.

    Campaigns (marketing) follow the member's marketing consent instead.
    """

    __tablename__ = "push_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    points_earned: Mapped[bool] = mapped_column(default=True)
    tier_changed: Mapped[bool] = mapped_column(default=True)
    challenge_completed: Mapped[bool] = mapped_column(default=True)
    contest_won: Mapped[bool] = mapped_column(default=True)
    offer_expiring: Mapped[bool] = mapped_column(default=True)
    # A friend joined with the member's code; the member's referral reward was granted.
    referrals: Mapped[bool] = mapped_column(default=True, server_default=true())
    survey_invitation: Mapped[bool] = mapped_column(default=True, server_default=true())
    poll_result: Mapped[bool] = mapped_column(default=True, server_default=true())
    event_waitlist: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
