"""Product votes: a poll of candidate products, and the members' votes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column
from community.eligibility import EligibilityColumns

VISIBILITY = ("live", "after_close")
OPEN = "open"
CLOSED = "closed"


class Poll(EligibilityColumns, db.Model):
    __tablename__ = "community_polls"
    # The close job looks for open polls past their end.
    __table_args__ = (Index("ix_community_polls_due", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("pol")
    title: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    votes_per_member: Mapped[int] = mapped_column(default=1)
    results_visibility: Mapped[str] = mapped_column(String(12), default="after_close")
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    winner_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()

    candidates: Mapped[list[PollCandidate]] = relationship(
        order_by="PollCandidate.position", lazy="selectin", cascade="all, delete-orphan"
    )


class PollCandidate(db.Model):
    __tablename__ = "community_poll_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("pcd")
    poll_id: Mapped[int] = mapped_column(ForeignKey("community_polls.id"), index=True)
    position: Mapped[int]
    name: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    image_url: Mapped[str | None] = mapped_column(String(500))


class PollVote(db.Model):
    __tablename__ = "community_poll_votes"
    # A member's vote for a candidate exists once, whatever the race.
    __table_args__ = (
        UniqueConstraint("poll_id", "member_id", "candidate_id"),
        Index("ix_community_poll_votes_candidate", "poll_id", "candidate_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("vot")
    poll_id: Mapped[int] = mapped_column(ForeignKey("community_polls.id"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("community_poll_candidates.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
