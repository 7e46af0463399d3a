"""Partners (creators), the operators' review queue and the program's settings, over HTTP."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.models_base import utcnow
from referrals.referrals.models import Commission
from tests.referrals.helpers import (
    balances,
    code_of,
    friend,
    problems,
    referral,
    settings,
    settle,
)
from tests.support import bearer, purchase, signup


def _admin(program) -> dict:
    return bearer(program.admin_token)


def _partner(client, program, **fields) -> dict:
    body = {"name": "Anna Creates", "code": "ANNA10", "welcome_points": 50} | fields
    res = client.post("/api/v1/admin/partners", json=body, headers=_admin(program))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def _signup(client, email: str, code: str):
    return client.post(
        "/api/v1/auth/signup",
        json={
            "email": email,
            "password": "member-password-1",
            "name": "Fan",
            "language": "pl",
            "referral_code": code,
        },
    )


def _audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# -- partners ------------------------------------------------------------------------------


def test_a_partner_is_created_listed_changed_and_read(app, client, program):
    now = utcnow()
    made = _partner(
        client,
        program,
        code=" anna 10 ",
        starts_at=(now - timedelta(days=1)).isoformat(),
        ends_at=(now + timedelta(days=30)).isoformat(),
        signup_cap=100,
        commission_kind="money",
        commission_amount="2.50",
    )
    assert made["code"] == "ANNA10"
    assert (made["signups"], made["signup_cap"], made["commission_amount"]) == (0, 100, "2.50")
    listed = client.get("/api/v1/admin/partners", headers=_admin(program)).get_json()
    assert [p["id"] for p in listed] == [made["id"]]
    res = client.patch(
        f"/api/v1/admin/partners/{made['id']}",
        json={"welcome_points": 75, "active": False},
        headers=_admin(program),
    )
    assert res.status_code == 200
    assert (res.get_json()["welcome_points"], res.get_json()["active"]) == (75, False)
    got = client.get(f"/api/v1/admin/partners/{made['id']}", headers=_admin(program))
    assert got.get_json() == res.get_json()
    assert [e.target_id for e in _audit(app, "partner.create")] == [made["id"]]
    update = _audit(app, "partner.update")[0]
    assert (update.before["welcome_points"], update.after["welcome_points"]) == (50, 75)
    # The code cannot be changed once shared.
    res = client.patch(
        f"/api/v1/admin/partners/{made['id']}", json={"code": "X1X1"}, headers=_admin(program)
    )
    assert res.status_code == 422


def test_partner_input_is_checked(app, client, program):
    _partner(client, program)
    member = signup(client)
    cases = [
        ({"code": "anna-10"}, 409, "partner_code_taken"),
        ({"code": code_of(client, member).lower()}, 409, "partner_code_taken"),
        ({"code": "A!"}, 422, "validation_error"),
        ({"code": "NEW1", "welcome_points": 5, "welcome_reward_id": "rew_nope"}, 422, None),
        ({"code": "NEW2", "commission_kind": "points"}, 422, "validation_error"),
        (
            {
                "code": "NEW3",
                "starts_at": utcnow().isoformat(),
                "ends_at": (utcnow() - timedelta(days=1)).isoformat(),
            },
            422,
            "validation_error",
        ),
    ]
    for fields, status, code in cases:
        body = {"name": "X"} | fields
        res = client.post("/api/v1/admin/partners", json=body, headers=_admin(program))
        assert res.status_code == status, (fields, res.get_json())
        if code:
            assert res.get_json()["error"]["code"] == code
    assert client.get("/api/v1/admin/partners/prt_nope", headers=_admin(program)).status_code == 404
    assert client.get("/api/v1/admin/partners", headers=member.headers).status_code == 403


def test_joining_with_a_partner_code_gives_the_welcome_and_counts(app, client, program):
    partner = _partner(
        client, program, signup_cap=5, commission_kind="points", commission_points=30
    )
    fan = friend(client, "anna10", "fan@test.example")
    assert balances(app, fan.id) == (50, 0)  # at once
    row = referral(app, fan.id)
    assert (row["status"], row["welcome_points"]) == ("joined", 50)
    got = client.get(f"/api/v1/admin/partners/{partner['id']}", headers=_admin(program))
    assert got.get_json()["signups"] == 1
    purchase(client, program, fan.card_number, "40.00")
    assert referral(app, fan.id)["status"] == "qualified"
    with app.app_context():
        commission = db.session.scalar(select(Commission))
        assert (commission.kind, commission.points, commission.voided_at) == ("points", 30, None)
    assert problems(app) == []


def test_a_partner_code_outside_its_window_or_at_its_cap_is_refused(app, client, program):
    now = utcnow()
    _partner(client, program, code="LATER1", starts_at=(now + timedelta(days=1)).isoformat())
    _partner(client, program, code="OVER1", ends_at=(now - timedelta(seconds=1)).isoformat())
    _partner(client, program, code="OFF1", active=False)
    full = _partner(client, program, code="FULL1", signup_cap=1)
    assert _signup(client, "a@test.example", "FULL1").status_code == 201
    for code, reason in (
        ("LATER1", "not_started"),
        ("OVER1", "expired"),
        ("OFF1", "expired"),
        ("FULL1", "cap_reached"),
    ):
        res = _signup(client, f"{code}@test.example", code)
        assert res.status_code == 422, code
        assert res.get_json()["error"] == {
            "code": "referral_code_invalid",
            "message": res.get_json()["error"]["message"],
            "details": {"reason": reason},
        }
    got = client.get(f"/api/v1/admin/partners/{full['id']}", headers=_admin(program)).get_json()
    assert got["signups"] == 1
    # Lowering the cap below the sign-ups made is refused.
    res = client.patch(
        f"/api/v1/admin/partners/{full['id']}", json={"signup_cap": 1}, headers=_admin(program)
    )
    assert res.status_code == 200
    assert problems(app) == []


def test_the_partner_report_in_json_and_csv(app, client, program):
    partner = _partner(client, program, commission_kind="money", commission_amount="2.00")
    first = friend(client, "ANNA10", "fan1@test.example")
    friend(client, "ANNA10", "fan2@test.example")
    purchase(client, program, first.card_number, "40.00")
    url = f"/api/v1/admin/partners/{partner['id']}/report"
    body = client.get(url, headers=_admin(program)).get_json()
    assert body == {
        "partner_id": partner["id"],
        "code": "ANNA10",
        "signups": 2,
        "first_purchases": 1,
        "qualified": 1,
        "retention": [
            {"days": 30, "eligible": 0, "active": 0},
            {"days": 90, "eligible": 0, "active": 0},
        ],
        "spend": "40.00",
        "points_cost": 100,
        "rewards_granted": 0,
        "commissions": 1,
        "commission_points": 0,
        "commission_amount": "2.00",
        "currency": "EUR",
    }
    res = client.get(url + "?format=csv", headers=_admin(program))
    assert res.status_code == 200
    assert res.content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    assert len(rows) == 1
    assert (rows[0]["code"], rows[0]["signups"], rows[0]["spend"]) == ("ANNA10", "2", "40.00")
    assert rows[0]["active_after_90_days"] == "0"
    assert client.get(url + "?format=xml", headers=_admin(program)).status_code == 422


def test_the_report_counts_members_still_active_after_30_days(app, client, program):
    from app.members.models import Member

    partner = _partner(client, program)
    fan = friend(client, "ANNA10", "fan@test.example")
    quiet = friend(client, "ANNA10", "quiet@test.example")
    with app.app_context():
        # Both joined 40 days ago; the fan bought today.
        for public_id in (fan.id, quiet.id):
            row = db.session.scalar(select(Member).where(Member.public_id == public_id))
            row.joined_at = utcnow() - timedelta(days=40)
        db.session.commit()
    purchase(client, program, fan.card_number, "10.00")
    body = client.get(
        f"/api/v1/admin/partners/{partner['id']}/report", headers=_admin(program)
    ).get_json()
    assert body["retention"][0] == {"days": 30, "eligible": 2, "active": 1}
    assert body["retention"][1] == {"days": 90, "eligible": 0, "active": 0}


def test_a_refund_in_the_hold_voids_the_commission(app, client, program):
    _partner(client, program, commission_kind="money", commission_amount="2.00")
    fan = friend(client, "ANNA10", "fan@test.example")
    bought = purchase(client, program, fan.card_number, "40.00").get_json()
    res = client.post(
        f"/api/v1/transactions/{bought['id']}/refunds",
        json={},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": "r"},
    )
    assert res.status_code == 201
    assert referral(app, fan.id)["status"] == "rejected"
    with app.app_context():
        assert db.session.scalar(select(Commission)).voided_at is not None
    # The welcome stays: it was for joining.
    assert balances(app, fan.id)[0] == 50
    assert problems(app) == []


def test_a_segment_of_a_partners_audience(app, client, program):
    _partner(client, program)
    friend(client, "ANNA10", "fan@test.example")
    signup(client, "other@test.example")
    res = client.post(
        "/api/v1/admin/segments",
        json={"name": "Anna's fans", "rules": {"partner_codes": ["anna 10"]}},
        headers=_admin(program),
    )
    assert res.status_code == 201, res.get_json()
    preview = client.get(
        f"/api/v1/admin/segments/{res.get_json()['id']}/preview", headers=_admin(program)
    ).get_json()
    assert preview["count"] == 1


# -- the review queue ----------------------------------------------------------------------


def _flagged(app, client, program):
    """A referral flagged because the friend signed up on the referrer's phone."""
    referrer = signup(client, "sam@test.example")
    client.post(
        "/api/v1/me/devices",
        json={"fid": "sams-phone", "platform": "ios"},
        headers=referrer.headers,
    )
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    client.post(
        "/api/v1/me/devices", json={"fid": "sams-phone", "platform": "ios"}, headers=buddy.headers
    )
    purchase(client, program, buddy.card_number, "40.00")
    row = referral(app, buddy.id)
    assert row["status"] == "flagged"
    return referrer, buddy, row["public_id"]


