"""The community's pure rules: NPS, windows and early access, the waitlist, answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from community.answers import AnswerProblems, Question, check_answers
from community.nps import classify, nps
from community.waitlist import next_in_line, position, seat_or_wait
from community.windows import CLOSED, NOT_STARTED, OPEN, booking_opens_at, window_state

MONDAY = datetime(2026, 5, 4, 8, tzinfo=UTC)
RANKS = {"silver": 0, "gold": 1, "platinum": 2}


def test_nps_groups_and_score():
    assert [classify(s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
    result = nps({10: 5, 8: 3, 2: 2})
    assert (result.promoters, result.passives, result.detractors) == (5, 3, 2)
    assert result.score == 30
    assert nps({}).score is None
    assert nps({0: 1}).score == -100
    assert nps({9: 1, 0: 2}).score == -33
    with pytest.raises(ValueError):
        classify(11)


def test_windows_include_the_start_and_exclude_the_end():
    end = MONDAY + timedelta(days=1)
    assert window_state(MONDAY, end, MONDAY - timedelta(seconds=1)) == NOT_STARTED
    assert window_state(MONDAY, end, MONDAY) == OPEN
    assert window_state(MONDAY, end, end) == CLOSED


def test_early_access_goes_to_the_tier_and_those_above_it():
    friday = MONDAY + timedelta(days=4)
    early = [("platinum", MONDAY), ("gold", MONDAY + timedelta(days=2))]
    assert booking_opens_at("platinum", friday, early, RANKS) == MONDAY
    assert booking_opens_at("gold", friday, early, RANKS) == MONDAY + timedelta(days=2)
    assert booking_opens_at("silver", friday, early, RANKS) == friday
    # Only a gold window: platinum shares it.
    assert booking_opens_at("platinum", friday, early[1:], RANKS) == MONDAY + timedelta(days=2)
    # A window later than the general opening never delays anyone.
    assert booking_opens_at("gold", friday, [("gold", friday + timedelta(days=1))], RANKS) == friday


@dataclass
class Booking:
    seq: int
    status: str


def test_the_waitlist_goes_in_arrival_order():
    assert [seat_or_wait(n, 2) for n in range(4)] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    line = [Booking(7, "waitlisted"), Booking(3, "cancelled"), Booking(5, "waitlisted")]
    assert next_in_line(line).seq == 5
    assert next_in_line([Booking(1, "confirmed")]) is None
    assert position(7, [5, 7, 9]) == 2


QUESTIONS = [
    Question("q1", "nps", True),
    Question("q2", "rating", True),
    Question("q3", "single", True, ("a", "b")),
    Question("q4", "multiple", False, ("x", "y", "z")),
    Question("q5", "text", False),
]


def test_answers_that_fit():
    checked = check_answers(
        QUESTIONS,
        [
            {"question_id": "q3", "choice": "b"},
            {"question_id": "q1", "score": 0},
            {"question_id": "q2", "score": 5},
            {"question_id": "q4", "choices": ["z", "x"]},
            {"question_id": "q5", "text": "  fine  "},
        ],
    )
    assert [(a.question_id, a.score, a.choices, a.text) for a in checked] == [
        ("q1", 0, (), None),
        ("q2", 5, (), None),
        ("q3", None, ("b",), None),
        ("q4", None, ("z", "x"), None),
        ("q5", None, (), "fine"),
    ]


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ({"question_id": "q1", "score": 11}, "q1"),
        ({"question_id": "q1", "score": True}, "q1"),
        ({"question_id": "q1", "text": "ten"}, "q1"),
        ({"question_id": "q2", "score": 0}, "q2"),
        ({"question_id": "q3", "choice": "c"}, "q3"),
        ({"question_id": "q3", "choices": ["a"]}, "q3"),
        ({"question_id": "q4", "choices": []}, "q4"),
        ({"question_id": "q4", "choices": ["x", "x"]}, "q4"),
        ({"question_id": "q4", "choices": ["w"]}, "q4"),
        ({"question_id": "q5", "text": "   "}, "q5"),
        ({"question_id": "q9", "score": 1}, "q9"),
    ],
)
def test_answers_that_do_not_fit(answer, question):
    given = [
        {"question_id": "q1", "score": 5},
        {"question_id": "q2", "score": 3},
        {"question_id": "q3", "choice": "a"},
    ]
    given = [g for g in given if g["question_id"] != answer["question_id"]] + [answer]
    with pytest.raises(AnswerProblems) as raised:
        check_answers(QUESTIONS, given)
    assert list(raised.value.problems) == [question]


def test_required_questions_must_be_answered_once():
    with pytest.raises(AnswerProblems) as raised:
        check_answers(
            QUESTIONS, [{"question_id": "q1", "score": 5}, {"question_id": "q1", "score": 6}]
        )
    assert set(raised.value.problems) == {"q1", "q2", "q3"}
