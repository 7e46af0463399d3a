"""Races on PostgreSQL: concurrent submissions, starts, entries and closers, each on its own
connection, must pay exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.service import integrity_problems
from challenges import contests
from challenges.models import Contest, ContestPrize, QuizAttempt
from tests.challenges.games import (
    ledger_count,
    ledger_total,
    make_contest,
    make_quiz,
    member_row,
    now,
    right_answers,
)
from tests.support import purchase, seed_program, signup

pytestmark = pytest.mark.postgres


def _race(n: int, fn) -> list:
    barrier = threading.Barrier(n)

    def run(i: int):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_ten_concurrent_submissions_pay_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    quiz = make_quiz(client, program)
    member = signup(client)
    attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts", headers=member.headers)
    attempt_id = attempt.get_json()["id"]

    def submit(_: int):
        res = pg_app.test_client().post(
            f"/api/v1/quiz-attempts/{attempt_id}/submit",
            json={"answers": right_answers(quiz)},
            headers=member.headers,
        )
        return res.status_code, res.get_json()

    results = _race(10, submit)
    assert [status for status, _ in results] == [200] * 10
    assert {body["result"]["points"] for _, body in results} == {20}
    assert sorted(body["replayed"] for _, body in results) == [False] + [True] * 9
    assert ledger_count(pg_app, "quiz_attempt") == 1
    assert member_row(pg_app, member.id)[1] == 20
    with pg_app.app_context():
        assert integrity_problems() == []


def test_concurrent_starts_cannot_exceed_the_attempts_allowed(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    quiz = make_quiz(client, program, attempts_allowed=3)
    member = signup(client)

    def start(_: int) -> int:
        return (
            pg_app.test_client()
            .post(f"/api/v1/quizzes/{quiz['id']}/attempts", headers=member.headers)
            .status_code
        )

    codes = _race(10, start)
    # One attempt at a time: the racing starts make exactly one.
    assert sorted(codes) == [201] + [409] * 9
    with pg_app.app_context():
        attempts = list(db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.number)))
    assert [a.number for a in attempts] == [1]

    def finish(attempt_id: str) -> None:
        res = client.post(
            f"/api/v1/quiz-attempts/{attempt_id}/submit",
            json={"answers": {}},
            headers=member.headers,
        )
        assert res.status_code == 200

    finish(attempts[0].public_id)
    # Submitted, the next attempts may start, up to the 3 allowed; racing again each time.
    for number in (2, 3):
        codes = _race(10, start)
        assert sorted(codes) == [201] + [409] * 9
        with pg_app.app_context():
            latest = db.session.scalar(
                select(QuizAttempt).order_by(QuizAttempt.number.desc()).limit(1)
            )
        assert latest.number == number
        finish(latest.public_id)
    assert start(0) == 409


def test_ten_concurrent_free_entries_make_one(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    contest = make_contest(
        client,
        program,
        kind="sweepstakes",
        metric=None,
        free_entry=True,
        prizes=[{"first_rank": 1, "last_rank": 1, "points": 5}],
    )
    member = signup(client)

    def enter(_: int) -> int:
        return (
            pg_app.test_client()
            .post(f"/api/v1/contests/{contest['id']}/entries", headers=member.headers)
            .status_code
        )

    codes = _race(10, enter)
    assert sorted(codes) == [201] + [409] * 9


def test_concurrent_closers_pay_prizes_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    board = make_contest(client, program)
    sweep = make_contest(
        client,
        program,
        kind="sweepstakes",
        metric=None,
        free_entry=True,
        prizes=[{"first_rank": 1, "last_rank": 2, "points": 70}],
    )
    members = [signup(client, f"m{i}@test.example") for i in range(3)]
    for i, member in enumerate(members):
        purchase(client, program, member.card_number, f"{10 + i}.00")
        client.post(f"/api/v1/contests/{sweep['id']}/entries", headers=member.headers)
    with pg_app.app_context():
        db.session.execute(
            update(Contest)
            .where(Contest.public_id.in_([board["id"], sweep["id"]]))
            .values(ends_at=now() - timedelta(seconds=1))
        )
        db.session.commit()

    def closer(_: int) -> list[str]:
        with pg_app.app_context():
            return contests.close_due()

    closed = _race(6, closer)
    everything = [cid for batch in closed for cid in batch]
    assert sorted(everything) == sorted([board["id"], sweep["id"]])  # each closed by one closer
    assert ledger_total(pg_app, "contest", board["id"]) == 500 + 100 + 100
    assert ledger_total(pg_app, "contest", sweep["id"]) == 140
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(ContestPrize.id))) == 5
        per_key = db.session.execute(
            select(LedgerEntry.idempotency_key, func.count())
            .where(LedgerEntry.reference_type == "contest")
            .group_by(LedgerEntry.idempotency_key)
        ).all()
        assert len(per_key) == 5 and all(n == 1 for _, n in per_key)
        assert integrity_problems() == []
