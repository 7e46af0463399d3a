from datetime import timedelta

from app.extensions import db
from app.ledger.service import integrity_problems, release_due
from app.models_base import utcnow
from app.purchases.models import Purchase
from tests.support import bearer, purchase, signup


def _points(client, member):
    return client.get("/api/v1/me/points", headers=member.headers).get_json()


def test_purchase_earns_pending_points_by_base_rate(client, program):
    member = signup(client)
    res = purchase(client, program, member.card_number, "123.45")
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["points_earned"] == 123
    assert body["points_status"] == "pending"
    assert body["balance"] == {"available": 0, "pending": 123}
    assert body["member_id"] == member.id
    points = _points(client, member)
    assert (points["available"], points["pending"]) == (0, 123)
    assert points["qualifying_points"] == 123


def test_staff_token_records_purchase_in_their_store(client, program):
    member = signup(client)
    res = client.post(
        "/api/v1/transactions",
        json={
            "card_number": member.card_number,
            "amount": "10.00",
            "currency": "EUR",
            "channel": "in_store",
            "receipt_id": "r-1",
        },
        headers=bearer(program.staff_token) | {"Idempotency-Key": "k1"},
    )
    assert res.status_code == 201
    assert res.get_json()["store_id"] == program.store_id


def test_card_number_with_spaces_is_accepted_bad_check_digit_is_not(client, program):
    member = signup(client)
    spaced = " ".join(member.card_number[i : i + 4] for i in range(0, 16, 4))
    assert purchase(client, program, spaced, "5.00").status_code == 201
    wrong_digit = member.card_number[:-1] + str((int(member.card_number[-1]) + 1) % 10)
    res = purchase(client, program, wrong_digit, "5.00")
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == "invalid_card_number"


def test_unknown_card_and_bad_amounts_write_nothing(app, client, program):
    from app.members.cardnumber import generate

    res = purchase(client, program, generate(), "5.00")
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "member_not_found"
    member = signup(client)
    for amount in ["-5.00", "0", "1000000000", "1.234", "abc", None, True, "NaN"]:
        res = purchase(client, program, member.card_number, amount)
        assert res.status_code == 422, amount
        assert res.get_json()["error"]["code"] == "validation_error"
    res = purchase(client, program, member.card_number, "5.00", currency="USD")
    assert res.get_json()["error"]["code"] == "currency_mismatch"
    res = purchase(client, program, member.card_number, "5.00", channel="fax")
    assert res.status_code == 422
    with app.app_context():
        assert db.session.query(Purchase).count() == 0


def test_idempotent_replay_and_conflict(client, program):
    member = signup(client)
    first = purchase(client, program, member.card_number, "50.00", key="same", receipt_id="r9")
    again = purchase(client, program, member.card_number, "50.00", key="same", receipt_id="r9")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    changed = purchase(client, program, member.card_number, "51.00", key="same", receipt_id="r9")
    assert changed.status_code == 409
    assert changed.get_json()["error"]["code"] == "idempotency_key_reused"
    other_key = purchase(client, program, member.card_number, "50.00", receipt_id="r9")
    assert other_key.status_code == 409
    assert other_key.get_json()["error"]["code"] == "duplicate_receipt"
    assert _points(client, member)["pending"] == 50


def test_missing_idempotency_key(client, program):
    member = signup(client)
    res = client.post(
        "/api/v1/transactions",
        json={
            "card_number": member.card_number,
            "amount": "1.00",
            "currency": "EUR",
            "channel": "app",
            "receipt_id": "x",
        },
        headers={"X-API-Key": program.api_key},
    )
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "idempotency_key_required"


def test_bad_api_key(client, program):
    res = client.post(
        "/api/v1/transactions",
        json={},
        headers={"X-API-Key": program.api_key[:-2] + "xx", "Idempotency-Key": "a"},
    )
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "invalid_api_key"


def test_pilot_rollout_earns_nothing_outside_pilot_stores(client, program):
    admin = bearer(program.admin_token)
    res = client.patch("/api/v1/admin/program", json={"rollout": "pilot"}, headers=admin)
    assert res.status_code == 200
    assert res.get_json()["rollout"] == "pilot"
    member = signup(client)
    res = purchase(client, program, member.card_number, "40.00")
    assert res.status_code == 201
    body = res.get_json()
    assert body["points_earned"] == 0
    assert body["no_points_reason"] == "program_not_live_in_store"
    client.patch(f"/api/v1/admin/regions/{program.region_id}", json={"pilot": True}, headers=admin)
    assert purchase(client, program, member.card_number, "40.00").get_json()["points_earned"] == 40


