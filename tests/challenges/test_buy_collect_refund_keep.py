"""Buy, collect, refund, keep (issue 8): what purchases earn in the games is decided on what can
no longer be refunded.

- A challenge's reward from purchases is pending for the return window of the latest purchase
  behind it, and a refund that drops the progress below the goal first takes it back, once.
- Purchases that earned nothing count toward no goal and give no entries.
- A goal can set a minimum purchase (`min_amount`).
- A contest closes at its end and settles (pays) once the return window of what it counted has
  passed; refunds meanwhile take back what they reverse.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.models import LedgerEntry, PointLot
from app.ledger.service import integrity_problems, release_due
from app.purchases.models import Purchase
from app.stores.models import Region, Store
from challenges.contests import settle
from challenges.contests.models import Contest, ContestEntry
from challenges.missions import subscribers as missions
from challenges.missions.models import ChallengeCompletion
from tests.challenges.games import (
    admin_patch,
    admin_post,
    contest_view,
    end_now,
    ledger_count,
    ledger_total,
    make_badge,
    make_challenge,
    make_contest,
    member_row,
    now,
    set_program,
    settle_later,
)
from tests.support import purchase, signup


def _fixed(**fields):
    today = now().date()
    return {
        "window_kind": "fixed",
        "starts_on": (today - timedelta(days=6)).isoformat(),
        "ends_on": (today + timedelta(days=2)).isoformat(),
    } | fields


def _mine(client, member, challenge_id):
    listed = client.get("/api/v1/challenges", headers=member.headers).get_json()
    return next(c for c in listed if c["id"] == challenge_id)


def _refund(client, program, purchase_id, amount=None):
    res = client.post(
        f"/api/v1/transactions/{purchase_id}/refunds",
        json={} if amount is None else {"amount": amount},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert res.status_code == 201, res.get_json()
    return res


def _completions(app):
    with app.app_context():
        return list(
            db.session.scalars(select(ChallengeCompletion).order_by(ChallengeCompletion.id))
        )


def _healthy(app):
    with app.app_context():
        assert integrity_problems() == []


# Challenges.


def test_the_reward_is_pending_until_the_latest_purchases_return_window_ends(app, client, program):
    ch = make_challenge(client, program, target=2, **_fixed())
    member = signup(client)
    first = purchase(client, program, member.card_number, "10.00").get_json()
    second = purchase(client, program, member.card_number, "10.00").get_json()
    with app.app_context():
        recorded = db.session.scalar(
            select(Purchase.created_at).where(Purchase.public_id == second["id"])
        )
        award = db.session.scalar(
            select(LedgerEntry).where(LedgerEntry.reference_type == "challenge")
        )
        lot = db.session.scalar(select(PointLot).where(PointLot.entry_id == award.id))
    assert first["id"] != second["id"]
    assert (award.available_delta, award.pending_delta) == (0, 100)
    assert lot.available_at == recorded + timedelta(days=14)
    (completion,) = _completions(app)
    assert completion.held_until == lot.available_at
    reward = _mine(client, member, ch["id"])["reward"]
    assert reward["status"] == "pending"
    assert reward["available_at"] == lot.available_at.isoformat()
    # The release job makes it available with the purchases' own points.
    with app.app_context():
        release_due(now() + timedelta(days=15))
    assert member_row(app, member.id)[1:] == (100 + 20, 0)
    _healthy(app)


def test_without_a_return_window_the_reward_is_available_at_once(app, client, program):
    set_program(app, return_window_days=0)
    ch = make_challenge(client, program, target=1, **_fixed())
    member = signup(client)
    p = purchase(client, program, member.card_number, "10.00").get_json()
    assert member_row(app, member.id)[1:] == (10 + 100, 0)
    assert _mine(client, member, ch["id"])["reward"]["status"] == "granted"
    # Nothing can be returned any more in the program's terms: a refund keeps the reward.
    _refund(client, program, p["id"])
    assert ledger_total(app, "challenge") == 100
    _healthy(app)


def test_a_refund_inside_the_window_takes_the_reward_and_badge_back_once(app, client, program):
    make_badge(client, program, "regular")
    ch = make_challenge(client, program, target=2, reward_badge_code="regular", **_fixed())
    board = make_contest(client, program)
    member = signup(client)
    a = purchase(client, program, member.card_number, "10.00").get_json()
    b = purchase(client, program, member.card_number, "10.00").get_json()
    assert ledger_total(app, "challenge") == 100
    you = f"/api/v1/contests/{board['id']}/leaderboard"
    assert client.get(you, headers=member.headers).get_json()["you"]["score"] == 20 + 100
    _refund(client, program, a["id"], "4.00")  # partial: the purchase still counts
    assert ledger_total(app, "challenge") == 100
    _refund(client, program, b["id"])  # below the goal: the reward goes
    assert ledger_total(app, "challenge") == 0
    _refund(client, program, a["id"])  # already below: nothing more to take
    with app.app_context():
        reversals = list(
            db.session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.reference_type == "challenge", LedgerEntry.kind == "reverse"
                )
            )
        )
    assert [(r.available_delta, r.pending_delta) for r in reversals] == [(0, -100)]
    (completion,) = _completions(app)
    assert completion.reversed_at is not None
    assert client.get("/api/v1/me/badges", headers=member.headers).get_json() == []
    # The points contest lost the purchases' points and the reward's alike.
    assert client.get(you, headers=member.headers).get_json()["you"]["score"] == 0
    mine = _mine(client, member, ch["id"])
    assert mine["progress"]["completed"] is False and mine["reward"]["status"] is None
    assert member_row(app, member.id)[1:] == (0, 0)
    _healthy(app)


def test_a_window_completed_again_is_rewarded_again_under_a_new_key(app, client, program):
    make_badge(client, program, "regular")
    ch = make_challenge(client, program, target=1, reward_badge_code="regular", **_fixed())
    member = signup(client)
    first = purchase(client, program, member.card_number, "10.00").get_json()
    _refund(client, program, first["id"])
    purchase(client, program, member.card_number, "10.00")
    assert ledger_total(app, "challenge") == 100
    assert ledger_count(app, "challenge") == 3  # award, reversal, award
    assert [(c.number, c.reversed_at is None) for c in _completions(app)] == [
        (1, False),
        (2, True),
    ]
    badges = client.get("/api/v1/me/badges", headers=member.headers).get_json()
    assert [(b["code"], b["source"]) for b in badges] == [
        ("regular", f"challenge:{ch['id']}:{ch['starts_on']}/{ch['ends_on']}#2")
    ]
    _healthy(app)


def test_a_purchase_after_completion_makes_up_for_a_refund(app, client, program):
    make_challenge(client, program, target=2, **_fixed())
    member = signup(client)
    a = purchase(client, program, member.card_number, "10.00").get_json()
    purchase(client, program, member.card_number, "10.00")
    purchase(client, program, member.card_number, "10.00")  # beyond the goal
    _refund(client, program, a["id"])
    assert ledger_total(app, "challenge") == 100
    assert ledger_count(app, "challenge") == 1


def test_once_released_a_reward_stays(app, client, program, monkeypatch):
    ch = make_challenge(client, program, target=1, **_fixed())
    member = signup(client)
    p = purchase(client, program, member.card_number, "10.00").get_json()
    later = now() + timedelta(days=15)
    with app.app_context():
        release_due(later)
    # The refund comes after the return window (the games' clock moved on to then).
    monkeypatch.setattr(missions, "utcnow", lambda: later)
    _refund(client, program, p["id"])
    assert ledger_total(app, "challenge") == 100
    assert [c.reversed_at for c in _completions(app)] == [None]
    assert member_row(app, member.id)[1] == 100
    assert ch["id"]
    _healthy(app)


def _outside_the_pilot(app) -> None:
    """The program runs as a pilot; the API key's store is not in it."""
    with app.app_context():
        region = Region(name="North", code="north", pilot=True)
        db.session.add(region)
        db.session.flush()
        db.session.add(Store(name="Pilot", code="pilot", region_id=region.id))
        db.session.commit()
    set_program(app, rollout="pilot")


