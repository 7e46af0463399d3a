"""Quizzes over HTTP: admin definitions, playing, scoring once, and the cheating cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from challenges.quizzes.models import QuizAttempt
from tests.challenges.games import (
    admin_patch,
    admin_post,
    ledger_count,
    ledger_total,
    make_badge,
    make_quiz,
    member_row,
    now,
    quiz_body,
    right_answers,
    wrong_answers,
)
from tests.support import bearer, signup


def _start(client, member, quiz_id):
    return client.post(f"/api/v1/quizzes/{quiz_id}/attempts", headers=member.headers)


def _submit(client, member, attempt_id, answers):
    return client.post(
        f"/api/v1/quiz-attempts/{attempt_id}/submit",
        json={"answers": answers},
        headers=member.headers,
    )


def _view(client, member, attempt_id):
    res = client.get(f"/api/v1/quiz-attempts/{attempt_id}", headers=member.headers)
    assert res.status_code == 200
    return res.get_json()


def _grace(app) -> timedelta:
    return timedelta(seconds=app.config["GAMES_QUIZ_GRACE_SECONDS"])


def _close_quiz(client, program, quiz_id, ago: timedelta) -> None:
    res = admin_patch(
        client,
        program,
        f"/quizzes/{quiz_id}",
        {
            "starts_at": (now() - timedelta(hours=2)).isoformat(),
            "ends_at": (now() - ago).isoformat(),
        },
    )
    assert res.status_code == 200, res.get_json()


def test_admin_defines_a_quiz_and_only_admins_may(client, program):
    quiz = make_quiz(client, program)
    assert [len(q["options"]) for q in quiz["questions"]] == [2, 3]
    member = signup(client)
    res = client.post("/api/v1/admin/quizzes", json=quiz_body(), headers=member.headers)
    assert res.status_code == 403
    listed = client.get("/api/v1/admin/quizzes", headers=bearer(program.admin_token)).get_json()
    assert [q["id"] for q in listed] == [quiz["id"]]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        # A single-choice question with two right options cannot be scored.
        (
            {
                "questions": [
                    {
                        "kind": "single",
                        "text": {"en": "?"},
                        "options": [
                            {"text": {"en": "a"}, "is_correct": True},
                            {"text": {"en": "b"}, "is_correct": True},
                        ],
                    }
                ]
            },
            "invalid_quiz",
        ),
        ({"reward_kind": "pass_mark", "pass_mark": 3, "prize_points": 5}, "invalid_quiz"),
        ({"title": {"xx": "Unknown language"}}, "validation_error"),
        ({"tiers": ["diamond"]}, "validation_error"),
        ({"ends_at": (now() - timedelta(days=2)).isoformat()}, "validation_error"),
        ({"member_ids": ["mem_nobody"]}, "validation_error"),
    ],
)
def test_bad_quiz_definitions_are_refused(client, program, change, code):
    res = admin_post(client, program, "/quizzes", quiz_body(**change))
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == code


def test_member_sees_playable_quizzes_in_their_language(client, program):
    quiz = make_quiz(client, program)
    make_quiz(
        client,
        program,
        starts_at=(now() + timedelta(days=1)).isoformat(),
        ends_at=(now() + timedelta(days=2)).isoformat(),
    )
    fi = signup(client, "fi@test.example", language="fi")
    tl = signup(client, "tl@test.example", language="tl")
    fi_list = client.get("/api/v1/quizzes", headers=fi.headers).get_json()
    assert [q["id"] for q in fi_list] == [quiz["id"]]  # the future quiz is not playable yet
    assert fi_list[0]["title"] == "Myymälävisa"
    assert fi_list[0]["attempts_left"] == 2
    # No Tagalog text: the program's default language (English).
    assert client.get("/api/v1/quizzes", headers=tl.headers).get_json()[0]["title"] == "Store quiz"


def test_an_attempt_shows_questions_never_the_answers_and_scores_once(app, client, program):
    quiz = make_quiz(client, program)
    member = signup(client, language="fi")
    res = _start(client, member, quiz["id"])
    assert res.status_code == 201
    attempt = res.get_json()
    assert "is_correct" not in res.get_data(as_text=True)
    assert "correct_option_ids" not in res.get_data(as_text=True)
    assert attempt["questions"][1]["text"] == "Mitkä ovat värejä?"
    assert attempt["questions"][0]["options"][0]["text"] == "Helsinki"  # en fallback
    assert attempt["status"] == "started"

    first = _submit(client, member, attempt["id"], right_answers(quiz))
    assert first.status_code == 200
    body = first.get_json()
    assert body["result"] == {"correct_count": 2, "total": 2, "points": 20, "passed": None}
    assert body["replayed"] is False
    # The quiz does not reveal answers after submission: only once it closes.
    assert body["answers_visible"] is False
    assert "correct_option_ids" not in first.get_data(as_text=True)

    # A replay, even with other answers, returns the first result and pays nothing more.
    again = _submit(client, member, attempt["id"], wrong_answers(quiz))
    assert again.status_code == 200
    assert again.get_json()["result"] == body["result"]
    assert again.get_json()["replayed"] is True
    _, available, _ = member_row(app, member.id)
    assert available == 20
    assert ledger_total(app, "quiz_attempt", attempt["id"]) == 20
    assert ledger_count(app, "quiz_attempt") == 1

    fetched = client.get(f"/api/v1/quiz-attempts/{attempt['id']}", headers=member.headers)
    assert fetched.status_code == 200
    assert fetched.get_json()["result"]["points"] == 20

    # Once the quiz has closed and the grace period after its end is over, answers are shown.
    assert (
        admin_patch(
            client,
            program,
            f"/quizzes/{quiz['id']}",
            {
                "ends_at": (now() - _grace(app) - timedelta(seconds=1)).isoformat(),
                "starts_at": (now() - timedelta(hours=2)).isoformat(),
            },
        ).status_code
        == 200
    )
    after = client.get(f"/api/v1/quiz-attempts/{attempt['id']}", headers=member.headers).get_json()
    assert after["answers_visible"] is True
    truth = right_answers(quiz)
    assert {q["id"]: q["correct_option_ids"] for q in after["questions"]} == truth
    assert all(q["answered_correctly"] for q in after["questions"])


def test_answers_shown_after_submission_when_the_quiz_says_so(client, program):
    quiz = make_quiz(client, program, show_answers_after_submit=True, attempts_allowed=1)
    member = signup(client)
    attempt = _start(client, member, quiz["id"]).get_json()
    assert "correct_option_ids" not in str(attempt)
    body = _submit(client, member, attempt["id"], wrong_answers(quiz)).get_json()
    assert body["answers_visible"] is True
    assert body["result"]["points"] == 0
    assert {q["id"]: q["correct_option_ids"] for q in body["questions"]} == right_answers(quiz)
    assert not any(q["answered_correctly"] for q in body["questions"])


def test_cheating_submissions_are_refused_and_score_nothing(app, client, program):
    quiz = make_quiz(client, program)
    other_quiz = make_quiz(client, program)
    member = signup(client)
    attempt = _start(client, member, quiz["id"]).get_json()
    q1, q2 = quiz["questions"]
    cases = [
        # Answers for another quiz's questions.
        (right_answers(other_quiz), "unknown_question"),
        # An option that does not exist, and another question's option.
        ({q1["id"]: ["qo_doesnotexist"]}, "unknown_option"),
        ({q1["id"]: [q2["options"][0]["id"]]}, "unknown_option"),
        # Two options for a single-choice question (to hedge), and one option twice.
        ({q1["id"]: [o["id"] for o in q1["options"]]}, "too_many_options"),
        ({q2["id"]: [q2["options"][0]["id"]] * 2}, "duplicate_option"),
    ]
    for answers, code in cases:
        res = _submit(client, member, attempt["id"], answers)
        assert res.status_code == 422, (answers, res.get_json())
        assert res.get_json()["error"]["code"] == code
    res = _submit(client, member, attempt["id"], {q1["id"]: "not-a-list"})
    assert res.status_code == 422
    assert ledger_count(app, "quiz_attempt") == 0
    # Refused submissions do not use up the attempt: a proper one still scores.
    assert (
        _submit(client, member, attempt["id"], right_answers(quiz)).get_json()["result"]["points"]
        == 20
    )


def test_a_submission_after_the_deadline_scores_nothing(app, client, program):
    quiz = make_quiz(client, program)
    member = signup(client)
    attempt = _start(client, member, quiz["id"]).get_json()
    with app.app_context():
        # The clock passes the deadline and the grace period.
        db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.public_id == attempt["id"])
            .values(deadline=now() - timedelta(seconds=6))
        )
        db.session.commit()
    res = _submit(client, member, attempt["id"], right_answers(quiz))
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "deadline_passed"
    again = _submit(client, member, attempt["id"], right_answers(quiz))
    assert again.status_code == 409
    assert ledger_count(app, "quiz_attempt") == 0
    view = client.get(f"/api/v1/quiz-attempts/{attempt['id']}", headers=member.headers).get_json()
    assert view["status"] == "expired"
    assert view["result"] is None


def test_within_the_grace_period_still_counts(app, client, program):
    quiz = make_quiz(client, program)
    member = signup(client)
    attempt = _start(client, member, quiz["id"]).get_json()
    with app.app_context():
        db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.public_id == attempt["id"])
            .values(deadline=now() - timedelta(seconds=2))
        )
        db.session.commit()
    res = _submit(client, member, attempt["id"], right_answers(quiz))
    assert res.status_code == 200
    assert res.get_json()["result"]["points"] == 20


def test_a_member_cannot_read_or_submit_another_members_attempt(app, client, program):
    quiz = make_quiz(client, program)
    owner = signup(client, "owner@test.example")
    thief = signup(client, "thief@test.example")
    attempt = _start(client, owner, quiz["id"]).get_json()
    res = client.get(f"/api/v1/quiz-attempts/{attempt['id']}", headers=thief.headers)
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "quiz_attempt_not_found"
    res = _submit(client, thief, attempt["id"], right_answers(quiz))
    assert res.status_code == 404
    assert ledger_count(app, "quiz_attempt") == 0
    assert client.get("/api/v1/quiz-attempts/qa_nope", headers=owner.headers).status_code == 404
    assert (
        client.get(
            f"/api/v1/quiz-attempts/{attempt['id']}", headers=bearer(program.admin_token)
        ).status_code
        == 403
    )


def test_attempts_are_limited_and_quizzes_have_a_window(client, program):
    quiz = make_quiz(client, program, attempts_allowed=1)
    member = signup(client)
    assert _start(client, member, quiz["id"]).status_code == 201
    res = _start(client, member, quiz["id"])
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "no_attempts_left"
    assert client.get("/api/v1/quizzes", headers=member.headers).get_json() == []

    later = make_quiz(
        client,
        program,
        starts_at=(now() + timedelta(hours=1)).isoformat(),
        ends_at=(now() + timedelta(hours=2)).isoformat(),
    )
    assert _start(client, member, later["id"]).get_json()["error"]["code"] == "quiz_not_open"
    assert (
        admin_patch(
            client,
            program,
            f"/quizzes/{later['id']}",
            {
                "starts_at": (now() - timedelta(hours=2)).isoformat(),
                "ends_at": (now() - timedelta(hours=1)).isoformat(),
            },
        ).status_code
        == 200
    )
    assert _start(client, member, later["id"]).get_json()["error"]["code"] == "quiz_closed"
    retired = make_quiz(client, program)
    client.delete(f"/api/v1/admin/quizzes/{retired['id']}", headers=bearer(program.admin_token))
    assert _start(client, member, retired["id"]).status_code == 404


def test_the_deadline_is_cut_short_by_the_quiz_closing(client, program):
    closes = now() + timedelta(seconds=30)
    quiz = make_quiz(client, program, time_limit_seconds=600, ends_at=closes.isoformat())
    member = signup(client)
    attempt = _start(client, member, quiz["id"]).get_json()
    from datetime import datetime

    assert datetime.fromisoformat(attempt["deadline"]) == closes


def test_ineligible_members_cannot_play(app, client, program, monkeypatch):
    gold_only = make_quiz(client, program, tiers=["gold"])
    member = signup(client, "silver@test.example")
    listed = signup(client, "listed@test.example")
    res = _start(client, member, gold_only["id"])
    assert res.status_code == 403
    assert res.get_json()["error"]["code"] == "not_eligible"
    assert client.get("/api/v1/quizzes", headers=member.headers).get_json() == []

    just_one = make_quiz(client, program, member_ids=[listed.id])
    assert _start(client, member, just_one["id"]).status_code == 403
    assert _start(client, listed, just_one["id"]).status_code == 201

    # A segment-restricted quiz: the segment's members and the listed members may play.
    segment = client.post(
        "/api/v1/admin/segments",
        json={"name": "Consenting", "rules": {"marketing_consent": True}},
        headers=bearer(program.admin_token),
    ).get_json()
    quiet = signup(client, "quiet@test.example", marketing_consent=False)
    for_segment = make_quiz(client, program, segment_id=segment["id"], member_ids=[quiet.id])
    assert _start(client, member, for_segment["id"]).status_code == 201
    assert _start(client, quiet, for_segment["id"]).status_code == 201
    outsider = signup(client, "outsider@test.example", marketing_consent=False)
    assert _start(client, outsider, for_segment["id"]).status_code == 403
    bad = client.post(
        "/api/v1/admin/quizzes",
        json=quiz_body(segment_id="seg_nope"),
        headers=bearer(program.admin_token),
    )
    assert bad.status_code == 422
    assert ledger_count(app, "quiz_attempt") == 0


def test_pass_mark_prize_pays_points_and_a_badge(app, client, program):
    make_badge(client, program, "whiz")
    quiz = make_quiz(
        client,
        program,
        reward_kind="pass_mark",
        points_per_correct=0,
        pass_mark=2,
        prize_points=75,
        prize_badge_code="whiz",
        attempts_allowed=2,
    )
    member = signup(client)
    first = _start(client, member, quiz["id"]).get_json()
    answers = right_answers(quiz)
    q2 = quiz["questions"][1]["id"]
    half = answers | {q2: answers[q2][:1]}  # a partly right multiple choice is wrong
    body = _submit(client, member, first["id"], half).get_json()
    assert body["result"] == {"correct_count": 1, "total": 2, "points": 0, "passed": False}
    assert client.get("/api/v1/me/badges", headers=member.headers).get_json() == []
    second = _start(client, member, quiz["id"]).get_json()
    body = _submit(client, member, second["id"], answers).get_json()
    assert body["result"] == {"correct_count": 2, "total": 2, "points": 75, "passed": True}
    badges = client.get("/api/v1/me/badges", headers=member.headers).get_json()
    assert [b["code"] for b in badges] == ["whiz"]
    assert member_row(app, member.id)[1] == 75


def test_a_closed_quiz_hides_the_answers_while_an_attempt_can_still_score(app, client, program):
    # The quiz reaches its end while the attempt is open: the attempt's deadline is the end,
    # and a submission within the grace period after it still scores.
    quiz = make_quiz(client, program, attempts_allowed=1)
    member = signup(client)
    attempt = _start(client, member, quiz["id"]).get_json()
    _close_quiz(client, program, quiz["id"], ago=timedelta(seconds=1))
    view = _view(client, member, attempt["id"])
    assert view["status"] == "started"
    assert view["answers_visible"] is False
    assert not any("correct_option_ids" in q for q in view["questions"])
    res = _submit(client, member, attempt["id"], right_answers(quiz))
    assert res.status_code == 200
    # Other members' attempts may still be in their grace period: not shown even after submit.
    assert res.get_json()["answers_visible"] is False


def test_answers_of_a_closed_quiz_come_when_nothing_can_score_any_more(app, client, program):
    # An admin closes the quiz early, cutting short an attempt whose own limit had time left.
    quiz = make_quiz(client, program, attempts_allowed=1, time_limit_seconds=3600)
    member = signup(client)
    attempt = _start(client, member, quiz["id"]).get_json()
    _close_quiz(client, program, quiz["id"], ago=_grace(app) + timedelta(seconds=1))
    view = _view(client, member, attempt["id"])
    assert view["answers_visible"] is True
    assert {q["id"]: q["correct_option_ids"] for q in view["questions"]} == right_answers(quiz)
    res = _submit(client, member, attempt["id"], right_answers(quiz))
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "deadline_passed"
    assert ledger_count(app, "quiz_attempt") == 0


def test_answers_after_submission_wait_until_the_last_attempt(app, client, program):
    quiz = make_quiz(client, program, show_answers_after_submit=True, attempts_allowed=2)
    member = signup(client)
    first = _start(client, member, quiz["id"]).get_json()
    body = _submit(client, member, first["id"], {}).get_json()
    # One attempt left: the answers of the first would win the second.
    assert body["answers_visible"] is False
    assert not any("correct_option_ids" in q for q in body["questions"])
    second = _start(client, member, quiz["id"]).get_json()
    assert _view(client, member, first["id"])["answers_visible"] is False
    body = _submit(client, member, second["id"], wrong_answers(quiz)).get_json()
    assert body["answers_visible"] is True
    assert {q["id"]: q["correct_option_ids"] for q in body["questions"]} == right_answers(quiz)
    assert _view(client, member, first["id"])["answers_visible"] is True
    assert ledger_count(app, "quiz_attempt") == 0


def test_a_new_attempt_waits_until_the_open_one_is_over(app, client, program):
    quiz = make_quiz(client, program, show_answers_after_submit=True, attempts_allowed=3)
    member = signup(client)
    first = _start(client, member, quiz["id"]).get_json()
    res = _start(client, member, quiz["id"])
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "attempt_in_progress"
    assert res.get_json()["error"]["details"]["attempt_id"] == first["id"]
    # Abandoned: once its deadline and the grace period have passed it is over.
    with app.app_context():
        db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.public_id == first["id"])
            .values(deadline=now() - _grace(app) - timedelta(seconds=1))
        )
        db.session.commit()
    second = _start(client, member, quiz["id"])
    assert second.status_code == 201
    assert second.get_json()["number"] == 2
    assert _submit(client, member, second.get_json()["id"], {}).status_code == 200
    third = _start(client, member, quiz["id"])
    assert third.status_code == 201
    assert third.get_json()["number"] == 3
