"""Erasure: the member's personal data gone from every table, the login dead, the points
forfeited in one entry, the accounts unchanged; idempotent, and finished after a crash."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import outbox
from app.auth.models import AuthSession, User
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.service import integrity_problems, release_due
from app.members.models import Member
from app.models_base import utcnow
from app.outbox import OutboxJob
from app.privacy.erasure import TOPIC, erasure_parts, register_erasure_part
from app.privacy.models import Erasure
from tests.privacy.helpers import columns_holding, program_totals
from tests.support import bearer, purchase, seed_program, signup

PASSWORD = "member-password-1"


def _active_member(client, program, email: str, name: str):
    """A member with history in the core: purchases (one refunded in part, one released), a
    redemption, an offer claim, an adjustment, a mail and a reset request in the outbox."""
    admin = bearer(program.admin_token)
    member = signup(client, email, name=name)
    first = purchase(client, program, member.card_number, "120.00").get_json()
    purchase(client, program, member.card_number, "35.50")
    refund = client.post(
        f"/api/v1/transactions/{first['id']}/refunds",
        json={"amount": "20.00"},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert refund.status_code == 201, refund.get_json()
    client.post(
        f"/api/v1/admin/members/{member.id}/adjustments",
        json={"points": 200, "reason": "Welcome"},
        headers=admin | {"Idempotency-Key": uuid.uuid4().hex},
    )
    reward = client.post(
        "/api/v1/admin/rewards", json={"name": "Coffee", "cost_points": 50}, headers=admin
    ).get_json()
    res = client.post(
        f"/api/v1/rewards/{reward['id']}/redeem",
        headers=member.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert res.status_code == 201, res.get_json()
    now = utcnow()
    offer = client.post(
        "/api/v1/admin/offers",
        json={
            "title": {"en": "Gift"},
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "benefit": "gift_points",
            "points": 10,
        },
        headers=admin,
    ).get_json()
    res = client.post(
        f"/api/v1/offers/{offer['id']}/claim",
        headers=member.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert res.status_code == 201, res.get_json()
    client.post("/api/v1/auth/password-reset", json={"email": email})
    return member


def _snapshot(app, member_id: str) -> dict:
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.public_id == member_id))
        return {
            "totals": program_totals(),
            "available": member.points_available,
            "pending": member.points_pending,
        }


def test_after_erasure_the_member_is_nowhere_and_the_accounts_still_add_up(app, client, program):
    email, name = "zebulon.quaxley@test.example", "Zebulon Quaxley"
    member = _active_member(client, program, email, name)
    with app.app_context():
        # Part of the points released, so that both balances are forfeited.
        release_due(utcnow() + timedelta(days=15))
        purchase(client, program, member.card_number, "10.00")
        assert columns_holding(email) and columns_holding(name)
    before = _snapshot(app, member.id)
    assert before["available"] and before["pending"]

    wrong = client.delete("/api/v1/me", json={"password": "not-it"}, headers=member.headers)
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (403, "current_password_wrong")
    res = client.delete("/api/v1/me", json={"password": PASSWORD}, headers=member.headers)
    assert res.status_code == 202, res.get_json()
    erasure = res.get_json()
    assert erasure["status"] == "completed"
    assert erasure["points_forfeited"] == before["available"] + before["pending"]
    assert erasure["steps_done"][0] == "points" and erasure["steps_done"][-1] == "profile"

    with app.app_context():
        assert columns_holding(email) == []
        assert columns_holding(name) == []
        assert integrity_problems() == []
        after = program_totals()
        row = db.session.scalar(select(Member).where(Member.public_id == member.id))
        assert (row.points_available, row.points_pending, row.timezone) == (0, 0, "UTC")
        assert row.ended_at is not None and row.marketing_consent is False
        user = db.session.get(User, row.user_id)
        assert user.active is False and "@" not in user.email
        assert (
            db.session.scalar(
                select(func.count()).where(
                    AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
                )
            )
            == 0
        )
        placeholder = user.email
    # Purchases, refunds and every ledger kind are as they were; the forfeit entry is new and
    # takes exactly what the member had.
    assert after["purchases"] == before["totals"]["purchases"]
    assert after["refunds"] == before["totals"]["refunds"]
    forfeit = after["ledger"].pop("forfeit")
    assert after["ledger"] == before["totals"]["ledger"]
    assert forfeit == (-before["available"], -before["pending"], 0)

    # The login is dead, under the old address and the placeholder alike; the token too.
    for login in (email, placeholder):
        res = client.post("/api/v1/auth/login", json={"email": login, "password": PASSWORD})
        assert (res.status_code, res.get_json()["error"]["code"]) == (401, "invalid_credentials")
    assert client.get("/api/v1/me", headers=member.headers).status_code == 401
    # The address is free again (a new sign-up is a new member).
    assert signup(client, email).id != member.id
    check = client.get("/api/v1/admin/ledger/check", headers=bearer(program.admin_token))
    assert check.get_json()["healthy"] is True


def test_erasure_is_idempotent_and_audited(app, client, program):
    admin = bearer(program.admin_token)
    member = signup(client, "twice@test.example")
    purchase(client, program, member.card_number, "50.00")
    first = client.post(f"/api/v1/admin/members/{member.id}/erase", headers=admin)
    again = client.post(f"/api/v1/admin/members/{member.id}/erase", headers=admin)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert again.get_json()["status"] == "completed"
    with app.app_context():
        assert db.session.scalar(select(func.count(Erasure.id))) == 1
        assert (
            db.session.scalar(
                select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "forfeit")
            )
            == 1
        )
    events = client.get("/api/v1/admin/audit?action=member.erase", headers=admin).get_json()
    assert [e["target_id"] for e in events["events"]] == [member.id]
    missing = client.post("/api/v1/admin/members/mem_nope/erase", headers=admin)
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "member_not_found")
    assert (
        client.post(f"/api/v1/admin/members/{member.id}/erase", headers=member.headers).status_code
        == 401
    )


def _job(erasure_public_id: str) -> OutboxJob:
    return db.session.scalars(
        select(OutboxJob).where(OutboxJob.topic == TOPIC).order_by(OutboxJob.id.desc())
    ).first()


def test_a_crash_half_way_is_finished_by_the_next_run(app, client, program):
    crashes = {"left": 1}

    def flaky(member, erasure) -> None:
        if crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("the worker's machine went away")

    register_erasure_part(app, "flaky", flaky)
    email = "crash@test.example"
    member = signup(client, email)
    purchase(client, program, member.card_number, "80.00")
    res = client.post(
        f"/api/v1/admin/members/{member.id}/erase", headers=bearer(program.admin_token)
    )
    assert res.get_json()["status"] == "in_progress"
    # Every step before the one that failed is done, and none after it.
    steps = [part.name for part in erasure_parts(app)]
    assert res.get_json()["steps_done"] == steps[: steps.index("flaky")]
    with app.app_context():
        # Access ended at once; the profile is not erased yet; the job waits for its retry.
        row = db.session.scalar(select(Member).where(Member.public_id == member.id))
        assert row.ended_at is not None and row.points_pending == 0
        assert columns_holding(email) == ["users.email"]
        job = _job(res.get_json()["id"])
        assert (job.status, job.attempts) == ("pending", 1)
        db.session.execute(
            update(OutboxJob).where(OutboxJob.id == job.id).values(available_at=utcnow())
        )
        db.session.commit()
        outbox.dispatch()
        erasure = db.session.scalar(select(Erasure))
        assert erasure.completed_at is not None
        assert erasure.steps_done == steps
        assert steps[0] == "points" and steps[-4:] == ["mail", "sessions", "consents", "profile"]
        assert columns_holding(email) == []
        assert integrity_problems() == []
        # Forfeited once, not twice.
        assert (
            db.session.scalar(
                select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "forfeit")
            )
            == 1
        )


def test_a_worker_that_died_mid_step_is_taken_over_after_its_lease(app, client, program):
    stop = {"now": True}

    def dies(member, erasure) -> None:
        if stop["now"]:
            stop["now"] = False
            # As if the process were killed here: the step's transaction never commits and the
            # job stays claimed ("running") until its lease runs out.
            raise SystemExit

    register_erasure_part(app, "dies", dies)
    member = signup(client, "killed@test.example")
    with pytest.raises(SystemExit):
        client.post(f"/api/v1/admin/members/{member.id}/erase", headers=bearer(program.admin_token))
    with app.app_context():
        db.session.rollback()
        erasure = db.session.scalar(select(Erasure))
        assert erasure.completed_at is None and "dies" not in erasure.steps_done
        job = _job(erasure.public_id)
        assert job.status == "running"
        assert outbox.dispatch() == 0  # still leased
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job.id)
            .values(claimed_at=utcnow() - outbox.LEASE - timedelta(seconds=1))
        )
        db.session.commit()
        assert outbox.dispatch() == 1
        erasure = db.session.scalar(select(Erasure).execution_options(populate_existing=True))
        assert erasure.completed_at is not None and "dies" in erasure.steps_done
        assert columns_holding("killed@test.example") == []


@pytest.mark.postgres
def test_racing_erasures_of_one_member_erase_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    member = signup(client, "race@test.example")
    purchase(client, program, member.card_number, "300.00")
    admin = bearer(program.admin_token)

    def erase(i: int) -> int:
        c = pg_app.test_client()
        if i % 2:
            res = c.delete("/api/v1/me", json={"password": PASSWORD}, headers=member.headers)
        else:
            res = c.post(f"/api/v1/admin/members/{member.id}/erase", headers=admin)
        return res.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(erase, range(8)))
    # The admin's always answer; a member's loses its session to the first erasure.
    assert set(codes) <= {202, 401} and codes.count(202) >= 4
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(Erasure.id))) == 1
        forfeits = db.session.scalars(
            select(LedgerEntry.pending_delta).where(LedgerEntry.kind == "forfeit")
        ).all()
        assert forfeits == [-300]
        assert integrity_problems() == []
        assert columns_holding("race@test.example") == []