def test_purchases_that_earned_nothing_count_toward_no_goal_and_give_no_entries(
    app, client, program
):
    ch = make_challenge(client, program, target=1, **_fixed())
    sweep = make_contest(
        client,
        program,
        kind="sweepstakes",
        metric=None,
        entries_per_purchase=2,
        prizes=[{"first_rank": 1, "last_rank": 1, "points": 5}],
    )
    member = signup(client)
    _outside_the_pilot(app)
    res = purchase(client, program, member.card_number, "50.00")
    assert res.status_code == 201 and res.get_json()["points_earned"] == 0
    tiny = purchase(client, program, member.card_number, "0.01")  # too small to earn a point
    assert tiny.status_code == 201
    with app.app_context():
        reasons = set(db.session.scalars(select(Purchase.no_points_reason)))
        assert db.session.scalar(select(func.count(ContestEntry.id))) == 0
    assert reasons == {"program_not_live_in_store"}
    assert _mine(client, member, ch["id"])["progress"]["current"] == 0
    assert ledger_count(app, "challenge") == 0
    view = client.get(f"/api/v1/contests/{sweep['id']}", headers=member.headers).get_json()
    assert view["your_entries"] == 0


def test_a_purchase_too_small_to_earn_counts_for_nothing(app, client, program):
    ch = make_challenge(client, program, target=1, **_fixed())
    member = signup(client)
    res = purchase(client, program, member.card_number, "0.50")
    assert res.status_code == 201 and res.get_json()["points_earned"] == 0
    assert _mine(client, member, ch["id"])["progress"]["current"] == 0


