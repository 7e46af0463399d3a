"""Referrals in the ledger check, the members' data (export, erasure) and the demo."""

from __future__ import annotations

from sqlalchemy import select, update

from app.extensions import db
from app.ledger.checks import run_checks
from app.ledger.models import LedgerEntry
from referrals.codes.models import EmailKey, ReferralCode
from referrals.partners.models import Partner
from referrals.referrals.models import Referral
from referrals.referrals.rewarding import award_key
from tests.referrals.helpers import code_of, friend, problems, referral
from tests.support import bearer, purchase, signup


def _qualified(app, client, program):
    referrer = signup(client, "sam@test.example")
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    purchase(client, program, buddy.card_number, "40.00")
    row = referral(app, buddy.id)
    assert row["status"] == "qualified" and problems(app) == []
    return referrer, buddy, row["public_id"]


def test_the_ledger_check_runs_the_referral_rules(app):
    with app.app_context():
        names = run_checks().checks
    assert names[-2:] == ["referral_rewards", "partner_signups"]


def test_a_missing_award_is_reported(app, client, program):
    _, _, referral_id = _qualified(app, client, program)
    with app.app_context():
        # The award's entry no longer under its key: as if it had never been written.
        db.session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.idempotency_key == award_key(referral_id, "referrer"))
            .values(idempotency_key="lost")
        )
        db.session.commit()
    found = [p for p in problems(app) if p["check"] == "referral_rewards"]
    assert [p["subject"] for p in found] == [f"{referral_id}:referrer"]


def test_an_award_for_a_referral_that_gave_nothing_is_reported(app, client, program):
    _, _buddy, referral_id = _qualified(app, client, program)
    with app.app_context():
        db.session.execute(
            update(Referral).where(Referral.public_id == referral_id).values(status="flagged")
        )
        db.session.commit()
    found = [p for p in problems(app) if p["check"] == "referral_rewards"]
    assert {p["subject"] for p in found} == {f"{referral_id}:friend", f"{referral_id}:referrer"}


def test_a_reversal_the_referral_does_not_know_is_reported(app, client, program):
    _, _, referral_id = _qualified(app, client, program)
    with app.app_context():
        bought = db.session.scalar(
            select(Referral.purchase_public_id).where(Referral.public_id == referral_id)
        )
    res = client.post(
        f"/api/v1/transactions/{bought}/refunds",
        json={},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": "r"},
    )
    assert res.status_code == 201
    assert problems(app) == []
    with app.app_context():
        db.session.execute(
            update(Referral).where(Referral.public_id == referral_id).values(reversed_at=None)
        )
        db.session.commit()
    found = [p for p in problems(app) if p["check"] == "referral_rewards"]
    assert {p["subject"] for p in found} == {f"{referral_id}:friend", f"{referral_id}:referrer"}
    assert {p["details"]["reversal_entry"] for p in found} == {True}


def test_a_partners_count_that_disagrees_is_reported(app, client, program):
    res = client.post(
        "/api/v1/admin/partners",
        json={"name": "Anna", "code": "ANNA10"},
        headers=bearer(program.admin_token),
    )
    friend(client, "ANNA10", "fan@test.example")
    assert problems(app) == []
    with app.app_context():
        db.session.execute(update(Partner).values(signups=0))
        db.session.commit()
    found = [p for p in problems(app) if p["check"] == "partner_signups"]
    assert found == [
        {
            "check": "partner_signups",
            "subject": res.get_json()["id"],
            "details": {"signups": 0, "referrals": 1, "signup_cap": None},
        }
    ]


