"""Races on PostgreSQL: concurrent submissions, starts, entries and closers, each on its own
connection, must pay exactly once."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.service import integrity_problems
from challenges.contests import settle
from challenges.contests.models import Contest, ContestPrize
from challenges.missions.models import ChallengeCompletion
from challenges.quizzes.models import QuizAttempt
from tests.challenges.games import (
    contest_view,
    end_now,
    ledger_count,
    ledger_total,
    make_challenge,
    make_contest,
    make_quiz,
    member_row,
    now,
    right_answers,
    settle_later,
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
            .values(ends_at=now() + timedelta(milliseconds=30))
        )
        db.session.commit()
    time.sleep(0.05)

    def closer(later: timedelta):
        def run(_: int) -> list[str]:
            with pg_app.app_context():
                return settle.close_due(now() + later)

        return run

    closed = _race(6, closer(timedelta(0)))
    everything = [cid for batch in closed for cid in batch]
    assert sorted(everything) == sorted([board["id"], sweep["id"]])  # each closed by one closer
    # Changed by issue 8: the board's purchases can still be refunded, so it settles (pays)
    # after their return window; the sweepstakes (free entries only) is drawn at once.
    assert ledger_total(pg_app, "contest", board["id"]) == 0
    assert ledger_total(pg_app, "contest", sweep["id"]) == 140
    settled = _race(6, closer(timedelta(days=15)))
    assert [cid for batch in settled for cid in batch] == [board["id"]]
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


# Buy, collect, refund, keep (issue 8).


def _refund(app, program, purchase_id: str, key: str | None = None, amount: str | None = None):
    return (
        app.test_client()
        .post(
            f"/api/v1/transactions/{purchase_id}/refunds",
            json={} if amount is None else {"amount": amount},
            headers={"X-API-Key": program.api_key, "Idempotency-Key": key or uuid.uuid4().hex},
        )
        .status_code
    )


def _challenge_entries(app) -> list[LedgerEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.reference_type == "challenge")
                .order_by(LedgerEntry.id)
            )
        )


def test_purchases_racing_to_complete_a_goal_reward_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    make_challenge(client, program, target=2, window_kind="weekly")
    member = signup(client)

    def buy(i: int) -> int:
        return purchase(pg_app.test_client(), program, member.card_number, "10.00").status_code

    assert _race(8, buy) == [201] * 8
    with pg_app.app_context():
        completions = list(db.session.scalars(select(ChallengeCompletion)))
        assert [(c.number, c.reversed_at) for c in completions] == [(1, None)]
        assert integrity_problems() == []
    (award,) = _challenge_entries(pg_app)
    assert (award.kind, award.pending_delta) == ("bonus", 100)
    assert member_row(pg_app, member.id)[1:] == (0, 8 * 10 + 100)


def test_refunds_racing_inside_the_window_take_the_reward_back_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    make_challenge(client, program, target=2, window_kind="weekly")
    member = signup(client)
    a = purchase(client, program, member.card_number, "10.00").get_json()["id"]
    b = purchase(client, program, member.card_number, "10.00").get_json()["id"]
    # Both purchases refunded at once, each twice with different keys (tills retrying).
    jobs = [a, a, b, b]
    codes = _race(4, lambda i: _refund(pg_app, program, jobs[i]))
    assert sorted(codes) == [201, 201, 409, 409]
    entries = _challenge_entries(pg_app)
    assert [(e.kind, e.available_delta, e.pending_delta) for e in entries] == [
        ("bonus", 0, 100),
        ("reverse", 0, -100),
    ]
    with pg_app.app_context():
        (completion,) = db.session.scalars(select(ChallengeCompletion))
        assert completion.reversed_at is not None
        assert integrity_problems() == []
    assert member_row(pg_app, member.id)[1:] == (0, 0)


def test_a_refund_racing_the_close_is_waited_for_by_the_settle(pg_app):
    """The refund is inside the purchase's return window: whichever commits first, the
    contest only settles after the window, on the score the refund left."""
    program = seed_program(pg_app)
    client = pg_app.test_client()
    contest = make_contest(client, program)
    ann = signup(client, "ann@test.example")
    bob = signup(client, "bob@test.example")
    p = purchase(client, program, ann.card_number, "90.00").get_json()["id"]
    purchase(client, program, bob.card_number, "70.00")
    end_now(pg_app, contest["id"])

    def act(i: int):
        if i == 0:
            return _refund(pg_app, program, p)
        with pg_app.app_context():
            return settle.close_due()

    results = _race(4, act)
    assert results[0] == 201
    assert sorted(cid for batch in results[1:] for cid in batch) == [contest["id"]]
    view = contest_view(client, program, contest["id"])
    assert (view["status"], view["awarded"]) == ("settling", [])
    settled = _race(4, lambda _: settle_later(pg_app))
    assert [cid for batch in settled for cid in batch] == [contest["id"]]
    view = contest_view(client, program, contest["id"])
    assert [(a["rank"], a["member_id"], a["score"]) for a in view["awarded"]] == [(1, bob.id, 70)]
    assert ledger_total(pg_app, "contest", contest["id"]) == 500
    with pg_app.app_context():
        assert integrity_problems() == []


@pytest.mark.parametrize("round_", range(3))
def test_a_refund_racing_the_settle_is_decided_once_and_consistently(pg_app, round_):
    """After the window, a refund and the settle race: the prizes follow the scores the settle
    saw, whichever came first, and are paid exactly once."""
    program = seed_program(pg_app)
    client = pg_app.test_client()
    contest = make_contest(client, program)
    ann = signup(client, "ann@test.example")
    bob = signup(client, "bob@test.example")
    p = purchase(client, program, ann.card_number, "90.00").get_json()["id"]
    purchase(client, program, bob.card_number, "70.00")
    end_now(pg_app, contest["id"])
    with pg_app.app_context():
        assert settle.close_due() == [contest["id"]]

    def act(i: int):
        if i == 0:
            return _refund(pg_app, program, p)
        return settle_later(pg_app)

    results = _race(4, act)
    assert results[0] == 201
    assert sorted(cid for batch in results[1:] for cid in batch) == [contest["id"]]
    view = contest_view(client, program, contest["id"])
    awarded = [(a["rank"], a["member_id"], a["score"]) for a in view["awarded"]]
    board = client.get(
        f"/api/v1/contests/{contest['id']}/leaderboard", headers=bob.headers
    ).get_json()
    final = [(r["rank"], r["score"]) for r in board["top"]]
    # Either the refund came first (ann at 0 wins nothing) or the settle did (ann keeps 90).
    assert (awarded, final) in (
        ([(1, bob.id, 70)], [(1, 70), (2, 0)]),
        ([(1, ann.id, 90), (2, bob.id, 70)], [(1, 90), (2, 70)]),
    )
    with pg_app.app_context():
        per_key = db.session.execute(
            select(LedgerEntry.idempotency_key, func.count())
            .where(LedgerEntry.reference_type == "contest")
            .group_by(LedgerEntry.idempotency_key)
        ).all()
        assert len(per_key) == len(awarded) and all(n == 1 for _, n in per_key)
        assert db.session.scalar(select(func.count(ContestPrize.id))) == len(awarded)
        assert integrity_problems() == []
    assert round_ >= 0
