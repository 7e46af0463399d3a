from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.service import integrity_problems
from app.models_base import utcnow
from app.offers.models import Offer, OfferClaim
from app.offers.service import expire_claims
from tests.support import bearer, purchase, seed_program, signup


def _segment(client, program, rules, name="Segment"):
    return client.post(
        "/api/v1/admin/segments",
        json={"name": name, "rules": rules},
        headers=bearer(program.admin_token),
    )


def _offer(client, program, **fields):
    now = utcnow()
    body = {
        "title": {"en": "Double points today", "fi": "Tuplapisteet tänään"},
        "body": {"en": "On your next purchase", "fi": "Seuraavasta ostoksesta"},
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "benefit": "multiplier",
        "multiplier": "2",
    } | fields
    res = client.post("/api/v1/admin/offers", json=body, headers=bearer(program.admin_token))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def _claim(client, member, offer_id, key="k"):
    return client.post(
        f"/api/v1/offers/{offer_id}/claim", headers=member.headers | {"Idempotency-Key": key}
    )


def test_segment_rules_compile_and_preview(client, program):
    fi = signup(client, "fi@test.example", language="fi")
    signup(client, "pl@test.example", language="pl", marketing_consent=False)
    purchase(client, program, fi.card_number, "1500.00")  # gold
    seg = _segment(
        client,
        program,
        {
            "languages": ["fi", "pl"],
            "marketing_consent": True,
            "tiers": ["gold"],
            "purchased_within_days": 7,
            "spend_min": "1000",
            "spend_days": 30,
        },
    )
    assert seg.status_code == 201, seg.get_json()
    preview = client.get(
        f"/api/v1/admin/segments/{seg.get_json()['id']}/preview",
        headers=bearer(program.admin_token),
    ).get_json()
    assert preview["count"] == 1
    assert [m["id"] for m in preview["sample"]] == [fi.id]
    nobody = _segment(client, program, {"points_min": 10**6}).get_json()
    assert (
        client.get(
            f"/api/v1/admin/segments/{nobody['id']}/preview", headers=bearer(program.admin_token)
        ).get_json()["count"]
        == 0
    )


def test_segment_bad_rules(client, program):
    for rules in [{"shoe_size": 42}, {"points_min": "many"}, {"tiers": []}, {"joined_from": "x"}]:
        res = _segment(client, program, rules)
        assert res.status_code == 422, rules
        assert "rules" in res.get_json()["error"]["details"]["fields"]


def test_member_sees_live_offers_in_language_and_claims_once(client, program):
    member = signup(client, language="fi")
    offer = _offer(client, program, per_member_limit=1)
    live = client.get("/api/v1/offers", headers=member.headers).get_json()
    assert [o["title"] for o in live] == ["Tuplapisteet tänään"]
    assert 7000 < live[0]["seconds_left"] <= 7200
    first = _claim(client, member, offer["id"], "a")
    assert first.status_code == 201
    assert _claim(client, member, offer["id"], "a").get_json() == first.get_json()
    again = _claim(client, member, offer["id"], "b")
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "offer_limit_reached")
    assert client.get("/api/v1/offers", headers=member.headers).get_json()[0]["claims_left"] == 0


def test_segment_offer_is_only_for_its_members(client, program):
    seg = _segment(client, program, {"languages": ["tl"]}).get_json()
    offer = _offer(client, program, segment_id=seg["id"])
    outsider = signup(client, "out@test.example", language="en")
    insider = signup(client, "in@test.example", language="tl")
    assert client.get("/api/v1/offers", headers=outsider.headers).get_json() == []
    res = _claim(client, outsider, offer["id"])
    assert (res.status_code, res.get_json()["error"]["code"]) == (403, "offer_not_eligible")
    assert _claim(client, insider, offer["id"]).status_code == 201


def test_claimed_multiplier_offer_applies_at_the_till_once(app, client, program):
    member = signup(client)
    offer = _offer(client, program)
    code = _claim(client, member, offer["id"]).get_json()["code"]
    res = purchase(client, program, member.card_number, "30.00", offer_code=code)
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["offer"]["points"] == 30
    assert body["points_earned"] == 60
    reuse = purchase(client, program, member.card_number, "30.00", offer_code=code)
    assert (reuse.status_code, reuse.get_json()["error"]["code"]) == (409, "offer_already_redeemed")
    other = signup(client, "other@test.example")
    stolen = purchase(client, program, other.card_number, "30.00", offer_code=code)
    assert stolen.get_json()["error"]["code"] == "offer_claim_invalid"
    with app.app_context():
        assert integrity_problems() == []


def test_gift_offer_awards_points_at_claim(client, program):
    member = signup(client)
    offer = _offer(client, program, benefit="gift_points", points=75, multiplier=None)
    claim = _claim(client, member, offer["id"]).get_json()
    assert claim["status"] == "redeemed"
    assert client.get("/api/v1/me/points", headers=member.headers).get_json()["available"] == 75


def test_expired_offer_cannot_be_claimed_or_redeemed(app, client, program):
    member = signup(client)
    offer = _offer(client, program)
    code = _claim(client, member, offer["id"]).get_json()["code"]
    with app.app_context():
        row = db.session.scalar(select(Offer))
        row.ends_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert expire_claims() == 1
    res = purchase(client, program, member.card_number, "10.00", offer_code=code)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "offer_expired")
    late = _claim(client, signup(client, "late@test.example"), offer["id"])
    assert late.get_json()["error"]["code"] == "offer_expired"
    claims = client.get("/api/v1/me/offer-claims", headers=member.headers).get_json()
    assert [c["status"] for c in claims] == ["expired"]


def test_offer_validation(client, program):
    admin = bearer(program.admin_token)
    now = utcnow()
    cases = [
        {"benefit": "multiplier"},  # no multiplier
        {"benefit": "discount", "multiplier": None},
        {"ends_at": (now - timedelta(days=1)).isoformat()},
        {"title": {}},
        {"title": {"de": "Hallo"}},
    ]
    for extra in cases:
        body = {
            "title": {"en": "x"},
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
            "benefit": "multiplier",
        } | extra
        res = client.post("/api/v1/admin/offers", json=body, headers=admin)
        assert res.status_code == 422, extra


@pytest.mark.postgres
def test_total_cap_holds_under_concurrent_claims(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    offer = _offer(client, program, total_cap=7, benefit="gift_points", points=10, multiplier=None)
    members = [signup(client, f"c{i}@test.example") for i in range(25)]

    def claim(i):
        return _claim(pg_app.test_client(), members[i], offer["id"], f"k{i}").status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        codes = list(pool.map(claim, range(25)))
    assert codes.count(201) == 7
    assert codes.count(409) == 18
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(OfferClaim.id))) == 7
        assert db.session.scalar(select(Offer.claimed_count)) == 7
        assert integrity_problems() == []
