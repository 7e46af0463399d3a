"""Quizzes: admin definitions, attempts with a server-side clock, scoring exactly once.

The rules of scoring, deadlines and when answers show are `challenges.rules.quiz_scoring`'s;
this module loads a quiz into them, keeps attempts and pays what they score."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError, not_found
from app.extensions import db
from app.ledger.service import award_points, lock_member
from app.lookup import by_public_id
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.schemas import Augmented
from challenges.badges import service as badges
from challenges.badges.models import Badge
from challenges.common import (
    check_code_free,
    check_eligibility,
    default_language,
    invalid,
    require_eligible,
)
from challenges.eligibility import is_eligible
from challenges.errors import GameError
from challenges.quizzes.models import Quiz, QuizAttempt, QuizOption, QuizQuestion
from challenges.rules import quiz_scoring
from challenges.texts import localize

Loaded = list[tuple[QuizQuestion, list[QuizOption]]]


def load_questions(quiz: Quiz) -> Loaded:
    questions = list(
        db.session.scalars(
            select(QuizQuestion)
            .where(QuizQuestion.quiz_id == quiz.id)
            .order_by(QuizQuestion.position, QuizQuestion.id)
        )
    )
    options: dict[int, list[QuizOption]] = {q.id: [] for q in questions}
    if questions:
        for option in db.session.scalars(
            select(QuizOption)
            .where(QuizOption.question_id.in_(options))
            .order_by(QuizOption.position, QuizOption.id)
        ):
            options[option.question_id].append(option)
    return [(q, options[q.id]) for q in questions]


def rules_of(quiz: Quiz, loaded: Loaded) -> quiz_scoring.Quiz:
    """The scoring rules of a stored quiz; raises ValueError when the quiz is not playable."""
    questions = tuple(
        quiz_scoring.Question(
            id=q.public_id,
            kind=quiz_scoring.QuestionKind(q.kind),
            option_ids=tuple(o.public_id for o in opts),
            correct_option_ids=frozenset(o.public_id for o in opts if o.is_correct),
        )
        for q, opts in loaded
    )
    reward: quiz_scoring.QuizReward
    if quiz.reward_kind == "pass_mark":
        badge = db.session.get(Badge, quiz.prize_badge_id) if quiz.prize_badge_id else None
        reward = quiz_scoring.PassMarkPrize(
            quiz.pass_mark or 0, quiz.prize_points, badge.code if badge else None
        )
    else:
        reward = quiz_scoring.PointsPerCorrect(quiz.points_per_correct)
    return quiz_scoring.Quiz(
        quiz.public_id, questions, timedelta(seconds=quiz.time_limit_seconds), reward
    )


def define(data: dict[str, Any]) -> Augmented:
    """An admin's new quiz, committed; its admin view."""
    check_eligibility(data)
    check_code_free(Quiz, data.get("code"))
    quiz = create(data)
    db.session.commit()
    return with_questions(quiz)


def quiz_by_id(public_id: str) -> Quiz:
    return by_public_id(Quiz, public_id, "quiz")


def change(public_id: str, changes: dict[str, Any]) -> Augmented:
    check_eligibility(changes)
    quiz = update(quiz_by_id(public_id), changes)
    db.session.commit()
    return with_questions(quiz)


def retire(public_id: str) -> Augmented:
    """Quizzes are retired, not deleted: attempts keep pointing at them."""
    quiz = quiz_by_id(public_id)
    quiz.active = False
    db.session.commit()
    return with_questions(quiz)


def latest(limit: int = 200) -> list[Augmented]:
    newest = db.session.scalars(select(Quiz).order_by(Quiz.id.desc()).limit(limit))
    return [with_questions(q) for q in newest]


def create(data: dict[str, Any]) -> Quiz:
    """A quiz with its questions (flushed, not committed; the demo seeds through it too)."""
    questions = data.pop("questions")
    badge_code = data.pop("prize_badge_code", None)
    quiz = Quiz(**data)
    if badge_code:
        badge = badges.badge_by_code(badge_code)
        if badge is None:
            raise invalid("prize_badge_code", "Unknown badge.")
        quiz.prize_badge_id = badge.id
    _check_times(quiz)
    db.session.add(quiz)
    db.session.flush()
    for qpos, q in enumerate(questions):
        question = QuizQuestion(quiz_id=quiz.id, position=qpos, kind=q["kind"], text=q["text"])
        db.session.add(question)
        db.session.flush()
        for opos, o in enumerate(q["options"]):
            db.session.add(
                QuizOption(
                    question_id=question.id,
                    position=opos,
                    text=o["text"],
                    is_correct=o["is_correct"],
                )
            )
    db.session.flush()
    try:
        rules_of(quiz, load_questions(quiz))
    except ValueError as exc:
        raise ApiError(422, "invalid_quiz", str(exc).replace(quiz.public_id, "the quiz")) from exc
    return quiz


def update(quiz: Quiz, changes: dict[str, Any]) -> Quiz:
    for field, value in changes.items():
        setattr(quiz, field, value)
    _check_times(quiz)
    try:
        rules_of(quiz, load_questions(quiz))
    except ValueError as exc:
        raise ApiError(422, "invalid_quiz", str(exc).replace(quiz.public_id, "the quiz")) from exc
    return quiz