def _review(client, program, referral_id: str, action: str, body: dict, key: str):
    return client.post(
        f"/api/v1/admin/referrals/{referral_id}/{action}",
        json=body,
        headers=_admin(program) | {"Idempotency-Key": key},
    )


def test_the_queue_and_approving_a_flagged_referral_grants_once(app, client, program):
    referrer, buddy, referral_id = _flagged(app, client, program)
    signup(client, "other@test.example")
    page = client.get("/api/v1/admin/referrals?status=flagged", headers=_admin(program)).get_json()
    assert [r["id"] for r in page["referrals"]] == [referral_id]
    assert page["referrals"][0]["reason"] == "shared_device"
    assert page["referrals"][0]["purchase_amount"] == "40.00"
    assert page["next_cursor"] is None
    res = _review(client, program, referral_id, "approve", {"note": "Family phone"}, "k1")
    assert res.status_code == 200, res.get_json()
    assert (res.get_json()["status"], res.get_json()["review_note"]) == (
        "qualified",
        "Family phone",
    )
    assert balances(app, referrer.id) == (0, 200)
    # A replay answers the same; another approval is refused; the points came once.
    again = _review(client, program, referral_id, "approve", {"note": "Family phone"}, "k1")
    assert again.get_json() == res.get_json()
    other = _review(client, program, referral_id, "approve", {}, "k2")
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "referral_not_flagged"
    assert balances(app, referrer.id) == (0, 200)
    event = _audit(app, "referral.approve")[0]
    assert (event.before["status"], event.after["status"]) == ("flagged", "qualified")
    assert problems(app) == []
    settle(app)
    assert referral(app, buddy.id)["status"] == "rewarded"


