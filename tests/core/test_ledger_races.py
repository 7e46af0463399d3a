"""Races on the ledger's exactly-once rules (PostgreSQL): refunds, redemptions, tier moves."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.checks import ledger_problems
from app.ledger.models import PointLot
from app.ledger.service import release_due
from app.members.models import Member
from app.models_base import utcnow
from app.purchases.models import Purchase, Refund
from app.tiers.service import all_tiers, tier_for_points
from tests.support import bearer, purchase, seed_program, signup

pytestmark = pytest.mark.postgres


def _race(n: int, fn) -> list:
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))


def _refund(app, program, purchase_id: str, body: dict):
    res = app.test_client().post(
        f"/api/v1/transactions/{purchase_id}/refunds",
        json=body,
        headers={"X-API-Key": program.api_key, "Idempotency-Key": uuid.uuid4().hex},
    )
    return res.status_code, res.get_json()


def _member_row(public_id: str) -> Member:
    return db.session.scalar(select(Member).where(Member.public_id == public_id))


def _purchase_row(public_id: str) -> Purchase:
    return db.session.scalar(select(Purchase).where(Purchase.public_id == public_id))


def test_eight_full_refunds_at_once_refund_the_purchase_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    member = signup(client)
    refunded = purchase(client, program, member.card_number, "343.44").get_json()
    other = purchase(client, program, member.card_number, "500.00").get_json()
    with pg_app.app_context():
        # Available points: a refund that ran twice would take them from the other purchase.
        release_due(utcnow() + timedelta(days=15))

    results = _race(8, lambda _: _refund(pg_app, program, refunded["id"], {}))

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 7, results
    assert {b["error"]["code"] for s, b in results if s == 409} == {"already_refunded"}
    with pg_app.app_context():
        row = _purchase_row(refunded["id"])
        assert row.refunded_minor == row.amount_minor == 34344
        assert row.points_reversed == row.points_earned == 343
        refunds = db.session.scalars(select(Refund).where(Refund.purchase_id == row.id)).all()
        assert sum(r.amount_minor for r in refunds) == 34344
        assert sum(r.points_reversed + r.points_uncollected for r in refunds) == 343
        # The other purchase's points are untouched.
        other_row = _purchase_row(other["id"])
        lots = db.session.scalars(select(PointLot).where(PointLot.purchase_id == other_row.id))
        assert sum(lot.remaining for lot in lots) == 500
        assert _member_row(member.id).points_available == 500
        assert ledger_problems() == []


def test_partial_refunds_at_once_never_exceed_the_amount(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    member = signup(client)
    bought = purchase(client, program, member.card_number, "100.00").get_json()
    kept = purchase(client, program, member.card_number, "70.00").get_json()

    results = _race(8, lambda _: _refund(pg_app, program, bought["id"], {"amount": "30.00"}))

    assert sorted(status for status, _ in results) == [201] * 3 + [422] * 5, results
    refused = [b["error"] for s, b in results if s == 422]
    assert {e["code"] for e in refused} == {"refund_exceeds_purchase"}
    assert {e["details"]["refundable_minor"] for e in refused} == {1000}
    assert sum(b["points_reversed"] for s, b in results if s == 201) == 90
    with pg_app.app_context():
        row = _purchase_row(bought["id"])
        assert (row.refunded_minor, row.points_reversed) == (9000, 90)
        assert _member_row(member.id).points_pending == 10 + 70
        assert _purchase_row(kept["id"]).points_reversed == 0
        assert ledger_problems() == []


def test_refunds_and_redemptions_at_once_never_take_the_balance_below_zero(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    member = signup(client)
    bought = [purchase(client, program, member.card_number, "100.00").get_json() for _ in range(4)]
    with pg_app.app_context():
        release_due(utcnow() + timedelta(days=15))
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "Tote bag", "cost_points": 60, "stock_remaining": 3},
        headers=bearer(program.admin_token),
    ).get_json()

    def act(i: int):
        if i % 2 == 0:
            return _refund(pg_app, program, bought[i // 2]["id"], {})
        res = pg_app.test_client().post(
            f"/api/v1/rewards/{reward['id']}/redeem",
            headers=member.headers | {"Idempotency-Key": f"bag-{i}"},
        )
        return res.status_code, res.get_json()

    results = _race(8, act)

    assert all(status in (201, 409) for status, _ in results), results
    refunds = [b for i, (s, b) in enumerate(results) if i % 2 == 0]
    assert all("id" in b for b in refunds), refunds
    redeemed = [b for i, (s, b) in enumerate(results) if i % 2 == 1 and s == 201]
    with pg_app.app_context():
        row = _member_row(member.id)
        spent = 60 * len(redeemed)
        collected = sum(b["points_reversed"] for b in refunds)
        uncollected = sum(b["points_uncollected"] for b in refunds)
        assert collected + uncollected == 400
        assert row.points_available == 400 - spent - collected >= 0
        assert row.points_pending == 0
        assert ledger_problems() == []


def test_purchases_at_once_across_tier_thresholds_all_succeed(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    member = signup(client)
    rounds = 6

    def buy(_: int) -> list[int]:
        thread_client = pg_app.test_client()
        return [
            purchase(thread_client, program, member.card_number, "130.00").status_code
            for _ in range(rounds)
        ]

    results = _race(8, buy)

    assert [status for codes in results for status in codes] == [201] * 8 * rounds
    with pg_app.app_context():
        row = _member_row(member.id)
        # The purchases take turns on the member's lock, so each earns by the tier the one
        # before it left: 130 points at silver, x1.25 from 1000 (gold), x1.5 from 5000.
        tiers = all_tiers()
        expected = 0
        for _ in range(8 * rounds):
            tier = tier_for_points(expected, tiers)
            expected += int(130 * tier.multiplier)
        assert row.points_pending == expected
        assert row.tier.code == "platinum"
        count = db.session.scalar(select(func.count(Purchase.id)))
        assert count == 8 * rounds
        assert ledger_problems() == []
