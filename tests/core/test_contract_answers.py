"""The core's answers are what the document says: each is validated against the schema its
operation documents, and an idempotent replay (a stored body) is the same answer."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from openapi_schema_validator import OAS30Validator

from app.models_base import utcnow
from tests.support import bearer, purchase, signup


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").get_json()


def conforms(spec: dict, path: str, method: str, res) -> dict:
    """The answer's body, after checking it against the schema documented for its status."""
    body = res.get_json()
    response = spec["paths"][path][method]["responses"][str(res.status_code)]
    schema = response["content"]["application/json"]["schema"]
    errors = list(OAS30Validator({**schema, "components": spec["components"]}).iter_errors(body))
    assert errors == [], [e.message for e in errors]
    return body


def _reward(client, program, **fields) -> dict:
    body = {"name": "Coffee", "cost_points": 10} | fields
    res = client.post("/api/v1/admin/rewards", json=body, headers=bearer(program.admin_token))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def test_signup_answers_the_member_and_its_tokens_as_documented(client, program, spec):
    res = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "sam@test.example",
            "password": "a-long-password",
            "name": "Sam",
            "language": "fi",
        },
    )
    assert res.status_code == 201
    body = conforms(spec, "/api/v1/auth/signup", "post", res)
    assert set(body["tokens"]) == {"access_token", "refresh_token"}
    me = client.get("/api/v1/me", headers=bearer(body["tokens"]["access_token"]))
    assert me.get_json()["id"] == body["id"]


def test_a_purchase_and_its_replay_are_the_documented_answer(client, program, spec):
    member = signup(client)
    key = uuid.uuid4().hex
    first = purchase(client, program, member.card_number, "42.50", key=key, receipt_id="R-1")
    again = purchase(client, program, member.card_number, "42.50", key=key, receipt_id="R-1")
    assert (first.status_code, again.status_code) == (201, 201)
    body = conforms(spec, "/api/v1/transactions", "post", first)
    assert conforms(spec, "/api/v1/transactions", "post", again) == body
    assert body["amount"] == "42.50"
    assert body["store_id"] == program.store_id
    assert body["balance"] == {"available": 0, "pending": body["points_earned"]}
    assert body["points_status"] == "pending"

    refund_path = f"/api/v1/transactions/{body['id']}/refunds"
    headers = {"X-API-Key": program.api_key, "Idempotency-Key": "refund-1"}
    refund = client.post(refund_path, json={"amount": "10.00"}, headers=headers)
    replay = client.post(refund_path, json={"amount": "10.00"}, headers=headers)
    documented = "/api/v1/transactions/{purchase_id}/refunds"
    refunded = conforms(spec, documented, "post", refund)
    assert conforms(spec, documented, "post", replay) == refunded
    assert (refunded["purchase_id"], refunded["amount"]) == (body["id"], "10.00")


def test_a_redemption_and_its_replay_are_the_documented_answer(app, client, program, spec):
    from app.extensions import db
    from app.ledger.service import adjust
    from app.members.models import Member

    member = signup(client)
    with app.app_context():
        row = db.session.query(Member).filter_by(public_id=member.id).one()
        adjust(row.id, 100, "test", "admin")
        db.session.commit()
    reward = _reward(client, program)
    catalog = client.get("/api/v1/rewards", headers=member.headers)
    items = conforms(spec, "/api/v1/rewards", "get", catalog)
    assert items[0] | {"affordable": True, "points_missing": 0} == items[0]

    path = f"/api/v1/rewards/{reward['id']}/redeem"
    headers = member.headers | {"Idempotency-Key": "coffee-1"}
    first, again = client.post(path, headers=headers), client.post(path, headers=headers)
    documented = "/api/v1/rewards/{reward_id}/redeem"
    body = conforms(spec, documented, "post", first)
    assert conforms(spec, documented, "post", again) == body
    assert (body["reward_id"], body["balance"]) == (reward["id"], {"available": 90, "pending": 0})

    listed = conforms(
        spec,
        "/api/v1/me/redemptions",
        "get",
        client.get("/api/v1/me/redemptions", headers=member.headers),
    )
    assert listed[0]["reward_id"] == reward["id"] and "balance" not in listed[0]
    confirm = client.post(
        f"/api/v1/redemptions/{body['code']}/confirm", headers={"X-API-Key": program.api_key}
    )
    confirmed = conforms(spec, "/api/v1/redemptions/{code}/confirm", "post", confirm)
    assert confirmed["status"] == "confirmed"


