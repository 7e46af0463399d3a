from datetime import timedelta

from app.ledger.service import release_due
from app.models_base import utcnow
from tests.support import bearer, purchase, signup


def _funded_member(app, client, program, amount="500.00"):
    member = signup(client)
    purchase(client, program, member.card_number, amount)
    with app.app_context():
        release_due(utcnow() + timedelta(days=15))
    return member


def _reward(client, program, **fields):
    res = client.post("/api/v1/admin/rewards", json=fields, headers=bearer(program.admin_token))
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def test_catalog_shows_affordability_and_eligibility(app, client, program):
    member = _funded_member(app, client, program, "200.00")
    _reward(client, program, name="Cheap", cost_points=150)
    _reward(client, program, name="Dear", cost_points=900)
    _reward(client, program, name="Gold only", cost_points=10, tiers=["gold", "platinum"])
    items = {r["name"]: r for r in client.get("/api/v1/rewards", headers=member.headers).get_json()}
    assert items["Cheap"]["affordable"] and items["Cheap"]["eligible"]
    assert not items["Dear"]["affordable"] and items["Dear"]["points_missing"] == 700
    assert not items["Gold only"]["eligible"]


def test_redeem_spends_points_and_confirm_works_once(app, client, program):
    member = _funded_member(app, client, program)
    reward_id = _reward(client, program, name="Coffee", cost_points=150, stock_remaining=3)
    res = client.post(
        f"/api/v1/rewards/{reward_id}/redeem", headers=member.headers | {"Idempotency-Key": "k"}
    )
    assert res.status_code == 201
    body = res.get_json()
    assert body["balance"]["available"] == 350
    assert len(body["code"]) == 10
    replay = client.post(
        f"/api/v1/rewards/{reward_id}/redeem", headers=member.headers | {"Idempotency-Key": "k"}
    )
    assert replay.get_json() == body
    till = {"X-API-Key": program.api_key}
    first = client.post(f"/api/v1/redemptions/{body['code'].lower()}/confirm", headers=till)
    assert first.status_code == 200
    assert first.get_json()["status"] == "confirmed"
    second = client.post(f"/api/v1/redemptions/{body['code']}/confirm", headers=till)
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "redemption_already_used"
    unknown = client.post("/api/v1/redemptions/ZZZZZZZZZZ/confirm", headers=till)
    assert unknown.status_code == 404
    mine = client.get("/api/v1/me/redemptions", headers=member.headers).get_json()
    assert [r["status"] for r in mine] == ["confirmed"]
    admin_view = client.get("/api/v1/admin/rewards", headers=bearer(program.admin_token))
    assert admin_view.get_json()[0]["stock_remaining"] == 2


def test_redeem_refusals_write_nothing(app, client, program):
    member = _funded_member(app, client, program, "100.00")
    dear = _reward(client, program, name="Dear", cost_points=1000)
    gold = _reward(client, program, name="Gold", cost_points=10, tiers=["gold"])
    gone = _reward(client, program, name="Gone", cost_points=10, stock_remaining=0)
    cases = [
        (dear, 409, "insufficient_points"),
        (gold, 403, "reward_not_for_tier"),
        (gone, 409, "out_of_stock"),
        ("rew_unknown", 404, "reward_not_found"),
    ]
    for reward_id, status, code in cases:
        res = client.post(
            f"/api/v1/rewards/{reward_id}/redeem",
            headers=member.headers | {"Idempotency-Key": reward_id},
        )
        assert (res.status_code, res.get_json()["error"]["code"]) == (status, code)
    points = client.get("/api/v1/me/points", headers=member.headers).get_json()
    assert points["available"] == 100
    assert client.get("/api/v1/me/redemptions", headers=member.headers).get_json() == []


def test_admin_reward_validation(client, program):
    admin = bearer(program.admin_token)
    bad = client.post(
        "/api/v1/admin/rewards",
        json={"name": "x", "cost_points": -5, "tiers": ["diamond"]},
        headers=admin,
    )
    assert bad.status_code == 422
    unknown_tier = client.post(
        "/api/v1/admin/rewards",
        json={"name": "x", "cost_points": 5, "tiers": ["diamond"]},
        headers=admin,
    )
    assert unknown_tier.status_code == 422
    reward_id = _reward(client, program, name="Mug", cost_points=50)
    retired = client.delete(f"/api/v1/admin/rewards/{reward_id}", headers=admin)
    assert retired.get_json()["active"] is False
