"""Referrals' exactly-once rules raced on PostgreSQL: real concurrent requests, each with its
own connection."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.models import LedgerEntry
from referrals.partners.models import Partner
from referrals.referrals.models import Referral
from referrals.referrals.rewarding import award_key
from tests.referrals.helpers import balances, code_of, entries, friend, problems, referral
from tests.support import bearer, purchase, seed_program, signup

pytestmark = pytest.mark.postgres


def _race(n: int, fn) -> list:
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))


def test_a_first_purchase_from_two_tills_at_once_qualifies_and_rewards_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    referrer = signup(client, "sam@test.example")
    buddy = friend(client, code_of(client, referrer), "anna@test.example")

    def till(i: int) -> int:
        return purchase(pg_app.test_client(), program, buddy.card_number, "40.00").status_code

    for _ in range(3):  # a few rounds: the window for a double reward is small
        assert _race(2, till) == [201, 201]
        row = referral(pg_app, buddy.id)
        assert row["status"] == "qualified"
        assert entries(pg_app, award_key(row["public_id"], "friend")) == [(0, 100)]
        assert entries(pg_app, award_key(row["public_id"], "referrer")) == [(0, 200)]
        assert balances(pg_app, referrer.id) == (0, 200)
    with pg_app.app_context():
        # Six purchases booked, one referral's two awards.
        assert (
            db.session.scalar(
                select(func.count(LedgerEntry.id)).where(LedgerEntry.reference_type == "referral")
            )
            == 2
        )
    assert problems(pg_app) == []


def test_twenty_signups_at_a_partner_codes_cap_minus_one_let_exactly_one_in(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    cap = 5
    res = client.post(
        "/api/v1/admin/partners",
        json={"name": "Anna Creates", "code": "ANNA10", "signup_cap": cap, "welcome_points": 25},
        headers=bearer(program.admin_token),
    )
    assert res.status_code == 201
    for i in range(cap - 1):
        friend(client, "ANNA10", f"early{i}@test.example")

    def join(i: int):
        res = pg_app.test_client().post(
            "/api/v1/auth/signup",
            json={
                "email": f"fan{i}@test.example",
                "password": "member-password-1",
                "name": "Fan",
                "language": "tl",
                "referral_code": "anna 10",
            },
        )
        return res.status_code, res.get_json()

    results = _race(20, join)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [422] * 19
    refused = [body for status, body in results if status == 422]
    assert {b["error"]["code"] for b in refused} == {"referral_code_invalid"}
    assert {b["error"]["details"]["reason"] for b in refused} == {"cap_reached"}
    with pg_app.app_context():
        partner = db.session.scalar(select(Partner))
        assert partner.signups == cap
        assert db.session.scalar(select(func.count(Referral.id))) == cap
        # The refused sign-ups created nothing: no member, no welcome.
        from app.members.models import Member

        assert db.session.scalar(select(func.count(Member.id))) == cap
        welcome = db.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.reference_type == "referral")
        )
        assert welcome == cap
    assert problems(pg_app) == []


def test_a_refund_in_the_hold_reverses_both_rewards_once_however_refunds_race(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    referrer = signup(client, "sam@test.example")
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    bought = purchase(client, program, buddy.card_number, "40.00").get_json()
    assert balances(pg_app, referrer.id) == (0, 200)

    def refund(i: int) -> int:
        return (
            pg_app.test_client()
            .post(
                f"/api/v1/transactions/{bought['id']}/refunds",
                json={"amount": "10.00"},
                headers={"X-API-Key": program.api_key, "Idempotency-Key": f"r{i}"},
            )
            .status_code
        )

    # Four partial refunds at once: 40 -> 0; the one that takes it below 20 reverses.
    assert _race(4, refund) == [201] * 4
    row = referral(pg_app, buddy.id)
    assert (row["status"], row["reason"]) == ("rejected", "purchase_refunded")
    assert balances(pg_app, referrer.id) == (0, 0)
    assert balances(pg_app, buddy.id) == (0, 0)
    for side, points in (("friend", 100), ("referrer", 200)):
        assert entries(pg_app, award_key(row["public_id"], side) + ":reversal") == [(0, -points)]
    assert problems(pg_app) == []


def test_ten_approvals_of_one_flagged_referral_grant_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    referrer = signup(client, "sam@test.example")
    device = {"fid": "sams-phone", "platform": "android"}
    client.post("/api/v1/me/devices", json=device, headers=referrer.headers)
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    client.post("/api/v1/me/devices", json=device, headers=buddy.headers)
    purchase(client, program, buddy.card_number, "40.00")
    row = referral(pg_app, buddy.id)
    assert row["status"] == "flagged"

    def approve(i: int) -> int:
        return (
            pg_app.test_client()
            .post(
                f"/api/v1/admin/referrals/{row['public_id']}/approve",
                json={},
                headers=bearer(program.admin_token) | {"Idempotency-Key": f"a{i}"},
            )
            .status_code
        )

    assert sorted(_race(10, approve)) == [200] + [409] * 9
    assert entries(pg_app, award_key(row["public_id"], "referrer")) == [(0, 200)]
    assert balances(pg_app, referrer.id) == (0, 200)
    assert problems(pg_app) == []


def test_a_referrers_friends_qualifying_at_once_stay_within_the_cap(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    res = client.patch(
        "/api/v1/admin/referral-settings",
        json={"referrer_cap": 2},
        headers=bearer(program.admin_token),
    )
    assert res.status_code == 200
    referrer = signup(client, "sam@test.example")
    code = code_of(client, referrer)
    friends = [friend(client, code, f"f{i}@test.example") for i in range(6)]

    def buy(i: int) -> int:
        return purchase(pg_app.test_client(), program, friends[i].card_number, "40.00").status_code

    assert _race(6, buy) == [201] * 6
    with pg_app.app_context():
        statuses = sorted(db.session.scalars(select(Referral.status)))
    assert statuses == ["qualified"] * 2 + ["rejected"] * 4
    assert balances(pg_app, referrer.id) == (0, 400)
    assert problems(pg_app) == []