def test_rejecting_a_flagged_referral(app, client, program):
    referrer, _buddy, referral_id = _flagged(app, client, program)
    res = _review(client, program, referral_id, "reject", {}, "k0")
    assert res.status_code == 422
    res = _review(client, program, referral_id, "reject", {"reason": "Same person"}, "k1")
    assert res.status_code == 200
    body = res.get_json()
    assert (body["status"], body["reason"], body["review_note"]) == (
        "rejected",
        "operator",
        "Same person",
    )
    assert _review(client, program, referral_id, "approve", {}, "k2").status_code == 409
    again = _review(client, program, referral_id, "reject", {"reason": "x"}, "k3")
    assert again.get_json()["error"]["code"] == "referral_not_open"
    assert balances(app, referrer.id) == (0, 0)
    assert len(_audit(app, "referral.reject")) == 1
    assert problems(app) == []


def test_review_input(app, client, program):
    res = _review(client, program, "rfl_nope", "approve", {}, "k")
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "referral_not_found")
    res = client.post("/api/v1/admin/referrals/rfl_nope/approve", json={}, headers=_admin(program))
    assert res.get_json()["error"]["code"] == "idempotency_key_required"
    res = client.get("/api/v1/admin/referrals?status=nope", headers=_admin(program))
    assert res.status_code == 422
    res = client.get("/api/v1/admin/referrals?cursor=nope", headers=_admin(program))
    assert res.status_code == 400