def test_a_goal_with_a_minimum_purchase(app, client, program):
    ch = make_challenge(client, program, target=2, min_amount="15.00", **_fixed())
    assert (ch["min_amount"], ch["min_amount_minor"]) == ("15.00", 1500)
    member = signup(client, language="en")
    purchase(client, program, member.card_number, "14.99")
    purchase(client, program, member.card_number, "15.00")
    mine = _mine(client, member, ch["id"])
    assert mine["goal"]["min_amount"] == "15.00"
    assert mine["progress"]["current"] == 1
    # The older field, in cents, still works (one of the two).
    cents = make_challenge(client, program, target=2, min_amount_minor=700, **_fixed())
    assert cents["min_amount"] == "7.00"


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"min_amount": "5.001"}, "min_amount"),
        ({"min_amount": "-1.00"}, "min_amount"),
        ({"min_amount": "0.00"}, "min_amount"),
        ({"min_amount": "100000.01"}, "min_amount"),
        ({"min_amount": "five"}, "min_amount"),
        ({"min_amount_minor": 10**12}, "min_amount_minor"),
        ({"min_amount_minor": -5}, "min_amount_minor"),
        ({"min_amount": "5.00", "min_amount_minor": 500}, "min_amount"),
        ({"goal_kind": "quizzes_completed", "min_amount": "5.00"}, "min_amount"),
    ],
)
def test_a_bad_minimum_purchase_is_a_clear_422(client, program, fields, where):
    body = {
        "name": {"en": "x"},
        "goal_kind": "purchase_count",
        "target": 1,
        "window_kind": "weekly",
        "reward_points": 5,
    } | fields
    res = admin_post(client, program, "/challenges", body)
    assert res.status_code == 422, res.get_json()
    error = res.get_json()["error"]
    assert error["code"] == "validation_error"
    assert where in str(error["details"])


# Contests.


def test_a_points_contest_settles_after_the_last_return_window_and_refunds_count_until_then(
    app, client, program
):
    contest = make_contest(client, program)
    ann = signup(client, "ann@test.example")
    bob = signup(client, "bob@test.example")
    p = purchase(client, program, ann.card_number, "90.00").get_json()
    purchase(client, program, bob.card_number, "70.00")
    end_now(app, contest["id"])
    with app.app_context():
        assert settle.close_due() == [contest["id"]]
        latest = db.session.scalar(select(func.max(PointLot.available_at)))
    view = contest_view(client, program, contest["id"])
    assert (view["status"], view["settles_at"]) == ("settling", latest.isoformat())
    assert view["awarded"] == []
    listed = client.get("/api/v1/contests", headers=ann.headers).get_json()
    assert [(c["id"], c["status"]) for c in listed] == [(contest["id"], "settling")]
    # Not yet: the settle job before settles_at changes nothing.
    assert settle_later(app, days=13) == []
    # A refund while settling takes back what it reverses, and the prizes follow.
    _refund(client, program, p["id"], "50.00")
    board = client.get(
        f"/api/v1/contests/{contest['id']}/leaderboard", headers=ann.headers
    ).get_json()
    assert board["status"] == "settling"
    assert [r["score"] for r in board["top"]] == [70, 40]
    # Points earned after the end are not counted, nor is their refund taken back.
    late = purchase(client, program, ann.card_number, "30.00").get_json()
    _refund(client, program, late["id"])
    assert settle_later(app) == [contest["id"]]
    view = contest_view(client, program, contest["id"])
    assert view["status"] == "closed"
    assert [(a["rank"], a["member_id"], a["score"], a["points"]) for a in view["awarded"]] == [
        (1, bob.id, 70, 500),
        (2, ann.id, 40, 100),
    ]
    # Once settled, a refund changes neither the board nor the prizes.
    _refund(client, program, p["id"])
    board = client.get(
        f"/api/v1/contests/{contest['id']}/leaderboard", headers=ann.headers
    ).get_json()
    assert [r["score"] for r in board["top"]] == [70, 40]
    assert ledger_total(app, "contest", contest["id"]) == 600
    assert settle_later(app) == []
    _healthy(app)


