"""The ledger's pending awards and their reversal by key, as the games use them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.ledger.models import LedgerEntry, PointLot
from app.ledger.service import (
    award_points,
    debit,
    integrity_problems,
    release_due,
    reversal_key,
    reverse_award,
)
from app.models_base import utcnow
from tests.challenges.games import member_row
from tests.support import signup


def _award(member_id: int, points: int, key: str, pending_days: float | None = None):
    until = utcnow() + timedelta(days=pending_days) if pending_days is not None else None
    return award_points(
        member_id,
        points,
        idempotency_key=key,
        reason="Test award",
        reference_type="challenge",
        reference_id="chl_test:w1",
        pending_until=until,
    )


def test_a_pending_award_is_held_then_released(app, client, program):
    member = signup(client)
    member_id = member_row(app, member.id)[0]
    with app.app_context():
        entry = _award(member_id, 100, "k1", pending_days=14)
        db.session.commit()
        assert (entry.available_delta, entry.pending_delta) == (0, 100)
        lot = db.session.scalar(select(PointLot).where(PointLot.entry_id == entry.id))
        assert lot.released is False
        # A replay with the same key changes nothing.
        assert _award(member_id, 100, "k1", pending_days=14).id == entry.id
        db.session.commit()
    assert member_row(app, member.id)[1:] == (0, 100)
    with app.app_context():
        release_due(utcnow() + timedelta(days=15))
    assert member_row(app, member.id)[1:] == (100, 0)
    with app.app_context():
        assert integrity_problems() == []


def test_reversing_a_pending_award_takes_its_lot_once(app, client, program):
    member = signup(client)
    member_id = member_row(app, member.id)[0]
    with app.app_context():
        _award(member_id, 100, "k1", pending_days=14)
        _award(member_id, 30, "k2")  # another award, available: not touched
        db.session.commit()
        first = reverse_award("k1", "Goal no longer met")
        db.session.commit()
        assert (first.kind, first.available_delta, first.pending_delta) == ("reverse", 0, -100)
        assert first.idempotency_key == reversal_key("k1")
        assert (first.reference_type, first.reference_id) == ("challenge", "chl_test:w1")
        again = reverse_award("k1", "Goal no longer met")
        db.session.commit()
        assert again.id == first.id
        assert reverse_award("never-awarded", "x") is None
        assert (
            db.session.scalar(
                select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "reverse")
            )
            == 1
        )
    assert member_row(app, member.id)[1:] == (30, 0)
    with app.app_context():
        # The release job has nothing left to release from the reversed lot.
        assert release_due(utcnow() + timedelta(days=15)) == 0
        assert integrity_problems() == []


def test_a_released_award_is_taken_from_available_but_never_below_zero(app, client, program):
    member = signup(client)
    member_id = member_row(app, member.id)[0]
    with app.app_context():
        _award(member_id, 100, "k1")
        db.session.commit()
        debit(
            member_id,
            80,
            kind="redeem",
            reason="Spent",
            reference_type="redemption",
            reference_id="red_1",
        )
        db.session.commit()
        entry = reverse_award("k1", "Taken back")
        db.session.commit()
        # 80 were spent: only the 20 left can be taken back.
        assert (entry.available_delta, entry.pending_delta) == (-20, 0)
    assert member_row(app, member.id)[1:] == (0, 0)
    with app.app_context():
        assert integrity_problems() == []


def test_a_released_award_takes_its_own_lot_first_then_others(app, client, program):
    member = signup(client)
    member_id = member_row(app, member.id)[0]
    with app.app_context():
        _award(member_id, 50, "older")
        _award(member_id, 100, "k1")
        db.session.commit()
        debit(
            member_id,
            120,
            kind="redeem",
            reason="Spent",
            reference_type="redemption",
            reference_id="red_1",
        )
        db.session.commit()
        # FIFO spending left 30 in the award's own lot; the other lot is empty.
        entry = reverse_award("k1", "Taken back")
        db.session.commit()
        assert entry.available_delta == -30
    assert member_row(app, member.id)[1:] == (0, 0)
    with app.app_context():
        assert integrity_problems() == []


def test_the_ledger_check_sees_a_games_payment_that_disagrees_with_the_ledger(app, client, program):
    from app.ledger.checks import run_checks as checks_run
    from challenges.contests.models import ContestPrize
    from challenges.missions.models import ChallengeCompletion
    from tests.challenges.games import end_now, make_challenge, make_contest, settle_later
    from tests.support import purchase

    make_challenge(client, program, target=1, window_kind="weekly")
    contest = make_contest(client, program)
    member = signup(client)
    purchase(client, program, member.card_number, "10.00")
    end_now(app, contest["id"])
    settle_later(app)
    with app.app_context():
        assert integrity_problems() == []
        assert {"challenge_rewards", "contest_prizes"} <= set(checks_run().checks)
        # A completion marked taken back without its reversal, and a prize paid twice over.
        completion = db.session.scalar(select(ChallengeCompletion))
        completion.reversed_at = utcnow()
        prize = db.session.scalar(select(ContestPrize))
        prize.points *= 2
        db.session.commit()
        found = {(p["check"], p["details"].get("taken_back")) for p in integrity_problems()}
    assert ("challenge_rewards", True) in found
    assert ("contest_prizes", None) in found
