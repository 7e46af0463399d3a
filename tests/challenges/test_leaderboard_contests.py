"""Leaderboard contests over HTTP, on Redis (where REDIS_URL is set) and on the SQL fallback."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest

from app.extensions import db
from app.ledger.service import release_due
from tests.challenges.games import (
    admin_patch,
    admin_post,
    end_now,
    ledger_count,
    ledger_total,
    make_badge,
    make_challenge,
    make_contest,
    make_quiz,
    member_row,
    now,
    right_answers,
    settle_later,
)
from tests.support import bearer, purchase, signup


@pytest.fixture(params=["redis", "sql"])
def app_settings(request, games_redis):
    if request.param == "redis":
        if not os.environ.get("REDIS_URL"):
            pytest.skip("REDIS_URL is not set")
        return dict(games_redis)
    return {"GAMES_REDIS_URL": None}


def _board(client, member, contest_id, limit=10):
    res = client.get(
        f"/api/v1/contests/{contest_id}/leaderboard?limit={limit}", headers=member.headers
    )
    assert res.status_code == 200, res.get_json()
    return res.get_json()


_end_now = end_now


def _close_cli(app) -> list[str]:
    import json

    result = app.test_cli_runner().invoke(args=["games", "close-contests"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])["closed"]


def test_points_earned_ranks_members_with_top_n_and_own_rank(app, client, program, app_settings):
    contest = make_contest(client, program)
    ann = signup(client, "ann@test.example", name="Ann Lee")
    bob = signup(client, "bob@test.example", name="Bob Stone")
    cid = signup(client, "cid@test.example", name="Cid")
    purchase(client, program, bob.card_number, "50.00")
    purchase(client, program, ann.card_number, "120.00")
    purchase(client, program, cid.card_number, "20.00")
    board = _board(client, bob, contest["id"], limit=2)
    assert board["backend"] == ("sql" if app_settings.get("GAMES_REDIS_URL") is None else "redis")
    assert [(r["rank"], r["name"], r["score"], r["is_you"]) for r in board["top"]] == [
        (1, "Ann L.", 120, False),
        (2, "Bob S.", 50, True),
    ]
    assert board["participants"] == 3
    assert _board(client, cid, contest["id"])["you"] == {"rank": 3, "score": 20}
    outsider = signup(client, "dan@test.example")
    assert _board(client, outsider, contest["id"])["you"] is None


def test_release_is_not_earning_and_a_refund_takes_points_back(app, client, program):
    contest = make_contest(client, program)
    ann = signup(client, "ann@test.example")
    bob = signup(client, "bob@test.example")
    p = purchase(client, program, ann.card_number, "100.00").get_json()
    purchase(client, program, bob.card_number, "60.00")
    with app.app_context():
        release_due(now() + timedelta(days=15))  # pending -> available: nothing new earned
    assert _board(client, ann, contest["id"])["you"] == {"rank": 1, "score": 100}
    res = client.post(
        f"/api/v1/transactions/{p['id']}/refunds",
        json={"amount": "50.00"},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert res.status_code == 201
    assert _board(client, ann, contest["id"])["you"] == {"rank": 2, "score": 50}


def test_equal_scores_rank_by_who_reached_them_first(client, program):
    contest = make_contest(client, program)
    late = signup(client, "late@test.example")  # joined first: a lower id would win a full tie
    early = signup(client, "early@test.example")
    purchase(client, program, early.card_number, "30.00")
    purchase(client, program, late.card_number, "30.00")
    board = _board(client, late, contest["id"])
    assert [r["is_you"] for r in board["top"]] == [False, True]
    assert "reached the score first" in board["tie_rule"]


def test_only_eligible_members_are_ranked(client, program):
    contest = make_contest(client, program, tiers=["gold"])
    member = signup(client)
    purchase(client, program, member.card_number, "30.00")
    res = client.get(f"/api/v1/contests/{contest['id']}/leaderboard", headers=member.headers)
    assert res.status_code == 403
    assert client.get("/api/v1/contests", headers=member.headers).get_json() == []


def test_closing_pays_prizes_once_by_job_and_by_cli(app, client, program):
    make_badge(client, program, "champion")
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "Mug", "cost_points": 900, "stock_remaining": 5},
        headers=bearer(program.admin_token),
    ).get_json()
    contest = make_contest(
        client,
        program,
        prizes=[
            {
                "first_rank": 1,
                "last_rank": 1,
                "points": 500,
                "badge_code": "champion",
                "reward_id": reward["id"],
            },
            {"first_rank": 2, "last_rank": 3, "points": 100},
        ],
    )
    members = [signup(client, f"m{i}@test.example") for i in range(4)]
    for i, member in enumerate(members[:3]):
        purchase(client, program, member.card_number, f"{10 * (i + 1)}.00")
    # members[3] scored nothing: below min_score, no prize even though rank 3 pays.
    # The admin moves the end into the past: the job scheduled for the end closes it at once.
    res = admin_patch(
        client,
        program,
        f"/contests/{contest['id']}",
        {"ends_at": (now() - timedelta(seconds=1)).isoformat()},
    )
    assert res.status_code == 200
    view = client.get(
        f"/api/v1/admin/contests/{contest['id']}", headers=bearer(program.admin_token)
    ).get_json()
    # Changed by issue 8 (was: closed and paid at once). The purchases' points can still be
    # refunded: the contest settles, and pays, once their return window has passed.
    assert view["status"] == "settling"
    assert view["awarded"] == [] and view["settles_at"] > view["closed_at"]
    seen = client.get(f"/api/v1/contests/{contest['id']}", headers=members[2].headers)
    assert (seen.get_json()["status"], seen.get_json()["settles_at"]) == (
        "settling",
        view["settles_at"],
    )
    assert ledger_total(app, "contest", contest["id"]) == 0
    assert settle_later(app) == [contest["id"]]
    view = client.get(
        f"/api/v1/admin/contests/{contest['id']}", headers=bearer(program.admin_token)
    ).get_json()
    assert view["status"] == "closed"
    assert [(a["rank"], a["member_id"], a["points"]) for a in view["awarded"]] == [
        (1, members[2].id, 500),
        (2, members[1].id, 100),
        (3, members[0].id, 100),
    ]
    assert view["awarded"][0]["badge_code"] == "champion"
    assert view["awarded"][0]["redemption_code"]
    mine = client.get("/api/v1/me/redemptions", headers=members[2].headers).get_json()
    assert [(r["reward_id"], r["points_spent"]) for r in mine] == [(reward["id"], 0)]
    assert ledger_total(app, "contest", contest["id"]) == 700
    assert member_row(app, members[2].id)[1] == 500
    # The CLI and a second close change nothing.
    assert _close_cli(app) == []
    res = client.post(
        f"/api/v1/admin/contests/{contest['id']}/close", headers=bearer(program.admin_token)
    )
    assert res.get_json()["closed_by_this_call"] is False
    assert ledger_count(app, "contest") == 3
    # A closed contest takes no more changes, and its board is final.
    assert (
        admin_patch(
            client, program, f"/contests/{contest['id']}", {"name": {"en": "x"}}
        ).status_code
        == 409
    )
    purchase(client, program, members[0].card_number, "500.00")
    assert _board(client, members[0], contest["id"])["you"]["score"] == 10


def test_cli_closes_due_contests_only(app, client, program):
    due = make_contest(client, program)
    running = make_contest(client, program)
    member = signup(client)
    purchase(client, program, member.card_number, "10.00")
    _end_now(app, due["id"])
    assert _close_cli(app) == [due["id"]]
    assert _close_cli(app) == []
    # Changed by issue 8: settled (paid) after the purchase's return window, not at the close.
    assert ledger_total(app, "contest", due["id"]) == 0
    assert settle_later(app, only=due["id"]) == [due["id"]]
    assert ledger_total(app, "contest", due["id"]) == 500
    assert ledger_total(app, "contest", running["id"]) == 0
    res = client.post(
        f"/api/v1/admin/contests/{running['id']}/close", headers=bearer(program.admin_token)
    )
    assert res.status_code == 409


def test_quiz_score_and_challenges_completed_metrics(app, client, program):
    quiz_contest = make_contest(client, program, metric="quiz_score")
    challenge_contest = make_contest(client, program, metric="challenges_completed")
    make_challenge(client, program, target=1, window_kind="weekly")
    quiz = make_quiz(client, program)
    member = signup(client)
    attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts", headers=member.headers)
    client.post(
        f"/api/v1/quiz-attempts/{attempt.get_json()['id']}/submit",
        json={"answers": right_answers(quiz)},
        headers=member.headers,
    )
    assert _board(client, member, quiz_contest["id"])["you"] == {"rank": 1, "score": 2}
    purchase(client, program, member.card_number, "10.00")
    assert _board(client, member, challenge_contest["id"])["you"] == {"rank": 1, "score": 1}


def test_bad_contest_definitions(client, program):
    base = {
        "kind": "leaderboard",
        "name": {"en": "x"},
        "starts_at": now().isoformat(),
        "ends_at": (now() + timedelta(days=1)).isoformat(),
        "prizes": [{"first_rank": 1, "last_rank": 1, "points": 5}],
    }
    cases = [
        (base | {"metric": "likes"}, "validation_error"),
        (
            base
            | {
                "metric": "points_earned",
                "prizes": [
                    {"first_rank": 1, "last_rank": 2, "points": 5},
                    {"first_rank": 2, "last_rank": 3, "points": 5},
                ],
            },
            "invalid_prizes",
        ),
        (
            base | {"metric": "points_earned", "prizes": [{"first_rank": 1, "last_rank": 1}]},
            "invalid_prizes",
        ),
        (
            base
            | {
                "metric": "points_earned",
                "prizes": [{"first_rank": 1, "last_rank": 1, "badge_code": "nope"}],
            },
            "invalid_prizes",
        ),
        (base | {"kind": "sweepstakes"}, "validation_error"),
    ]
    for body, code in cases:
        res = admin_post(client, program, "/contests", body)
        assert res.status_code == 422, body
        assert res.get_json()["error"]["code"] == code


def test_redis_follows_each_commit_and_is_rebuilt_when_lost(app, client, program, app_settings):
    if app_settings.get("GAMES_REDIS_URL") is None:
        pytest.skip("the Redis projection only")
    import redis

    from challenges.contests.leaderboard import RedisLeaderboard

    contest = make_contest(client, program)
    ann = signup(client, "ann@test.example")
    bob = signup(client, "bob@test.example")
    purchase(client, program, ann.card_number, "40.00")
    purchase(client, program, bob.card_number, "70.00")
    ann_id, bob_id = member_row(app, ann.id)[0], member_row(app, bob.id)[0]
    r = redis.Redis.from_url(app_settings["GAMES_REDIS_URL"])
    board = RedisLeaderboard(r, contest["id"], prefix=app_settings["GAMES_REDIS_PREFIX"])
    # Copied after each commit, before anyone read the board.
    assert [(s.member_id, s.score) for s in board.top(10)] == [(bob_id, 70), (ann_id, 40)]
    board.delete()  # Redis lost the board: the next read rebuilds it from the database
    assert _board(client, ann, contest["id"])["you"] == {"rank": 2, "score": 40}
    assert board.count() == 2
    r.close()


def test_a_contest_cannot_be_created_already_over(client, program):
    res = admin_post(
        client,
        program,
        "/contests",
        {
            "kind": "leaderboard",
            "metric": "points_earned",
            "name": {"en": "x"},
            "starts_at": (now() - timedelta(days=2)).isoformat(),
            "ends_at": (now() - timedelta(days=1)).isoformat(),
            "prizes": [{"first_rank": 1, "last_rank": 1, "points": 5}],
        },
    )
    assert res.status_code == 422


def test_redis_gets_only_what_commits_whatever_savepoints_do(app, client, program, app_settings):
    """A released SAVEPOINT is not a commit (SQLAlchemy fires after_commit for it too): the copy
    waits for the real commit, and a rolled back SAVEPOINT keeps the outer transaction's."""
    if app_settings.get("GAMES_REDIS_URL") is None:
        pytest.skip("the Redis projection only")
    import redis
    from sqlalchemy import select

    from challenges.contests import boards
    from challenges.contests.leaderboard import RedisLeaderboard
    from challenges.contests.models import Contest as ContestRow

    contest = make_contest(client, program)
    ann = signup(client, "ann@test.example")
    ann_id = member_row(app, ann.id)[0]
    r = redis.Redis.from_url(app_settings["GAMES_REDIS_URL"])
    board = RedisLeaderboard(r, contest["id"], prefix=app_settings["GAMES_REDIS_PREFIX"])
    with app.app_context():
        row = db.session.scalar(select(ContestRow).where(ContestRow.public_id == contest["id"]))
        boards.add_score(row, ann_id, 40, now())
        with db.session.begin_nested():
            pass
        assert board.rank(ann_id) is None  # not committed: not in Redis
        db.session.rollback()
    assert board.rank(ann_id) is None
    with app.app_context():
        row = db.session.scalar(select(ContestRow).where(ContestRow.public_id == contest["id"]))
        boards.add_score(row, ann_id, 25, now())
        try:
            with db.session.begin_nested():
                raise RuntimeError("a racing insert lost")
        except RuntimeError:
            pass
        db.session.commit()
    assert board.rank(ann_id).score == 25
    r.close()