def test_an_offer_claim_and_its_replay_are_the_documented_answer(client, program, spec):
    member = signup(client)
    now = utcnow()
    created = client.post(
        "/api/v1/admin/offers",
        json={
            "title": {"en": "Double points", "fi": "Tuplapisteet"},
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "benefit": "multiplier",
            "multiplier": "2",
        },
        headers=bearer(program.admin_token),
    )
    offer = conforms(spec, "/api/v1/admin/offers", "post", created)
    assert offer["segment_id"] is None

    live = conforms(
        spec, "/api/v1/offers", "get", client.get("/api/v1/offers", headers=member.headers)
    )
    assert (live[0]["title"], live[0]["multiplier"]) == ("Tuplapisteet", "2.000")

    path = f"/api/v1/offers/{offer['id']}/claim"
    headers = member.headers | {"Idempotency-Key": "claim-1"}
    first, again = client.post(path, headers=headers), client.post(path, headers=headers)
    documented = "/api/v1/offers/{offer_id}/claim"
    body = conforms(spec, documented, "post", first)
    assert conforms(spec, documented, "post", again) == body
    assert body["offer_id"] == offer["id"]
    mine = client.get("/api/v1/me/offer-claims", headers=member.headers)
    assert conforms(spec, "/api/v1/me/offer-claims", "get", mine) == [body]


def test_the_admin_answers_are_the_documented_ones(client, program, spec):
    admin = bearer(program.admin_token)
    staff = client.post(
        "/api/v1/admin/staff",
        json={
            "email": "till@test.example",
            "password": "a-long-password",
            "store_id": program.store_id,
        },
        headers=admin,
    )
    assert conforms(spec, "/api/v1/admin/staff", "post", staff)["store_id"] == program.store_id
    stores = conforms(
        spec, "/api/v1/admin/stores", "get", client.get("/api/v1/admin/stores", headers=admin)
    )
    assert {s["region_id"] for s in stores} == {program.region_id}
    key = client.post(
        "/api/v1/admin/api-keys",
        json={"store_id": program.store_id, "name": "till 2"},
        headers=admin,
    )
    assert conforms(spec, "/api/v1/admin/api-keys", "post", key)["key"]
    listed = conforms(
        spec, "/api/v1/admin/api-keys", "get", client.get("/api/v1/admin/api-keys", headers=admin)
    )
    assert all("key" not in k for k in listed)
    rule = client.post(
        "/api/v1/admin/earning-rules",
        json={
            "name": "Big baskets",
            "kind": "fixed",
            "fixed_points": 5,
            "min_amount": "50.00",
            "store_id": program.store_id,
        },
        headers=admin,
    )
    body = conforms(spec, "/api/v1/admin/earning-rules", "post", rule)
    assert (body["min_amount"], body["store_id"], body["region_id"]) == (
        "50.00",
        program.store_id,
        None,
    )
    segment = client.post(
        "/api/v1/admin/segments", json={"name": "All", "rules": {}}, headers=admin
    ).get_json()
    preview = client.get(f"/api/v1/admin/segments/{segment['id']}/preview", headers=admin)
    conforms(spec, "/api/v1/admin/segments/{segment_id}/preview", "get", preview)
    check = client.get("/api/v1/admin/ledger/check", headers=admin)
    conforms(spec, "/api/v1/admin/ledger/check", "get", check)
