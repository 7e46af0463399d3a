"""The ledger check sees each rule broken, answers through its schema, and is extensible."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.errors import ApiError
from app.extensions import db
from app.ledger import checks
from app.ledger.checks import Problem, ledger_problems, register_check
from app.ledger.models import LedgerEntry
from app.ledger.service import award_points, release_due
from app.members.models import Member
from app.models_base import utcnow
from app.offers.models import Offer, OfferClaim
from app.purchases import service as purchases
from app.purchases.models import Purchase, Refund
from app.rewards.models import Redemption, Reward
from tests.conftest import make_app
from tests.support import bearer, purchase, signup

CORE_CHECKS = [
    "member_balances",
    "purchase_refunds",
    "reward_stock",
    "offer_claims",
    "award_keys",
    "tier_points",
]
# The rules the games add to the check of an app that loads them (challenges.init_app).
GAMES_CHECKS = ["challenge_rewards", "contest_prizes"]


def _checks_of(app) -> list[str]:
    with app.app_context():
        return checks.run_checks().checks


def _refund(client, program, purchase_id: str, body: dict, key: str):
    return client.post(
        f"/api/v1/transactions/{purchase_id}/refunds",
        json=body,
        headers={"X-API-Key": program.api_key, "Idempotency-Key": key},
    )


def _reward(client, program, **fields) -> dict:
    res = client.post("/api/v1/admin/rewards", json=fields, headers=bearer(program.admin_token))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def _redeem(client, member, reward_id: str, key: str):
    return client.post(
        f"/api/v1/rewards/{reward_id}/redeem", headers=member.headers | {"Idempotency-Key": key}
    )


def _problems(check: str) -> list[dict]:
    return [p for p in ledger_problems() if p["check"] == check]


@pytest.fixture
def busy(app, client, program):
    """A member with purchases, a partial refund, a stocked redemption, an offer claim and an
    award: every rule of the check has something to look at."""
    member = signup(client)
    bought = purchase(client, program, member.card_number, "200.00").get_json()
    assert _refund(client, program, bought["id"], {"amount": "50.00"}, "r1").status_code == 201
    with app.app_context():
        release_due(utcnow() + timedelta(days=15))
    reward = _reward(client, program, name="Mug", cost_points=40, stock_remaining=2)
    assert _redeem(client, member, reward["id"], "mug").status_code == 201
    now = utcnow()
    offer = client.post(
        "/api/v1/admin/offers",
        json={
            "title": {"en": "Gift"},
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "benefit": "gift_points",
            "points": 5,
            "total_cap": 3,
        },
        headers=bearer(program.admin_token),
    ).get_json()
    claim = client.post(
        f"/api/v1/offers/{offer['id']}/claim", headers=member.headers | {"Idempotency-Key": "o"}
    )
    assert claim.status_code == 201, claim.get_json()
    with app.app_context():
        row = db.session.scalar(select(Member).where(Member.public_id == member.id))
        award_points(
            row.id,
            7,
            idempotency_key="quiz:1",
            reason="Quiz",
            reference_type="quiz",
            reference_id="q1",
        )
        db.session.commit()
    return {"member": member, "purchase": bought, "reward": reward, "offer": offer}


def test_a_busy_ledger_is_healthy_over_http_and_in_the_cli(app, client, program, busy):
    res = client.get("/api/v1/admin/ledger/check", headers=bearer(program.admin_token))
    assert res.status_code == 200
    body = res.get_json()
    assert (body["healthy"], body["problems"]) == (True, [])
    # The core's five first, then the rules of the features this app loads (the games' among
    # them: the busy member also played).
    assert body["checks"][: len(CORE_CHECKS)] == CORE_CHECKS
    assert set(GAMES_CHECKS) <= set(body["checks"][5:])
    result = app.test_cli_runner().invoke(args=["points", "check"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == body


def test_a_refund_row_the_purchase_does_not_count_is_reported(app, client, program, busy):
    with app.app_context():
        row = db.session.scalar(
            select(Purchase).where(Purchase.public_id == busy["purchase"]["id"])
        )
        # What a refund that read a stale purchase left behind: a second record of the refund.
        db.session.add(Refund(purchase_id=row.id, amount_minor=5000, points_reversed=50))
        db.session.commit()
        [problem] = _problems("purchase_refunds")
        assert problem["subject"] == busy["purchase"]["id"]
        assert problem["details"]["refunded_minor"] == 5000
        assert problem["details"]["refunds_minor"] == 10000
    res = client.get("/api/v1/admin/ledger/check", headers=bearer(program.admin_token)).get_json()
    assert res["healthy"] is False
    assert [p["check"] for p in res["problems"]] == ["purchase_refunds"]
    result = app.test_cli_runner().invoke(args=["points", "check"])
    assert result.exit_code == 1
    assert json.loads(result.output)["problems"][0]["subject"] == busy["purchase"]["id"]


def test_points_reversed_past_what_the_refunds_took_are_reported(app, busy):
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.public_id == busy["member"].id))
        # A reverse entry for the purchase with no refund behind it (balances still agree).
        db.session.add(
            LedgerEntry(
                member_id=member.id,
                kind="reverse",
                reason="Refund",
                reference_type="purchase",
                reference_id=busy["purchase"]["id"],
                qualifying=0,
            )
        )
        db.session.execute(
            update(Purchase)
            .where(Purchase.public_id == busy["purchase"]["id"])
            .values(points_reversed=Purchase.points_reversed + 10)
        )
        db.session.commit()
        [problem] = _problems("purchase_refunds")
        assert (problem["details"]["points_reversed"], problem["details"]["refunds_collected"]) == (
            60,
            50,
        )


def test_a_redemption_beyond_the_stock_is_reported(app, busy):
    with app.app_context():
        reward = db.session.scalar(select(Reward).where(Reward.public_id == busy["reward"]["id"]))
        member = db.session.scalar(select(Member).where(Member.public_id == busy["member"].id))
        assert (reward.stock_total, reward.stock_remaining) == (2, 1)
        # Two more redemption rows while the stock went down by one: one unit too many.
        for code in ("EXTRA1", "EXTRA2"):
            db.session.add(
                Redemption(member_id=member.id, reward_id=reward.id, points_spent=0, code=code)
            )
        reward.stock_remaining = 0
        db.session.commit()
        [problem] = _problems("reward_stock")
        assert problem == {
            "check": "reward_stock",
            "subject": busy["reward"]["id"],
            "details": {"stock_total": 2, "stock_remaining": 0, "redemptions": 3},
        }


def test_restocking_moves_the_stock_total_and_stays_healthy(app, client, program, busy):
    reward_id = busy["reward"]["id"]
    admin = bearer(program.admin_token)
    url = f"/api/v1/admin/rewards/{reward_id}"
    res = client.patch(url, json={"stock_remaining": 4}, headers=admin)
    assert res.status_code == 200
    assert (res.get_json()["stock_remaining"], res.get_json()["stock_total"]) == (4, 5)
    assert _redeem(client, busy["member"], reward_id, "mug-2").status_code == 201
    unlimited = client.patch(url, json={"stock_remaining": None}, headers=admin).get_json()
    assert unlimited["stock_total"] is None
    assert _redeem(client, busy["member"], reward_id, "mug-3").status_code == 201
    # Limited again: what was redeemed while unlimited counts as stocked.
    limited = client.patch(url, json={"stock_remaining": 1, "name": "Big mug"}, headers=admin)
    assert limited.get_json() | {"id": None} == limited.get_json() | {
        "id": None,
        "name": "Big mug",
        "stock_remaining": 1,
        "stock_total": 4,
    }
    with app.app_context():
        assert ledger_problems() == []
        # Stock added behind the service's back shows.
        db.session.execute(update(Reward).values(stock_remaining=Reward.stock_remaining + 1))
        db.session.commit()
        assert [p["subject"] for p in _problems("reward_stock")] == [reward_id]


def test_claims_that_disagree_with_the_offer_count_or_cap_are_reported(app, busy):
    with app.app_context():
        offer = db.session.scalar(select(Offer).where(Offer.public_id == busy["offer"]["id"]))
        member = db.session.scalar(select(Member).where(Member.public_id == busy["member"].id))
        for code in ("C1", "C2", "C3"):
            db.session.add(OfferClaim(offer_id=offer.id, member_id=member.id, code=code))
        offer.claimed_count = 3
        db.session.commit()
        [problem] = _problems("offer_claims")
        assert problem["details"] == {"total_cap": 3, "claimed_count": 3, "claims": 4}


def test_a_feature_adds_its_own_rule_to_its_app_only(app, tmp_path, busy):
    def seats():
        yield Problem("seats", "evt_1", {"booked": 11, "capacity": 10})

    register_check(app, "seats", seats)
    with app.app_context():
        report = checks.run_checks()
    assert report.checks[: len(CORE_CHECKS)] == CORE_CHECKS
    assert report.checks[-1] == "seats"
    assert [p.subject for p in report.problems] == ["evt_1"]
    # Another app in the same process has the rules of its own features only: none, the
    # core's five; the games, the core's five and the games'.
    (tmp_path / "bare").mkdir()
    assert _checks_of(make_app("sqlite", tmp_path / "bare", FEATURES=())) == CORE_CHECKS
    (tmp_path / "games").mkdir()
    games = make_app("sqlite", tmp_path / "games", FEATURES=("challenges",))
    assert _checks_of(games) == CORE_CHECKS + GAMES_CHECKS
    with pytest.raises(ValueError, match="core rule"):
        register_check(app, "member_balances", seats)


def test_a_refund_reads_the_purchase_under_its_lock_not_a_stale_copy(app, client, program):
    """The session's copy of the purchase was read before another till refunded it in full."""
    member = signup(client)
    bought = purchase(client, program, member.card_number, "80.00").get_json()
    with app.app_context():
        stale = purchases.get_purchase(bought["id"], None)

        def other_till() -> None:
            with app.app_context():
                purchases.refund(purchases.get_purchase(bought["id"], None), None)
                db.session.commit()

        thread = threading.Thread(target=other_till)
        thread.start()
        thread.join()
        with pytest.raises(ApiError) as refused:
            purchases.refund(stale, None)
        assert refused.value.code == "already_refunded"
        db.session.rollback()
        assert ledger_problems() == []


def test_a_voided_code_keeps_its_unit_of_stock_and_the_ledger_healthy(app, busy):
    from app.rewards.service import void_open_codes

    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.public_id == busy["member"].id))
        assert void_open_codes(member.id) == 1
        db.session.commit()
        reward = db.session.scalar(select(Reward).where(Reward.public_id == busy["reward"]["id"]))
        assert (reward.stock_total, reward.stock_remaining) == (2, 1)
        assert ledger_problems() == []
