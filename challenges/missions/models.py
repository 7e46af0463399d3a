"""Challenges (missions): their goals and windows, who joined, each member's progress and
the windows completed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column, utcnow
from challenges.eligibility import EligibilityColumns


class Challenge(EligibilityColumns, db.Model):
    __tablename__ = "game_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("chl")
    code: Mapped[str | None] = mapped_column(String(60), unique=True)
    name: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    goal_kind: Mapped[str] = mapped_column(String(30))
    target: Mapped[int]
    channel: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3))
    min_amount_minor: Mapped[int] = mapped_column(default=0)
    streak_unit: Mapped[str | None] = mapped_column(String(10))
    streak_length: Mapped[int | None]
    window_kind: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    opt_in: Mapped[bool] = mapped_column(default=False)
    reward_points: Mapped[int] = mapped_column(default=0)
    reward_badge_id: Mapped[int | None] = mapped_column(ForeignKey("game_badges.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class ChallengeParticipant(db.Model):
    __tablename__ = "game_challenge_participants"
    __table_args__ = (UniqueConstraint("challenge_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("game_challenges.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    joined_at: Mapped[datetime] = created_at_column()


class ChallengeProgress(db.Model):
    """One member's `challenges.rules.progress.ChallengeState` as JSON, locked while an event
    applies."""

    __tablename__ = "game_challenge_progress"
    __table_args__ = (UniqueConstraint("challenge_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("game_challenges.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ChallengeCompletion(db.Model):
    """A window completed and rewarded. A reward held for the return window that a refund took
    back is `reversed_at`; the window may then be completed again, as the next `number`."""

    __tablename__ = "game_challenge_completions"
    __table_args__ = (
        UniqueConstraint(
            "challenge_id",
            "member_id",
            "window_key",
            "number",
            name="uq_game_challenge_completions_window_number",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("game_challenges.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    window_key: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(default=1)
    # When the goal was reached (the event's time) and when that was recorded.
    completed_at: Mapped[datetime] = created_at_column()
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The ledger key of its points (None without points) and until when a refund that drops
    # the progress below the goal takes them back (None: final at once).
    reward_key: Mapped[str | None] = mapped_column(String(200))
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
