"""Contests: leaderboards and sweepstakes, their standings, entries and the prizes paid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column
from challenges.eligibility import EligibilityColumns

OPEN, SETTLING, CLOSED = "open", "settling", "closed"
STATUSES = (OPEN, SETTLING, CLOSED)
# Where refunds still take back what they reverse.
LIVE = (OPEN, SETTLING)
KINDS = ("leaderboard", "sweepstakes")


class Contest(EligibilityColumns, db.Model):
    __tablename__ = "game_contests"
    __table_args__ = (Index("ix_game_contests_due", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("ctst")
    code: Mapped[str | None] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # leaderboard | sweepstakes
    name: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # open -> settling -> closed (or open -> closed when nothing counted can still be refunded);
    # each step is one conditional update, which is what makes it happen once. While settling,
    # the contest takes nothing new but refunds still take back what they reverse; prizes are
    # paid at `settles_at`, when the return window of the last counted purchase has passed.
    status: Mapped[str] = mapped_column(String(10), default="open")
    settles_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    metric: Mapped[str | None] = mapped_column(String(30))
    # [{"first_rank", "last_rank", "points", "badge_code", "reward_id"}]; ranks are draw places
    # for a sweepstakes.
    prizes: Mapped[list] = mapped_column(JSON)
    min_score: Mapped[int] = mapped_column(default=1)
    one_prize_per_holder: Mapped[bool] = mapped_column(default=True)
    free_entry: Mapped[bool] = mapped_column(default=False)
    entries_per_purchase: Mapped[int] = mapped_column(default=0)
    entries_per_quiz: Mapped[int] = mapped_column(default=0)
    # The secret seed (hex) stays server-side until the draw; its SHA-256 is public from the
    # start.
    seed: Mapped[str | None] = mapped_column(String(64))
    commitment: Mapped[str | None] = mapped_column(String(64))
    draw: Mapped[dict | None] = mapped_column(JSON)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()


class ContestStanding(db.Model):
    """The leaderboard's truth (Redis, where configured, is a projection of these rows)."""

    __tablename__ = "game_contest_standings"
    __table_args__ = (
        Index("uq_game_contest_standings_board_member", "contest_id", "member_id", unique=True),
        Index(
            "ix_game_contest_standings_board_order",
            "contest_id",
            "score",
            "reached_at",
            "member_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("game_contests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    score: Mapped[int] = mapped_column(BigInteger)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bumped by every change, so a late Redis write cannot move a member backwards.
    version: Mapped[int] = mapped_column(default=1)


class ContestEntry(db.Model):
    __tablename__ = "game_contest_entries"
    # "free:<member>" (one per member), "purchase:<purchase>:<n>", "quiz:<attempt>:<n>".
    __table_args__ = (UniqueConstraint("contest_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("ent")
    contest_id: Mapped[int] = mapped_column(ForeignKey("game_contests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str | None] = mapped_column(String(40), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = created_at_column()


class ContestPrize(db.Model):
    """What a closed contest paid, one row per rank or place."""

    __tablename__ = "game_contest_prizes"
    __table_args__ = (UniqueConstraint("contest_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("game_contests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    rank: Mapped[int]
    score: Mapped[int | None] = mapped_column(BigInteger)
    entry_public_id: Mapped[str | None] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(default=0)
    badge_id: Mapped[int | None] = mapped_column(ForeignKey("game_badges.id"))
    reward_id: Mapped[int | None] = mapped_column(ForeignKey("rewards.id"))
    redemption_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
