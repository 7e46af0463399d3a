"""Ending a membership ends access: sessions, login, till codes, offer claims, the guard."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from app.auth.guards import current_member
from app.auth.models import AuthSession, User
from app.errors import ApiError
from app.extensions import db
from app.ledger.service import release_due
from app.members.models import Member
from app.models_base import utcnow
from app.offers.models import OfferClaim
from app.rewards.models import Redemption, Reward
from app.rewards.service import grant
from tests.support import bearer, purchase, seed_program, signup

PASSWORD = "member-password-1"


def _end(client, program, member) -> None:
    res = client.post(f"/api/v1/admin/members/{member.id}/end", headers=bearer(program.admin_token))
    assert res.status_code == 200, res.get_json()


def _login(client, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _code_for(app, client, program, member) -> str:
    """A redemption code for the member: points made available, a reward redeemed."""
    purchase(client, program, member.card_number, "100.00")
    with app.app_context():
        release_due(utcnow() + timedelta(days=15))
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "Coffee", "cost_points": 10},
        headers=bearer(program.admin_token),
    ).get_json()
    res = client.post(
        f"/api/v1/rewards/{reward['id']}/redeem",
        headers=member.headers | {"Idempotency-Key": f"r-{member.id}"},
    )
    assert res.status_code == 201, res.get_json()
    return res.get_json()["code"]


def test_every_session_ends_with_the_membership(app, client, program):
    member = signup(client, "leaving@test.example")
    second = _login(client, "leaving@test.example").get_json()
    assert client.get("/api/v1/me", headers=member.headers).status_code == 200
    _end(client, program, member)
    for token in (member.access_token, second["access_token"]):
        res = client.get("/api/v1/me", headers=bearer(token))
        assert (res.status_code, res.get_json()["error"]["code"]) == (401, "token_revoked")
    for token in (member.refresh_token, second["refresh_token"]):
        assert client.post("/api/v1/auth/refresh", headers=bearer(token)).status_code == 401
    with app.app_context():
        reasons = db.session.scalars(select(AuthSession.revoked_reason)).all()
    # The admin's and staff's sessions stand; both of the member's ended.
    assert reasons.count("membership_ended") == 2


def test_login_after_the_end_answers_as_a_wrong_password(client, program):
    member = signup(client, "gone@test.example")
    wrong = _login(client, "gone@test.example", "not-the-password")
    _end(client, program, member)
    right = _login(client, "gone@test.example")
    assert right.status_code == wrong.status_code == 401
    assert right.get_json() == wrong.get_json()


def test_open_codes_are_void_and_the_till_refuses_them(app, client, program):
    member = signup(client)
    code = _code_for(app, client, program, member)
    _end(client, program, member)
    res = client.post(f"/api/v1/redemptions/{code}/confirm", headers={"X-API-Key": program.api_key})
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "redemption_void")
    with app.app_context():
        assert db.session.scalar(select(Redemption.status).where(Redemption.code == code)) == (
            "void"
        )


def test_a_code_confirmed_before_the_end_stays_confirmed(app, client, program):
    member = signup(client)
    code = _code_for(app, client, program, member)
    till = {"X-API-Key": program.api_key}
    assert client.post(f"/api/v1/redemptions/{code}/confirm", headers=till).status_code == 200
    _end(client, program, member)
    with app.app_context():
        status = db.session.scalar(select(Redemption.status).where(Redemption.code == code))
    assert status == "confirmed"


def test_a_code_issued_after_the_end_is_refused_at_the_till(app, client, program):
    """A prize granted late (a contest closing after the end) must not be cashed either."""
    member = signup(client)
    _end(client, program, member)
    with app.app_context():
        reward = Reward(name="Mug", cost_points=0, stock_remaining=None)
        db.session.add(reward)
        db.session.flush()
        row = db.session.scalar(select(Member).where(Member.public_id == member.id))
        code = grant(row.id, reward, "late prize").code
        db.session.commit()
    res = client.post(f"/api/v1/redemptions/{code}/confirm", headers={"X-API-Key": program.api_key})
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "redemption_void")


def test_open_offer_claims_are_void(app, client, program):
    member = signup(client)
    now = utcnow()
    offer = client.post(
        "/api/v1/admin/offers",
        json={
            "title": {"en": "Double points"},
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "benefit": "multiplier",
            "multiplier": "2",
        },
        headers=bearer(program.admin_token),
    ).get_json()
    claim = client.post(
        f"/api/v1/offers/{offer['id']}/claim", headers=member.headers | {"Idempotency-Key": "c"}
    )
    assert claim.status_code == 201, claim.get_json()
    _end(client, program, member)
    with app.app_context():
        statuses = db.session.scalars(select(OfferClaim.status)).all()
    assert statuses == ["void"]


def test_current_member_refuses_an_ended_membership(app, client, program):
    """The guard itself, beneath the token check: a caller whose membership ended is refused."""
    member = signup(client)
    with app.app_context():
        row = db.session.scalar(select(Member).where(Member.public_id == member.id))
        row.ended_at = utcnow()
        db.session.commit()
        user = db.session.get(User, row.user_id)
        with app.test_request_context():
            g.user = user
            with pytest.raises(ApiError) as refused:
                current_member()
    assert refused.value.code == "membership_ended"


@pytest.mark.postgres
def test_ending_and_confirming_at_once_never_cashes_after_the_end(pg_app):
    """Twenty members, each ended while the till confirms their code: each code is either
    confirmed (the till was first) or void (the end was first), and the answers agree."""
    program = seed_program(pg_app)
    client = pg_app.test_client()
    members = [signup(client, f"race{i}@test.example") for i in range(20)]
    codes = [_code_for(pg_app, client, program, m) for m in members]

    def end(i: int) -> int:
        return _end_status(pg_app, program, members[i])

    def confirm(i: int) -> int:
        res = pg_app.test_client().post(
            f"/api/v1/redemptions/{codes[i]}/confirm", headers={"X-API-Key": program.api_key}
        )
        return res.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        ends = [pool.submit(end, i) for i in range(20)]
        confirms = [pool.submit(confirm, i) for i in range(20)]
        end_codes = [f.result() for f in ends]
        confirm_codes = [f.result() for f in confirms]
    assert end_codes == [200] * 20
    with pg_app.app_context():
        statuses = {
            code: status
            for code, status in db.session.execute(select(Redemption.code, Redemption.status))
        }
    for code, answered in zip(codes, confirm_codes, strict=True):
        assert answered in (200, 409)
        assert statuses[code] == ("confirmed" if answered == 200 else "void")


def _end_status(app, program, member) -> int:
    res = app.test_client().post(
        f"/api/v1/admin/members/{member.id}/end", headers=bearer(program.admin_token)
    )
    return res.status_code
