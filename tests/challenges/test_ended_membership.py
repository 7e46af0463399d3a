"""An ended membership plays no more and wins nothing: no quiz attempts, submissions, joins or
free entries; no challenge progress; no place on a board or in a draw, whose prize goes to the
next eligible member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.errors import ApiError
from app.extensions import db
from app.members.models import Member
from challenges.contests import service as contests
from challenges.contests import settle
from challenges.contests.models import ContestEntry, ContestStanding
from challenges.missions import service as missions
from challenges.missions import subscribers
from challenges.missions.models import ChallengeProgress
from challenges.quizzes import service as quizzes
from tests.challenges.games import (
    admin_post,
    contest_view,
    end_now,
    ledger_count,
    make_challenge,
    make_contest,
    make_quiz,
    member_row,
    now,
    right_answers,
    settle_later,
)
from tests.support import purchase, signup


def _end(client, program, member) -> None:
    assert admin_post(client, program, f"/members/{member.id}/end", {}).status_code == 200


def _refused(call) -> None:
    with pytest.raises(ApiError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (409, "membership_ended")


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
    _end(client, program, member)

    # Changed by issue 6 (was: 409 membership_ended over HTTP). Ending a membership now
    # revokes its sessions, so the token no longer answers at all ...
    res = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts", headers=member.headers)
    assert res.status_code == 401
    # ... and the games refuse the ended member on their own, whoever calls them.
    with app.app_context():
        ended = db.session.scalar(select(Member).where(Member.public_id == member.id))
        _refused(lambda: quizzes.submit(ended, attempt.get_json()["id"], right_answers(quiz)))
        _refused(lambda: quizzes.start_attempt(ended, quiz["id"]))
        _refused(lambda: missions.join(ended, challenge["id"]))
        _refused(lambda: contests.free_entry(ended, sweep["id"]))
        db.session.rollback()
    assert ledger_count(app, "quiz_attempt") == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(ContestEntry.id))) == 0


def test_an_ended_members_purchase_events_count_for_no_challenge(app, client, program):
    make_challenge(client, program, target=1, window_kind="weekly")
    member = signup(client)
    first = purchase(client, program, member.card_number, "10.00").get_json()
    internal_id = member_row(app, member.id)[0]
    with app.app_context():
        db.session.query(ChallengeProgress).delete()
        db.session.commit()
    _end(client, program, member)
    # The event delivered again after the end (a retry): nothing counts, nothing is paid.
    with app.app_context():
        subscribers.on_purchase_recorded(
            {
                "member_id": internal_id,
                "member_public_id": member.id,
                "purchase_id": first["id"],
                "store_id": program.store_id,
                "region_id": program.region_id,
                "channel": "in_store",
                "amount_minor": 1000,
                "currency": "EUR",
                "points": 10,
                "occurred_at": now().isoformat(),
            }
        )
        db.session.commit()
        assert db.session.scalar(select(func.count(ChallengeProgress.id))) == 0


def test_the_prize_of_an_ended_leader_goes_to_the_next_eligible_rank(app, client, program):
    contest = make_contest(client, program)
    ann, bob, cid, dan = (signup(client, f"{n}@test.example") for n in ("ann", "bob", "cid", "dan"))
    for member, amount in ((ann, "90.00"), (bob, "70.00"), (cid, "50.00"), (dan, "30.00")):
        purchase(client, program, member.card_number, amount)
    _end(client, program, ann)
    with app.app_context():
        # Off the board at once (and off Redis, rebuilt from the rows at the next read).
        ann_id = member_row(app, ann.id)[0]
        assert (
            db.session.scalar(
                select(func.count(ContestStanding.id)).where(ContestStanding.member_id == ann_id)
            )
            == 0
        )
    board = client.get(
        f"/api/v1/contests/{contest['id']}/leaderboard", headers=bob.headers
    ).get_json()
    assert [(r["rank"], r["score"]) for r in board["top"]] == [(1, 70), (2, 50), (3, 30)]
    end_now(app, contest["id"])
    settle_later(app)
    view = contest_view(client, program, contest["id"])
    assert view["status"] == "closed"
    # Everyone below the ended member moved up a rank: 500 to bob, 100 each to cid and dan.
    assert [(a["rank"], a["member_id"], a["points"]) for a in view["awarded"]] == [
        (1, bob.id, 500),
        (2, cid.id, 100),
        (3, dan.id, 100),
    ]


def test_a_membership_ended_while_settling_wins_nothing(app, client, program):
    contest = make_contest(client, program)
    ann = signup(client, "ann@test.example")
    bob = signup(client, "bob@test.example")
    purchase(client, program, ann.card_number, "90.00")
    purchase(client, program, bob.card_number, "70.00")
    end_now(app, contest["id"])
    with app.app_context():
        assert settle.close_due() == [contest["id"]]
    assert contest_view(client, program, contest["id"])["status"] == "settling"
    _end(client, program, ann)
    settle_later(app)
    view = contest_view(client, program, contest["id"])
    assert [(a["rank"], a["member_id"]) for a in view["awarded"]] == [(1, bob.id)]


def test_the_settle_skips_an_ended_member_it_still_finds(app, client, program):
    """Belt and braces: a standing left behind (e.g. written by an older version) is skipped."""
    contest = make_contest(client, program)
    ann = signup(client, "ann@test.example")
    bob = signup(client, "bob@test.example")
    purchase(client, program, ann.card_number, "90.00")
    purchase(client, program, bob.card_number, "70.00")
    with app.app_context():
        row = db.session.scalar(select(Member).where(Member.public_id == ann.id))
        row.ended_at = now()  # ended without the event: its standing is still there
        db.session.commit()
    end_now(app, contest["id"])
    settle_later(app)
    settle_later(app)
    view = contest_view(client, program, contest["id"])
    assert [(a["rank"], a["member_id"]) for a in view["awarded"]] == [(1, bob.id)]


def test_an_ended_members_entries_are_not_drawn(app, client, program):
    sweep = make_contest(
        client,
        program,
        kind="sweepstakes",
        metric=None,
        free_entry=True,
        prizes=[{"first_rank": 1, "last_rank": 3, "points": 50}],
    )
    members = [signup(client, f"m{i}@test.example") for i in range(3)]
    for member in members:
        res = client.post(f"/api/v1/contests/{sweep['id']}/entries", headers=member.headers)
        assert res.status_code == 201
    _end(client, program, members[0])
    end_now(app, sweep["id"])
    settle_later(app)
    draw = client.get(f"/api/v1/contests/{sweep['id']}/draw", headers=members[1].headers)
    draw = draw.get_json()
    assert draw["drawn"] is True
    assert {e["holder_id"] for e in draw["entries"]} == {members[1].id, members[2].id}
    assert {w["holder_id"] for w in draw["winners"]} == {members[1].id, members[2].id}
    assert member_row(app, members[0].id)[1] == 0