def test_the_queue_pages(app, client, program):
    referrer = signup(client, "sam@test.example")
    code = code_of(client, referrer)
    for i in range(3):
        friend(client, code, f"f{i}@test.example")
    page = client.get("/api/v1/admin/referrals?limit=2", headers=_admin(program)).get_json()
    assert len(page["referrals"]) == 2
    rest = client.get(
        f"/api/v1/admin/referrals?limit=2&cursor={page['next_cursor']}", headers=_admin(program)
    ).get_json()
    assert len(rest["referrals"]) == 1 and rest["next_cursor"] is None
    one = client.get(
        f"/api/v1/admin/referrals/{rest['referrals'][0]['id']}", headers=_admin(program)
    )
    assert one.get_json() == rest["referrals"][0]


def test_approving_past_the_cap_is_refused(app, client, program):
    referrer, buddy, referral_id = _flagged(app, client, program)
    settings(client, program, referrer_cap=1)
    other = friend(client, code_of(client, referrer), "ben@test.example", name="Ben")
    purchase(client, program, other.card_number, "40.00")
    assert referral(app, other.id)["status"] == "qualified"
    res = _review(client, program, referral_id, "approve", {}, "k")
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "referrer_cap_reached"
    assert referral(app, buddy.id)["status"] == "flagged"


# -- settings ------------------------------------------------------------------------------


def test_settings_are_read_changed_and_audited(app, client, program):
    got = client.get("/api/v1/admin/referral-settings", headers=_admin(program)).get_json()
    assert (got["friend_points"], got["referrer_points"], got["min_purchase"]) == (
        100,
        200,
        "20.00",
    )
    assert (got["referrer_cap"], got["cap_period_days"], got["hold_days"]) == (10, 365, None)
    changed = settings(client, program, min_purchase="50.00", hold_days=0, referrer_cap=None)
    assert (changed["min_purchase"], changed["hold_days"], changed["referrer_cap"]) == (
        "50.00",
        0,
        None,
    )
    event = _audit(app, "referral.settings")[0]
    assert (event.before["min_purchase"], event.after["min_purchase"]) == ("20.00", "50.00")
    # With no hold, a qualifying purchase rewards at once.
    referrer = signup(client, "sam@test.example")
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    purchase(client, program, buddy.card_number, "49.99")
    assert referral(app, buddy.id)["status"] == "joined"
    purchase(client, program, buddy.card_number, "50.00")
    assert referral(app, buddy.id)["status"] == "rewarded"
    assert balances(app, referrer.id) == (200, 0)
    assert problems(app) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"friend_reward_id": "rew_nope"},
        {"friend_points": -1},
        {"min_purchase": "-1.00"},
        {"cap_period_days": 0},
        {"unknown": 1},
    ],
)
def test_bad_settings_are_a_422(app, client, program, changes):
    res = client.patch("/api/v1/admin/referral-settings", json=changes, headers=_admin(program))
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == "validation_error"


def test_points_and_a_reward_on_one_side_is_a_422(app, client, program):
    reward = client.post(
        "/api/v1/admin/rewards", json={"name": "Mug", "cost_points": 10}, headers=_admin(program)
    ).get_json()
    res = client.patch(
        "/api/v1/admin/referral-settings",
        json={"friend_reward_id": reward["id"]},
        headers=_admin(program),
    )
    assert res.status_code == 422
    assert "friend_reward_id" in res.get_json()["error"]["details"]["fields"]
    got = client.get("/api/v1/admin/referral-settings", headers=_admin(program)).get_json()
    assert got["friend_reward_id"] is None
