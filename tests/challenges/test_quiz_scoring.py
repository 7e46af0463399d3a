from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from challenges.errors import GameError
from challenges.rules.quiz_scoring import (
    DEFAULT_GRACE,
    PassMarkPrize,
    PointsPerCorrect,
    Question,
    QuestionKind,
    Quiz,
    answers_visible,
    attempt_deadline,
    attempt_open,
    grade_submission,
    is_on_time,
)

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LIMIT = timedelta(minutes=2)

CAPITAL = Question("q-capital", QuestionKind.SINGLE, ("hel", "tku", "tre"), frozenset({"hel"}))
PRIMES = Question(
    "q-primes", QuestionKind.MULTIPLE, ("2", "3", "4", "5"), frozenset({"2", "3", "5"})
)
COLOUR = Question("q-colour", QuestionKind.SINGLE, ("blue", "red"), frozenset({"blue"}))


PER_CORRECT = PointsPerCorrect(10)


def quiz(reward: PointsPerCorrect | PassMarkPrize = PER_CORRECT) -> Quiz:
    return Quiz("quiz-1", (CAPITAL, PRIMES, COLOUR), LIMIT, reward)


def grade(answers, q: Quiz | None = None, submitted_at: datetime | None = None):
    return grade_submission(
        q or quiz(),
        answers,
        deadline=START + LIMIT,
        submitted_at=submitted_at or START + timedelta(seconds=30),
    )


def test_all_correct_scores_every_question_and_points_per_correct():
    result = grade({"q-capital": ["hel"], "q-primes": ["5", "2", "3"], "q-colour": ["blue"]})
    assert [r.correct for r in result.questions] == [True, True, True]
    assert (result.correct_count, result.total) == (3, 3)
    assert result.points == 3 * 10
    assert result.passed is None


def test_multiple_choice_is_all_or_nothing():
    subset = grade({"q-primes": ["2", "3"]})
    superset = grade({"q-primes": ["2", "3", "4", "5"]})
    exact = grade({"q-primes": ["2", "3", "5"]})
    assert not subset.questions[1].correct
    assert not superset.questions[1].correct
    assert exact.questions[1].correct


def test_unanswered_and_wrong_questions_score_nothing():
    result = grade({"q-capital": ["tku"], "q-colour": []})
    assert result.correct_count == 0
    assert result.points == 0
    assert result.questions[1].chosen == frozenset()


def test_results_follow_the_quiz_order_not_the_submission_order():
    result = grade({"q-colour": ["blue"], "q-capital": ["hel"]})
    assert [r.question_id for r in result.questions] == ["q-capital", "q-primes", "q-colour"]


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"q-other-quiz": ["a"]}, "unknown_question"),
        ({"q-capital": ["oulu"]}, "unknown_option"),
        # An option that exists, but in another question of the same quiz.
        ({"q-capital": ["blue"]}, "unknown_option"),
        ({"q-capital": ["hel", "tku"]}, "too_many_options"),
        ({"q-primes": ["2", "2"]}, "duplicate_option"),
        ({"q-capital": "hel"}, "invalid_answer"),
    ],
)
def test_bad_answers_are_refused_with_a_stable_code(answers, code):
    with pytest.raises(GameError) as err:
        grade(answers)
    assert err.value.code == code
    assert 400 <= err.value.status < 500


def test_unknown_option_error_names_the_offending_options():
    with pytest.raises(GameError) as err:
        grade({"q-primes": ["2", "7", "9"]})
    assert err.value.details == {"question_id": "q-primes", "option_ids": ["7", "9"]}


def test_submission_within_the_grace_counts_and_after_it_scores_nothing():
    deadline = START + LIMIT
    on_edge = grade({"q-capital": ["hel"]}, submitted_at=deadline + DEFAULT_GRACE)
    assert on_edge.points == 10
    with pytest.raises(GameError) as err:
        grade(
            {"q-capital": ["hel"]},
            submitted_at=deadline + DEFAULT_GRACE + timedelta(microseconds=1),
        )
    assert err.value.code == "deadline_passed"
    assert err.value.status == 409


def test_a_late_malformed_submission_is_reported_as_malformed():
    with pytest.raises(GameError) as err:
        grade({"q-capital": ["nope"]}, submitted_at=START + timedelta(hours=1))
    assert err.value.code == "unknown_option"


def test_deadline_is_cut_short_by_the_quiz_closing():
    closes = START + timedelta(seconds=45)
    assert attempt_deadline(START, LIMIT) == START + LIMIT
    assert attempt_deadline(START, LIMIT, closes_at=closes) == closes
    assert attempt_deadline(START, LIMIT, closes_at=START + timedelta(hours=1)) == START + LIMIT