def test_a_contest_with_nothing_refundable_closes_and_pays_at_once(app, client, program):
    set_program(app, return_window_days=0)
    contest = make_contest(client, program)
    member = signup(client)
    purchase(client, program, member.card_number, "10.00")
    end_now(app, contest["id"])
    with app.app_context():
        assert settle.close_due() == [contest["id"]]
    view = contest_view(client, program, contest["id"])
    assert view["status"] == "closed"
    assert [(a["rank"], a["points"]) for a in view["awarded"]] == [(1, 500)]


def test_the_settle_waits_for_a_purchase_that_counted_after_the_close_looked(app, client, program):
    """A purchase still being written when the contest closed is seen by the settle, which
    then moves settles_at to its return window's end instead of paying."""
    contest = make_contest(client, program)
    member = signup(client)
    purchase(client, program, member.card_number, "10.00")
    end_now(app, contest["id"])
    with app.app_context():
        settle.close_due()
        row = db.session.scalar(select(Contest).where(Contest.public_id == contest["id"]))
        first = row.settles_at
        # As if the purchase's points became pending only later, with a later window's end.
        db.session.execute(
            PointLot.__table__.update().values(available_at=first + timedelta(days=3))
        )
        db.session.commit()
    assert settle_later(app, days=15) == []
    view = contest_view(client, program, contest["id"])
    assert view["status"] == "settling"
    assert view["settles_at"] == (first + timedelta(days=3)).isoformat()
    assert settle_later(app, days=18) == [contest["id"]]


def test_a_challenges_contest_settles_after_the_held_completions(app, client, program):
    contest = make_contest(client, program, metric="challenges_completed")
    make_challenge(client, program, target=1, **_fixed())
    ann = signup(client, "ann@test.example")
    bob = signup(client, "bob@test.example")
    p = purchase(client, program, ann.card_number, "10.00").get_json()
    purchase(client, program, bob.card_number, "10.00")
    # Ann's refund takes her completion back, and its point on the board.
    _refund(client, program, p["id"])
    board = client.get(
        f"/api/v1/contests/{contest['id']}/leaderboard", headers=ann.headers
    ).get_json()
    assert [(r["is_you"], r["score"]) for r in board["top"]] == [(False, 1), (True, 0)]
    end_now(app, contest["id"])
    with app.app_context():
        settle.close_due()
    assert contest_view(client, program, contest["id"])["status"] == "settling"
    settle_later(app)
    view = contest_view(client, program, contest["id"])
    assert [(a["rank"], a["member_id"]) for a in view["awarded"]] == [(1, bob.id)]


def test_a_sweepstakes_draws_once_purchase_entries_cannot_be_refunded(app, client, program):
    sweep = make_contest(
        client,
        program,
        kind="sweepstakes",
        metric=None,
        entries_per_purchase=1,
        prizes=[{"first_rank": 1, "last_rank": 2, "points": 50}],
    )
    ann = signup(client, "ann@test.example")
    bob = signup(client, "bob@test.example")
    p = purchase(client, program, ann.card_number, "10.00").get_json()
    purchase(client, program, bob.card_number, "10.00")
    end_now(app, sweep["id"])
    with app.app_context():
        settle.close_due()
    # A full refund while settling takes the entry out of the draw to come.
    _refund(client, program, p["id"])
    settle_later(app)
    draw = client.get(f"/api/v1/contests/{sweep['id']}/draw", headers=bob.headers).get_json()
    assert draw["drawn"] is True
    assert [e["holder_id"] for e in draw["entries"]] == [bob.id]
    assert [w["holder_id"] for w in draw["winners"]] == [bob.id]


def test_an_admin_cannot_end_a_contest_before_the_scores_it_has(app, client, program):
    contest = make_contest(client, program)
    member = signup(client)
    purchase(client, program, member.card_number, "10.00")
    past = now() - timedelta(days=1)
    res = admin_patch(client, program, f"/contests/{contest['id']}", {"ends_at": past.isoformat()})
    assert res.status_code == 200
    view = contest_view(client, program, contest["id"])
    # It ends now, not yesterday: the purchase counted, and holds the settle.
    assert view["ends_at"] > past.isoformat()
    assert view["status"] == "settling"
    res = admin_patch(client, program, f"/contests/{contest['id']}", {"name": {"en": "late"}})
    assert res.status_code == 409
    running = make_contest(client, program)
    res = admin_patch(
        client,
        program,
        f"/contests/{running['id']}",
        {"starts_at": (now() + timedelta(hours=1)).isoformat()},
    )
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "contest_running"
