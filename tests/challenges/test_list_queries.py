"""Members' lists cost the same number of SQL statements however many games they show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import event

from app.extensions import db
from tests.challenges.games import (
    make_badge,
    make_challenge,
    make_contest,
    make_quiz,
    now,
    quiz_body,
)
from tests.support import bearer, purchase, signup


def _statements(app: Flask, call: Callable[[], object]) -> int:
    """How many statements `call` sends to the database."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    # Once first: what a process caches and reads again after a change (the program's
    # settings, which games are live) is no per-game cost.
    call()
    event.listen(engine, "before_cursor_execute", count)
    try:
        res = call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert getattr(res, "status_code", 200) == 200
    return len(seen)


def _add_contests(client, program, first: int, last: int) -> None:
    """Leaderboards and sweepstakes, each with its own badge and reward among the prizes."""
    for i in range(first, last):
        make_badge(client, program, f"ctst-{i}")
        reward = client.post(
            "/api/v1/admin/rewards",
            json={"name": f"Prize {i}", "cost_points": 900, "stock_remaining": 5},
            headers=bearer(program.admin_token),
        ).get_json()
        prizes = [
            {"first_rank": 1, "last_rank": 1, "points": 50, "badge_code": f"ctst-{i}"},
            {"first_rank": 2, "last_rank": 2, "reward_id": reward["id"]},
        ]
        if i % 2:
            make_contest(client, program, name={"en": f"Race {i}"}, prizes=prizes)
        else:
            make_contest(
                client,
                program,
                kind="sweepstakes",
                metric=None,
                free_entry=True,
                entries_per_purchase=1,
                name={"en": f"Draw {i}"},
                prizes=prizes,
            )


def test_the_contest_list_does_not_query_per_contest(app, client, program):
    member = signup(client)
    _add_contests(client, program, 0, 2)
    purchase(client, program, member.card_number, "10.00")  # an entry in each sweepstakes

    def contests():
        return client.get("/api/v1/contests", headers=member.headers)

    few = _statements(app, contests)
    _add_contests(client, program, 2, 10)
    purchase(client, program, member.card_number, "10.00")
    many = _statements(app, contests)
    listed = contests().get_json()
    assert len(listed) == 10
    # The lookups are real: badges, rewards and the member's entries come back per contest.
    assert {c["prizes"][0]["badge"]["code"] for c in listed} == {f"ctst-{i}" for i in range(10)}
    assert all(c["prizes"][1]["reward"]["name"].startswith("Prize") for c in listed)
    entries = [c["your_entries"] for c in listed if c["kind"] == "sweepstakes"]
    assert sorted(entries) == [1] * 4 + [2]
    assert many == few


def test_the_quiz_and_challenge_lists_do_not_query_per_game(app, client, program):
    member = signup(client)
    window = {
        "window_kind": "fixed",
        "starts_on": (now() - timedelta(days=1)).date().isoformat(),
        "ends_on": (now() + timedelta(days=2)).date().isoformat(),
    }

    def add(first: int, last: int) -> None:
        for i in range(first, last):
            make_badge(client, program, f"game-{i}")
            make_quiz(
                client,
                program,
                reward_kind="pass_mark",
                pass_mark=1,
                prize_points=5,
                prize_badge_code=f"game-{i}",
                questions=quiz_body()["questions"][:1],
            )
            make_challenge(client, program, reward_badge_code=f"game-{i}", **window)

    def quizzes():
        return client.get("/api/v1/quizzes", headers=member.headers)

    def challenges():
        return client.get("/api/v1/challenges", headers=member.headers)

    add(0, 2)
    few = (_statements(app, quizzes), _statements(app, challenges))
    add(2, 10)
    many = (_statements(app, quizzes), _statements(app, challenges))
    listed_quizzes, listed_challenges = quizzes().get_json(), challenges().get_json()
    assert sorted(q["reward"]["badge"]["code"] for q in listed_quizzes) == sorted(
        f"game-{i}" for i in range(10)
    )
    assert sorted(c["reward"]["badge"]["code"] for c in listed_challenges) == sorted(
        f"game-{i}" for i in range(10)
    )
    assert many == few