def test_the_export_has_the_members_code_and_referrals(app, client, program):
    referrer, buddy, referral_id = _qualified(app, client, program)
    mine = client.get("/api/v1/me/export", headers=referrer.headers).get_json()
    assert [c["code"] for c in mine["referral_codes"]] == [code_of(client, referrer)]
    assert [(r["id"], r["role"], r["points"]) for r in mine["referrals"]] == [
        (referral_id, "referrer", 200)
    ]
    theirs = client.get("/api/v1/me/export", headers=buddy.headers).get_json()
    assert theirs["referral_codes"] == []
    assert [(r["role"], r["status"], r["points"]) for r in theirs["referrals"]] == [
        ("friend", "qualified", 100)
    ]
    # No other member's name in it.
    assert "Anna" not in str(mine["referrals"])


def _erase(client, program, member_id: str) -> None:
    res = client.post(
        f"/api/v1/admin/members/{member_id}/erase", headers=bearer(program.admin_token)
    )
    assert res.status_code == 202, res.get_json()


def test_erasing_a_referrer_disables_the_code_and_keeps_the_accounts(app, client, program):
    referrer, _buddy, referral_id = _qualified(app, client, program)
    code = code_of(client, referrer)
    _erase(client, program, referrer.id)
    with app.app_context():
        row = db.session.scalar(select(ReferralCode).where(ReferralCode.code == code))
        assert row.disabled_at is not None
        kept = db.session.scalar(select(Referral).where(Referral.public_id == referral_id))
        assert (kept.status, kept.referrer_signals) == ("qualified", None)
        assert (
            db.session.scalar(select(EmailKey).where(EmailKey.member_id == row.member_id)) is None
        )
    res = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "late@test.example",
            "password": "member-password-1",
            "name": "Late",
            "language": "en",
            "referral_code": code,
        },
    )
    assert res.get_json()["error"]["code"] == "referral_code_invalid"
    assert problems(app) == []


def test_erasing_a_friend_closes_an_open_referral(app, client, program):
    referrer = signup(client, "sam@test.example")
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    _erase(client, program, buddy.id)
    row = referral(app, buddy.id)
    assert (row["status"], row["reason"]) == ("rejected", "member_erased")
    assert problems(app) == []


def test_the_demo_has_a_partner_code_and_a_member_with_two_friends(app):
    from app.members.models import Member
    from app.seed import seed

    with app.app_context():
        assert seed() is not None
        partner = db.session.scalar(select(Partner))
        code = db.session.scalar(
            select(ReferralCode.code).where(ReferralCode.partner_id == partner.id)
        )
        assert code == "ANNA10"
        maria = db.session.scalar(select(Member).where(Member.name == "Maria Santos"))
        friends = db.session.execute(
            select(Member.name, Referral.status)
            .join(Member, Member.id == Referral.friend_member_id)
            .where(Referral.referrer_member_id == maria.id)
            .order_by(Member.name)
        ).all()
        assert [tuple(f) for f in friends] == [
            ("Emma Smith", "joined"),
            ("Jan Kowalski", "qualified"),
        ]
        fans = db.session.scalars(
            select(Referral.status).where(Referral.partner_id == partner.id)
        ).all()
        assert fans == ["qualified"]
    assert problems(app) == []


def test_an_app_without_the_package_runs_none_of_it(app, tmp_path):
    """Its subscribers and demo part are process-wide; an app in the same process that did not
    load the package (here: beside `app`, which did) must not run them."""
    from app.members.models import Member
    from app.seed import seed
    from tests.conftest import make_app

    (tmp_path / "bare").mkdir()
    bare = make_app("sqlite", tmp_path / "bare", FEATURES=())
    with bare.app_context():
        assert seed() is not None
        assert db.session.scalar(select(Partner)) is None
        assert db.session.scalar(select(Referral)) is None
        assert db.session.scalar(select(EmailKey)) is None
        assert db.session.scalar(select(Member)) is not None
    res = bare.test_client().post(
        "/api/v1/auth/signup",
        json={
            "email": "anna@test.example",
            "password": "member-password-1",
            "name": "Anna",
            "language": "en",
            "referral_code": "ANNA10",
        },
    )
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == "referral_code_invalid"