def _check_times(quiz: Quiz) -> None:
    if quiz.ends_at <= quiz.starts_at:
        raise invalid("ends_at", "Must be after starts_at.")


def _attempts_used(quiz: Quiz, member: Member) -> int:
    return db.session.scalar(
        select(func.count(QuizAttempt.id)).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.member_id == member.id
        )
    )


def _grace() -> timedelta:
    return timedelta(seconds=current_app.config["GAMES_QUIZ_GRACE_SECONDS"])


def _deadline(attempt_deadline: datetime, quiz: Quiz) -> datetime:
    # An admin may close a quiz early: its end then cuts short attempts started before, so that
    # nothing scores after ends_at + grace, when a closed quiz starts showing its answers.
    return min(attempt_deadline, quiz.ends_at)


def _open_attempt(quiz: Quiz, member: Member, now: datetime) -> QuizAttempt | None:
    """The member's attempt at this quiz that can still be submitted, if any."""
    grace = _grace()
    for attempt in db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.member_id == member.id,
            QuizAttempt.status == "started",
        )
    ):
        deadline = _deadline(attempt.deadline, quiz)
        if quiz_scoring.attempt_open(attempt.status, deadline, now, grace):
            return attempt
    return None


def playable(member: Member, now: datetime | None = None) -> list[Augmented]:
    """Quizzes open now that the member may play and has attempts left for, each with its
    `attempts_left` and `prize_badge` (loaded in one query for all)."""
    now = now or utcnow()
    used = dict(
        db.session.execute(
            select(QuizAttempt.quiz_id, func.count(QuizAttempt.id))
            .where(QuizAttempt.member_id == member.id)
            .group_by(QuizAttempt.quiz_id)
        ).all()
    )
    shown = []
    for quiz in db.session.scalars(
        select(Quiz)
        .where(Quiz.active, Quiz.starts_at <= now, Quiz.ends_at > now)
        .order_by(Quiz.ends_at, Quiz.id)
    ):
        left = quiz.attempts_allowed - used.get(quiz.id, 0)
        if left > 0 and is_eligible(quiz, member):
            shown.append((quiz, left))
    prize_badges = badges.by_ids(q.prize_badge_id for q, _ in shown)
    return [
        Augmented(quiz, attempts_left=left, prize_badge=prize_badges.get(quiz.prize_badge_id))
        for quiz, left in shown
    ]


def start(member: Member, quiz_public_id: str) -> Augmented:
    """Start an attempt, committed; the member's view of it."""
    attempt = start_attempt(member, quiz_public_id)
    db.session.commit()
    return shown_attempt(attempt, member)


