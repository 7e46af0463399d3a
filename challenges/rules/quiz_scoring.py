"""Quiz rules: validating a submission, scoring it, the deadline and the reward.

Pure functions over frozen dataclasses, so the service can load a quiz from the database, call
`grade_submission` and store what it returns; nothing here touches the database or the clock.

Scoring rule: a question is correct when the set of chosen options equals the set of correct
options exactly (all or nothing, also for multiple choice); an unanswered question is wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from challenges.errors import GameError

# Network latency between the member tapping "submit" and the request arriving: a submission
# this much after the deadline still counts.
DEFAULT_GRACE = timedelta(seconds=5)


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    option_ids: tuple[str, ...]
    correct_option_ids: frozenset[str]

    def __post_init__(self) -> None:
        if len(set(self.option_ids)) != len(self.option_ids):
            raise ValueError(f"question {self.id}: option ids repeat")
        if not self.correct_option_ids <= set(self.option_ids):
            raise ValueError(f"question {self.id}: a correct option is not among the options")
        if not self.correct_option_ids:
            raise ValueError(f"question {self.id}: no correct option")
        if self.kind is QuestionKind.SINGLE and len(self.correct_option_ids) != 1:
            raise ValueError(f"question {self.id}: single choice needs exactly one correct option")


@dataclass(frozen=True)
class PointsPerCorrect:
    """Each correct answer earns `points`."""

    points: int


@dataclass(frozen=True)
class PassMarkPrize:
    """Reaching `pass_mark` correct answers earns the fixed prize (points and/or a reward)."""

    pass_mark: int
    points: int = 0
    reward_code: str | None = None


QuizReward = PointsPerCorrect | PassMarkPrize


@dataclass(frozen=True)
class Quiz:
    id: str
    questions: tuple[Question, ...]
    time_limit: timedelta
    reward: QuizReward

    def __post_init__(self) -> None:
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"quiz {self.id}: question ids repeat")
        if self.time_limit <= timedelta(0):
            raise ValueError(f"quiz {self.id}: time limit must be positive")
        reward = self.reward
        if isinstance(reward, PointsPerCorrect) and reward.points < 0:
            raise ValueError(f"quiz {self.id}: negative points")
        if isinstance(reward, PassMarkPrize) and not 1 <= reward.pass_mark <= len(ids):
            raise ValueError(f"quiz {self.id}: pass mark outside 1..{len(ids)}")


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    chosen: frozenset[str]
    correct: bool


@dataclass(frozen=True)
class QuizResult:
    questions: tuple[QuestionResult, ...]
    correct_count: int
    total: int
    points: int
    passed: bool | None  # None when the reward has no pass mark
    reward_code: str | None


def validate_submission(quiz: Quiz, answers: Mapping[str, Sequence[str]]) -> None:
    """Raise GameError for answers that do not fit the quiz; the first problem wins."""
    by_id = {q.id: q for q in quiz.questions}
    for question_id, chosen in answers.items():
        question = by_id.get(question_id)
        if question is None:
            raise GameError(
                "unknown_question",
                "An answer is for a question that is not in this quiz.",
                {"question_id": question_id},
            )
        if isinstance(chosen, str):
            # A bare string would be read as a list of one-letter options.
            raise GameError(
                "invalid_answer",
                "Answers must be lists of option ids.",
                {"question_id": question_id},
            )
        unknown = [o for o in chosen if o not in question.option_ids]
        if unknown:
            raise GameError(
                "unknown_option",
                "An answer names an option that the question does not have.",
                {"question_id": question_id, "option_ids": unknown},
            )
        if len(set(chosen)) != len(chosen):
            raise GameError(
                "duplicate_option",
                "An answer names the same option twice.",
                {"question_id": question_id},
            )
        if question.kind is QuestionKind.SINGLE and len(chosen) > 1:
            raise GameError(
                "too_many_options",
                "A single-choice question takes one option.",
                {"question_id": question_id},
            )


def score_answers(quiz: Quiz, answers: Mapping[str, Collection[str]]) -> tuple[QuestionResult, ...]:
    """Per-question correctness, in the quiz's question order; expects validated answers."""
    results = []
    for question in quiz.questions:
        chosen = frozenset(answers.get(question.id, ()))
        results.append(QuestionResult(question.id, chosen, chosen == question.correct_option_ids))
    return tuple(results)


def compute_reward(reward: QuizReward, correct_count: int) -> tuple[int, bool | None, str | None]:
    """(points, passed, reward_code) earned by `correct_count` correct answers."""
    if isinstance(reward, PointsPerCorrect):
        return reward.points * correct_count, None, None
    passed = correct_count >= reward.pass_mark
    if not passed:
        return 0, False, None
    return reward.points, True, reward.reward_code


def attempt_deadline(
    started_at: datetime, time_limit: timedelta, closes_at: datetime | None = None
) -> datetime:
    """When an attempt must be submitted: the time limit, cut short by the quiz's closing."""
    _require_aware(started_at, "started_at")
    deadline = started_at + time_limit
    if closes_at is not None:
        _require_aware(closes_at, "closes_at")
        deadline = min(deadline, closes_at)
    return deadline


def is_on_time(
    submitted_at: datetime, deadline: datetime, grace: timedelta = DEFAULT_GRACE
) -> bool:
    _require_aware(submitted_at, "submitted_at")
    _require_aware(deadline, "deadline")
    return submitted_at <= deadline + grace


def grade_submission(
    quiz: Quiz,
    answers: Mapping[str, Sequence[str]],
    *,
    deadline: datetime,
    submitted_at: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> QuizResult:
    """Validate, check the deadline, score and price a submission.

    Bad answers raise before the deadline is looked at, so a late and malformed submission is
    reported as malformed. A late submission raises `deadline_passed` (409): it scores nothing.
    """
    validate_submission(quiz, answers)
    if not is_on_time(submitted_at, deadline, grace):
        raise GameError(
            "deadline_passed",
            "The time for this attempt is over; it scores nothing.",
            {"deadline": deadline.isoformat()},
            status=409,
        )
    results = score_answers(quiz, answers)
    correct = sum(r.correct for r in results)
    points, passed, reward_code = compute_reward(quiz.reward, correct)
    return QuizResult(results, correct, len(results), points, passed, reward_code)


def attempt_open(
    status: str, deadline: datetime, now: datetime, grace: timedelta = DEFAULT_GRACE
) -> bool:
    """Can this attempt still be submitted? A started attempt past its deadline and the grace
    period is over even before anyone marks it expired."""
    return status == "started" and is_on_time(now, deadline, grace)


def answers_visible(
    *,
    show_after_submit: bool,
    submitted: bool,
    attempt_open: bool,
    member_done: bool,
    closes_at: datetime | None,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> bool:
    """May the member see which options were right?

    Never on an attempt that can still be submitted. After submitting, if the quiz says so and
    the member can play no more (`member_done`: no attempts left and none still open), so the
    answers of attempt 1 cannot be used in attempt 2. Otherwise only once the quiz has closed
    and the grace period after its end has passed: until then, started attempts still score.
    """
    if attempt_open:
        return False
    if submitted and show_after_submit and member_done:
        return True
    return closes_at is not None and now >= closes_at + grace


def _require_aware(value: datetime, name: str) -> None:
    # Comparing naive and aware datetimes raises deep inside; say which argument is wrong.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
