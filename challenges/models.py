"""The games' tables: quizzes, challenges (missions), contests, badges.

Texts a member reads are JSON maps language -> text (see `challenges.texts`). Eligibility is the
same three columns everywhere (see `challenges.eligibility`). Public ids only leave the server.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column, utcnow


class EligibilityColumns:
    """Who may play: tiers (empty = all), an explicit member list, a core segment (public id)."""

    tiers: Mapped[list] = mapped_column(JSON, default=list)
    member_ids: Mapped[list] = mapped_column(JSON, default=list)  # member public ids
    segment_id: Mapped[str | None] = mapped_column(String(64))


class Badge(db.Model):
    __tablename__ = "game_badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("bdg")
    code: Mapped[str] = mapped_column(String(60), unique=True)
    image_url: Mapped[str] = mapped_column(String(500))
    name: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = created_at_column()


class MemberBadge(db.Model):
    __tablename__ = "game_member_badges"
    __table_args__ = (UniqueConstraint("member_id", "badge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    badge_id: Mapped[int] = mapped_column(ForeignKey("game_badges.id"))
    # What granted it, e.g. "challenge:chl_x:2026-W48" or "contest:ctst_y:1".
    source: Mapped[str] = mapped_column(String(120))
    granted_at: Mapped[datetime] = created_at_column()


class Quiz(EligibilityColumns, db.Model):
    __tablename__ = "game_quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("quiz")
    code: Mapped[str | None] = mapped_column(String(60), unique=True)
    title: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    time_limit_seconds: Mapped[int]
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    # "per_correct": points_per_correct each; "pass_mark": prize_points and/or prize badge.
    reward_kind: Mapped[str] = mapped_column(String(20))
    points_per_correct: Mapped[int] = mapped_column(default=0)
    pass_mark: Mapped[int | None]
    prize_points: Mapped[int] = mapped_column(default=0)
    prize_badge_id: Mapped[int | None] = mapped_column(ForeignKey("game_badges.id"))
    show_answers_after_submit: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class QuizQuestion(db.Model):
    __tablename__ = "game_quiz_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("qq")
    quiz_id: Mapped[int] = mapped_column(ForeignKey("game_quizzes.id"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))  # single | multiple
    text: Mapped[dict] = mapped_column(JSON)


class QuizOption(db.Model):
    __tablename__ = "game_quiz_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("qo")
    question_id: Mapped[int] = mapped_column(ForeignKey("game_quiz_questions.id"), index=True)
    position: Mapped[int]
    text: Mapped[dict] = mapped_column(JSON)
    is_correct: Mapped[bool] = mapped_column(default=False)


class QuizAttempt(db.Model):
    __tablename__ = "game_quiz_attempts"
    # `number` counts a member's attempts at a quiz: two racing starts cannot both be number 2.
    __table_args__ = (UniqueConstraint("quiz_id", "member_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("qa")
    quiz_id: Mapped[int] = mapped_column(ForeignKey("game_quizzes.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    # started -> submitted (scored) | expired (submitted too late: scores nothing)
    status: Mapped[str] = mapped_column(String(10), default="started")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answers: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    correct_count: Mapped[int | None]
    points: Mapped[int] = mapped_column(default=0)


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
