"""Races on PostgreSQL: real concurrent requests, each with its own connection."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.service import integrity_problems, release_due
from app.members.models import Member
from app.models_base import utcnow
from app.purchases.models import Purchase
from app.rewards.models import Redemption
from tests.support import bearer, purchase, seed_program, signup

pytestmark = pytest.mark.postgres


def _race(n: int, fn) -> list:
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))


def _reward(client, program, **fields) -> str:
    res = client.post("/api/v1/admin/rewards", json=fields, headers=bearer(program.admin_token))
    assert res.status_code == 201
    return res.get_json()["id"]


def test_fifty_redemptions_against_a_balance_for_ten(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    member = signup(client)
    purchase(client, program, member.card_number, "1000.00")
    with pg_app.app_context():
        release_due(utcnow() + timedelta(days=15))
    reward_id = _reward(client, program, name="Coffee", cost_points=100)

    def redeem(i: int) -> int:
        res = pg_app.test_client().post(
            f"/api/v1/rewards/{reward_id}/redeem",
            headers=member.headers | {"Idempotency-Key": f"redeem-{i}"},
        )
        return res.status_code

    codes = _race(50, redeem)
    assert codes.count(201) == 10
    assert codes.count(409) == 40
    with pg_app.app_context():
        row = db.session.scalar(select(Member).where(Member.public_id == member.id))
        assert row.points_available == 0
        total = db.session.scalar(
            select(func.sum(LedgerEntry.available_delta)).where(LedgerEntry.member_id == row.id)
        )
        assert total == 0
        assert db.session.scalar(select(func.count(Redemption.id))) == 10
        assert integrity_problems() == []


def test_twenty_purchases_with_one_idempotency_key(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    member = signup(client)

    def buy(_: int):
        res = purchase(
            pg_app.test_client(),
            program,
            member.card_number,
            "42.00",
            key="one-key",
            receipt_id="R1",
        )
        return res.status_code, res.get_json()

    results = _race(20, buy)
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(Purchase.id))) == 1
        earns = db.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "earn")
        )
        assert earns == 1
        row = db.session.scalar(select(Member).where(Member.public_id == member.id))
        assert row.points_pending == 42
        assert integrity_problems() == []


def test_stock_of_five_and_thirty_redeemers(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    reward_id = _reward(client, program, name="Signed poster", cost_points=10, stock_remaining=5)
    members = [signup(client, f"m{i}@test.example") for i in range(30)]
    for m in members:
        purchase(client, program, m.card_number, "20.00")
    with pg_app.app_context():
        release_due(utcnow() + timedelta(days=15))

    def redeem(i: int):
        res = pg_app.test_client().post(
            f"/api/v1/rewards/{reward_id}/redeem",
            headers=members[i].headers | {"Idempotency-Key": "poster"},
        )
        return res.status_code, res.get_json()

    results = _race(30, redeem)
    winners = [body for status, body in results if status == 201]
    assert len(winners) == 5
    assert len({w["code"] for w in winners}) == 5
    losers = [body["error"]["code"] for status, body in results if status != 201]
    assert losers == ["out_of_stock"] * 25
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(Redemption.id))) == 5
        spent = db.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "redeem")
        )
        assert spent == 5
        assert integrity_problems() == []


def test_a_code_confirmed_twice_at_once_is_used_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    member = signup(client)
    purchase(client, program, member.card_number, "50.00")
    with pg_app.app_context():
        release_due(utcnow() + timedelta(days=15))
    reward_id = _reward(client, program, name="Cake", cost_points=10)
    code = client.post(
        f"/api/v1/rewards/{reward_id}/redeem", headers=member.headers | {"Idempotency-Key": "c"}
    ).get_json()["code"]

    def confirm(_: int) -> int:
        return (
            pg_app.test_client()
            .post(f"/api/v1/redemptions/{code}/confirm", headers={"X-API-Key": program.api_key})
            .status_code
        )

    codes = _race(10, confirm)
    assert sorted(codes) == [200] + [409] * 9