def start_attempt(member: Member, quiz_public_id: str, now: datetime | None = None) -> QuizAttempt:
    now = now or utcnow()
    quiz = db.session.scalar(select(Quiz).where(Quiz.public_id == quiz_public_id))
    if quiz is None or not quiz.active:
        raise not_found("quiz")
    ensure_active(member)
    if now < quiz.starts_at:
        raise ApiError(409, "quiz_not_open", "This quiz has not started yet.")
    if now >= quiz.ends_at:
        raise ApiError(409, "quiz_closed", "This quiz has closed.")
    require_eligible(quiz, member)
    used = _attempts_used(quiz, member)
    if used >= quiz.attempts_allowed:
        raise _no_attempts_left(quiz)
    # One attempt at a time: answers revealed by one must not be usable in another. Two racing
    # starts both take the same attempt number, and the unique constraint refuses one.
    running = _open_attempt(quiz, member, now)
    if running is not None:
        raise _in_progress(running, quiz)
    attempt = QuizAttempt(
        quiz_id=quiz.id,
        member_id=member.id,
        number=used + 1,
        started_at=now,
        deadline=quiz_scoring.attempt_deadline(
            now, timedelta(seconds=quiz.time_limit_seconds), quiz.ends_at
        ),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # A concurrent start took this attempt number (and has committed it by now).
        running = _open_attempt(quiz, member, now)
        raise (_in_progress(running, quiz) if running else _no_attempts_left(quiz)) from None
    return attempt


def _in_progress(running: QuizAttempt, quiz: Quiz) -> ApiError:
    return ApiError(
        409,
        "attempt_in_progress",
        "Finish the attempt you started first.",
        {
            "attempt_id": running.public_id,
            "deadline": _deadline(running.deadline, quiz).isoformat(),
        },
    )


def _no_attempts_left(quiz: Quiz) -> ApiError:
    return ApiError(
        409,
        "no_attempts_left",
        "You have used every attempt at this quiz.",
        {"attempts_allowed": quiz.attempts_allowed},
    )


def own_attempt(member: Member, public_id: str, *, lock: bool = False) -> QuizAttempt:
    try:
        attempt = by_public_id(QuizAttempt, public_id, "quiz_attempt", lock=lock)
    except ApiError:
        raise not_found("quiz_attempt") from None
    # Another member's attempt is "not found": its existence is none of the caller's business.
    if attempt.member_id != member.id:
        raise not_found("quiz_attempt")
    return attempt


def submit(
    member: Member, attempt_public_id: str, answers: dict[str, list[str]]
) -> tuple[QuizAttempt, bool]:
    """Score an attempt once; (attempt, replayed). The attempt row is locked, so concurrent
    submissions queue up and all but the first see it submitted."""
    from challenges.contests import subscribers as contests
    from challenges.missions import subscribers as missions

    # The member first, as the ledger and every other path that pays do: locking the attempt or
    # a challenge's progress row before the member could deadlock with them on PostgreSQL.
    member = lock_member(member.id)
    ensure_active(member)
    attempt = own_attempt(member, attempt_public_id, lock=True)
    if attempt.status == "submitted":
        return attempt, True
    if attempt.status == "expired":
        raise _late(attempt)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    rules = rules_of(quiz, load_questions(quiz))
    now = utcnow()
    try:
        result = quiz_scoring.grade_submission(
            rules,
            answers,
            deadline=_deadline(attempt.deadline, quiz),
            submitted_at=now,
            grace=_grace(),
        )
    except GameError as exc:
        if exc.code != "deadline_passed":
            raise
        attempt.status = "expired"
        attempt.submitted_at = now
        db.session.commit()
        raise _late(attempt) from None
    attempt.status = "submitted"
    attempt.submitted_at = now
    attempt.answers = {k: sorted(v) for k, v in answers.items()}
    attempt.correct_count = result.correct_count
    attempt.points = result.points
    attempt.result = {
        "questions": [
            {"question_id": r.question_id, "chosen": sorted(r.chosen), "correct": r.correct}
            for r in result.questions
        ],
        "correct_count": result.correct_count,
        "total": result.total,
        "points": result.points,
        "passed": result.passed,
    }
    title = localize(quiz.title, "en", default_language())
    if result.points:
        award_points(
            member.id,
            result.points,
            idempotency_key=f"quiz-attempt:{attempt.public_id}",
            kind="bonus",
            reason=f"Quiz: {title}"[:200],
            reference_type="quiz_attempt",
            reference_id=attempt.public_id,
        )
    if result.passed and quiz.prize_badge_id:
        badges.grant(member.id, quiz.prize_badge_id, f"quiz:{quiz.public_id}")
    missions.on_quiz_completed(member, attempt.public_id, now)
    contests.on_quiz_completed(member, attempt.public_id, result.correct_count, now)
    db.session.commit()
    return attempt, False


def submitted(member: Member, attempt_public_id: str, answers: dict[str, list[str]]) -> Augmented:
    """Score the attempt once (see `submit`); the member's view of it, and whether this was a
    replay of the first submission."""
    attempt, replayed = submit(member, attempt_public_id, answers)
    return Augmented(shown_attempt(attempt, member), replayed=replayed)


def _late(attempt: QuizAttempt) -> ApiError:
    return ApiError(
        409,
        "deadline_passed",
        "The time for this attempt is over; it scores nothing.",
        {"deadline": attempt.deadline.isoformat()},
    )


def shown_attempt(attempt: QuizAttempt, member: Member, now: datetime | None = None) -> Augmented:
    """An attempt as its member may see it: the effective deadline, and per question the
    member's answer once submitted and the right options once they may be shown
    (`answers_visible`), never before."""
    now = now or utcnow()
    quiz = db.session.get(Quiz, attempt.quiz_id)
    submitted = attempt.status == "submitted"
    grace = _grace()
    this_open = quiz_scoring.attempt_open(
        attempt.status, _deadline(attempt.deadline, quiz), now, grace
    )
    member_done = False
    if submitted and quiz.show_answers_after_submit:
        member_done = (
            _attempts_used(quiz, member) >= quiz.attempts_allowed
            and _open_attempt(quiz, member, now) is None
        )
    reveal = quiz_scoring.answers_visible(
        show_after_submit=quiz.show_answers_after_submit,
        submitted=submitted,
        attempt_open=this_open,
        member_done=member_done,
        closes_at=quiz.ends_at,
        now=now,
        grace=grace,
    )
    by_question = {r["question_id"]: r for r in (attempt.result or {}).get("questions", [])}
    questions = []
    for q, opts in load_questions(quiz):
        # What the member may see of a question is what is set here; the rest stays unsent.
        seen: dict[str, Any] = {"options": opts}
        if submitted:
            seen["your_answer"] = by_question.get(q.public_id, {}).get("chosen", [])
        if reveal:
            seen["correct_option_ids"] = [o.public_id for o in opts if o.is_correct]
            if submitted:
                seen["answered_correctly"] = by_question.get(q.public_id, {}).get("correct")
        questions.append(Augmented(q, **seen))
    return Augmented(
        attempt,
        quiz=quiz,
        deadline=_deadline(attempt.deadline, quiz),
        answers_visible=reveal,
        questions=questions,
    )


def with_questions(quiz: Quiz) -> Augmented:
    """A quiz as its admin sees it: with its questions and which options are right."""
    return Augmented(
        quiz, questions=[Augmented(q, options=opts) for q, opts in load_questions(quiz)]
    )
