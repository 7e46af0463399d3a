"""Quizzes: their questions and options (texts are JSON maps language -> text), and the
members' attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column, utcnow
from challenges.eligibility import EligibilityColumns


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
