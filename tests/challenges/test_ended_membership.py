"""An ended membership plays no more: no quiz attempts, submissions, joins or free entries."""

from __future__ import annotations

from datetime import timedelta

from tests.challenges.games import (
    admin_post,
    ledger_count,
    make_challenge,
    make_contest,
    make_quiz,
    now,
    right_answers,
)
from tests.support import signup


def _refused(res) -> None:
    assert res.status_code == 409, res.get_json()
    assert res.get_json()["error"]["code"] == "membership_ended"


def test_an_ended_membership_cannot_play(app, client, program):
    quiz = make_quiz(client, program, attempts_allowed=2)
    challenge = make_challenge(
        client,
        program,
        opt_in=True,
        window_kind="fixed",
        starts_on=(now() - timedelta(days=1)).date().isoformat(),
        ends_on=(now() + timedelta(days=2)).date().isoformat(),
    )
    sweep = make_contest(
        client,
        program,
        kind="sweepstakes",
        metric=None,
        free_entry=True,
        prizes=[{"first_rank": 1, "last_rank": 1, "points": 50}],
    )
    member = signup(client)
    # Started while still a member: the submission after the end must not pay either.
    attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts", headers=member.headers)
    assert attempt.status_code == 201
    assert admin_post(client, program, f"/members/{member.id}/end", {}).status_code == 200

    _refused(
        client.post(
            f"/api/v1/quiz-attempts/{attempt.get_json()['id']}/submit",
            json={"answers": right_answers(quiz)},
            headers=member.headers,
        )
    )
    _refused(client.post(f"/api/v1/quizzes/{quiz['id']}/attempts", headers=member.headers))
    _refused(client.post(f"/api/v1/challenges/{challenge['id']}/join", headers=member.headers))
    _refused(client.post(f"/api/v1/contests/{sweep['id']}/entries", headers=member.headers))
    assert ledger_count(app, "quiz_attempt") == 0
    draw = client.get(f"/api/v1/contests/{sweep['id']}/draw", headers=member.headers).get_json()
    assert draw["entry_count"] == 0