def test_deadline_check_refuses_naive_times():
    with pytest.raises(ValueError, match="submitted_at"):
        is_on_time(datetime(2026, 11, 25, 12, 0), START)
    with pytest.raises(ValueError, match="started_at"):
        attempt_deadline(datetime(2026, 11, 25, 12, 0), LIMIT)


def test_deadline_compares_instants_across_timezones():
    helsinki = START.astimezone(ZoneInfo("Europe/Helsinki"))
    assert is_on_time(helsinki + LIMIT, START + LIMIT, grace=timedelta(0))
    assert not is_on_time(helsinki + LIMIT + timedelta(seconds=1), START + LIMIT, timedelta(0))


def test_pass_mark_prize_is_all_or_nothing():
    prize = PassMarkPrize(pass_mark=2, points=500, reward_code="free-coffee")
    below = grade({"q-capital": ["hel"]}, q=quiz(prize))
    at_mark = grade({"q-capital": ["hel"], "q-colour": ["blue"]}, q=quiz(prize))
    above = grade(
        {"q-capital": ["hel"], "q-primes": ["2", "3", "5"], "q-colour": ["blue"]}, q=quiz(prize)
    )
    assert (below.points, below.passed, below.reward_code) == (0, False, None)
    assert (at_mark.points, at_mark.passed, at_mark.reward_code) == (500, True, "free-coffee")
    assert above.points == 500


@pytest.mark.parametrize(
    "build",
    [
        lambda: Question("q", QuestionKind.SINGLE, ("a", "b"), frozenset({"a", "b"})),
        lambda: Question("q", QuestionKind.MULTIPLE, ("a", "b"), frozenset({"c"})),
        lambda: Question("q", QuestionKind.MULTIPLE, ("a", "b"), frozenset()),
        lambda: Question("q", QuestionKind.SINGLE, ("a", "a"), frozenset({"a"})),
        lambda: Quiz("z", (CAPITAL, CAPITAL), LIMIT, PointsPerCorrect(1)),
        lambda: Quiz("z", (CAPITAL,), LIMIT, PassMarkPrize(pass_mark=2, points=1)),
        lambda: Quiz("z", (CAPITAL,), timedelta(0), PointsPerCorrect(1)),
        lambda: Quiz("z", (CAPITAL,), LIMIT, PointsPerCorrect(-1)),
    ],
)
def test_inconsistent_quiz_definitions_are_refused(build):
    with pytest.raises(ValueError):
        build()


def _visible(**overrides) -> bool:
    args = {
        "show_after_submit": True,
        "submitted": True,
        "attempt_open": False,
        "member_done": True,
        "closes_at": START + timedelta(days=1),
        "now": START + timedelta(hours=1),
    }
    return answers_visible(**(args | overrides))


def test_answers_are_shown_after_submission_only_if_the_quiz_says_so():
    closes = START + timedelta(days=1)
    assert _visible()
    assert not _visible(show_after_submit=False)
    assert not _visible(submitted=False)
    assert _visible(show_after_submit=False, now=closes + DEFAULT_GRACE)
    assert not _visible(show_after_submit=False, closes_at=None, now=closes + timedelta(days=9))


def test_answers_after_submission_wait_until_the_member_cannot_play_again():
    # Attempt 1 submitted, attempt 2 still allowed (or already open): the answers would win it.
    assert not _visible(member_done=False)


def test_an_attempt_that_can_still_be_submitted_never_sees_the_answers():
    closes = START + timedelta(days=1)
    assert not _visible(attempt_open=True)
    assert not _visible(attempt_open=True, show_after_submit=False, now=closes + timedelta(days=1))


def test_a_closed_quiz_shows_answers_only_once_the_grace_period_is_over():
    closes = START + timedelta(days=1)
    # Attempts cut short by the closing are still scored until closes + grace.
    assert not _visible(show_after_submit=False, now=closes)
    assert not _visible(show_after_submit=False, now=closes + DEFAULT_GRACE - timedelta(seconds=1))
    assert _visible(show_after_submit=False, now=closes + DEFAULT_GRACE)


def test_an_attempt_is_open_while_it_can_be_submitted():
    deadline = START + LIMIT
    assert attempt_open("started", deadline, deadline + DEFAULT_GRACE)
    assert not attempt_open("started", deadline, deadline + DEFAULT_GRACE + timedelta(seconds=1))
    assert not attempt_open("submitted", deadline, START)
    assert not attempt_open("expired", deadline, START)
