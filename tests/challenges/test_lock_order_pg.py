"""Lock order on PostgreSQL: the member's row first, as the core's ledger and redemptions do.

A transaction that locks a game's row (an attempt, a challenge's progress, a reward's stock)
and then the member can deadlock with one that holds the member and wants that row (a refund
walks the member's progress rows, a redemption takes the stock). The order is checked on the
statements each path sends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from app.extensions import db
from challenges.contests import settle
from challenges.contests.models import Contest
from tests.challenges.games import make_challenge, make_contest, make_quiz, now, right_answers
from tests.support import bearer, purchase, seed_program, signup, statements

pytestmark = pytest.mark.postgres


def _statements(app: Flask, call: Callable[[], object]) -> list[str]:
    with statements(app) as seen:
        call()
    return seen


def _first(statements: list[str], test: Callable[[str], bool]) -> int:
    found = [i for i, s in enumerate(statements) if test(s)]
    assert found, "no such statement"
    return found[0]


def _locks_member(statement: str) -> bool:
    return statement.startswith("SELECT") and "FROM members" in statement and " FOR " in statement


def test_a_quiz_submission_locks_the_member_before_its_game_rows(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    make_challenge(
        client,
        program,
        goal_kind="quizzes_completed",
        target=1,
        window_kind="fixed",
        starts_on=(now() - timedelta(days=1)).date().isoformat(),
        ends_on=(now() + timedelta(days=2)).date().isoformat(),
    )
    quiz = make_quiz(client, program)
    member = signup(client)
    attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts", headers=member.headers)

    def submit():
        res = client.post(
            f"/api/v1/quiz-attempts/{attempt.get_json()['id']}/submit",
            json={"answers": right_answers(quiz)},
            headers=member.headers,
        )
        assert res.status_code == 200, res.get_json()

    sent = _statements(pg_app, submit)
    member_lock = _first(sent, _locks_member)
    attempt_lock = _first(sent, lambda s: "FROM game_quiz_attempts" in s and " FOR UPDATE" in s)
    progress_lock = _first(
        sent, lambda s: "FROM game_challenge_progress" in s and " FOR UPDATE" in s
    )
    assert member_lock < attempt_lock < progress_lock


def test_a_contest_prize_locks_the_member_before_the_rewards_stock(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "Mug", "cost_points": 900, "stock_remaining": 5},
        headers=bearer(program.admin_token),
    ).get_json()
    # A reward and no points: nothing else on the way locks the member.
    contest = make_contest(
        client, program, prizes=[{"first_rank": 1, "last_rank": 1, "reward_id": reward["id"]}]
    )
    member = signup(client)
    purchase(client, program, member.card_number, "10.00")
    with pg_app.app_context():
        db.session.execute(
            update(Contest)
            .where(Contest.public_id == contest["id"])
            .values(ends_at=now() - timedelta(seconds=1))
        )
        db.session.commit()

    def close():
        with pg_app.app_context():
            assert settle.close_due() == [contest["id"]]

    sent = _statements(pg_app, close)
    assert _first(sent, _locks_member) < _first(sent, lambda s: s.startswith("UPDATE rewards"))
    mine = client.get("/api/v1/me/redemptions", headers=member.headers).get_json()
    assert [r["reward_id"] for r in mine] == [reward["id"]]