def test_tier_multiplier_and_bonus_rules(client, program):
    admin = bearer(program.admin_token)
    client.patch("/api/v1/admin/tiers/silver", json={"multiplier": "1.5"}, headers=admin)
    now = utcnow()
    rule = client.post(
        "/api/v1/admin/earning-rules",
        json={
            "name": "Double in-store weekend",
            "kind": "multiplier",
            "multiplier": "2",
            "channel": "in_store",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=2)).isoformat(),
        },
        headers=admin,
    )
    assert rule.status_code == 201, rule.get_json()
    client.post(
        "/api/v1/admin/earning-rules",
        json={
            "name": "Store bonus",
            "kind": "fixed",
            "fixed_points": 25,
            "store_id": program.other_store_id,
        },
        headers=admin,
    )
    member = signup(client)
    body = purchase(client, program, member.card_number, "10.00").get_json()
    # 10 base x 1.5 tier = 15; the weekend rule doubles the plain base: +10.
    assert (body["base_points"], body["bonus_points"], body["points_earned"]) == (15, 10, 25)
    assert body["bonus_rules"] == [rule.get_json()["id"]]
    online = purchase(client, program, member.card_number, "10.00", channel="online").get_json()
    assert online["bonus_points"] == 0


def test_points_become_available_after_return_window(app, client, program):
    member = signup(client)
    purchase(client, program, member.card_number, "80.00")
    with app.app_context():
        assert release_due(utcnow() + timedelta(days=13)) == 0
        assert release_due(utcnow() + timedelta(days=15)) == 80
    points = _points(client, member)
    assert (points["available"], points["pending"]) == (80, 0)
    history = client.get("/api/v1/me/points/history", headers=member.headers).get_json()
    assert [e["kind"] for e in history["entries"]] == ["release", "earn"]
    with app.app_context():
        assert integrity_problems() == []


def test_full_and_partial_refunds_reverse_in_proportion(app, client, program):
    member = signup(client)
    bought = purchase(client, program, member.card_number, "100.00").get_json()
    refund_url = f"/api/v1/transactions/{bought['id']}/refunds"
    headers = {"X-API-Key": program.api_key}
    part = client.post(
        refund_url, json={"amount": "25.50"}, headers=headers | {"Idempotency-Key": "r1"}
    )
    assert part.status_code == 201, part.get_json()
    assert part.get_json()["points_reversed"] == 25
    rest = client.post(refund_url, json={}, headers=headers | {"Idempotency-Key": "r2"})
    assert rest.get_json()["points_reversed"] == 75
    assert rest.get_json()["amount"] == "74.50"
    again = client.post(refund_url, json={}, headers=headers | {"Idempotency-Key": "r3"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_refunded"
    points = _points(client, member)
    assert (points["available"], points["pending"], points["qualifying_points"]) == (0, 0, 0)
    with app.app_context():
        assert integrity_problems() == []


def test_refund_after_points_were_spent_never_goes_below_zero(app, client, program):
    member = signup(client)
    bought = purchase(client, program, member.card_number, "100.00").get_json()
    with app.app_context():
        release_due(utcnow() + timedelta(days=15))
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "Mug", "cost_points": 80},
        headers=bearer(program.admin_token),
    ).get_json()
    spent = client.post(
        f"/api/v1/rewards/{reward['id']}/redeem",
        headers=member.headers | {"Idempotency-Key": "buy-mug"},
    )
    assert spent.status_code == 201
    res = client.post(
        f"/api/v1/transactions/{bought['id']}/refunds",
        json={},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": "full"},
    ).get_json()
    assert (res["points_reversed"], res["points_uncollected"]) == (20, 80)
    assert res["balance"] == {"available": 0, "pending": 0}
    with app.app_context():
        assert integrity_problems() == []


def test_refund_bad_input(client, program):
    member = signup(client)
    bought = purchase(client, program, member.card_number, "10.00").get_json()
    url = f"/api/v1/transactions/{bought['id']}/refunds"
    too_much = client.post(
        url,
        json={"amount": "10.01"},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": "a"},
    )
    assert too_much.status_code == 422
    assert too_much.get_json()["error"]["code"] == "refund_exceeds_purchase"
    unknown = client.post(
        "/api/v1/transactions/pur_nope/refunds",
        json={},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": "b"},
    )
    assert unknown.status_code == 404
