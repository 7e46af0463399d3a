from tests.support import bearer, purchase, signup


def test_regions_stores_and_rollout_flags(client, program):
    admin = bearer(program.admin_token)
    region = client.post(
        "/api/v1/admin/regions", json={"name": "North", "code": "north"}, headers=admin
    )
    assert region.status_code == 201
    dup = client.post("/api/v1/admin/regions", json={"name": "N", "code": "north"}, headers=admin)
    assert (dup.status_code, dup.get_json()["error"]["code"]) == (409, "region_conflict")
    store = client.post(
        "/api/v1/admin/stores",
        json={"name": "Web", "code": "web", "region_id": region.get_json()["id"], "kind": "online"},
        headers=admin,
    )
    assert store.status_code == 201
    assert store.get_json()["program_live"] is True
    bad_region = client.post(
        "/api/v1/admin/stores",
        json={"name": "X", "code": "x", "region_id": "reg_nope"},
        headers=admin,
    )
    assert bad_region.status_code == 422
    client.patch("/api/v1/admin/program", json={"rollout": "pilot"}, headers=admin)
    listed = {s["code"]: s for s in client.get("/api/v1/admin/stores", headers=admin).get_json()}
    assert listed["web"]["program_live"] is False
    patched = client.patch(
        f"/api/v1/admin/stores/{store.get_json()['id']}", json={"pilot": True}, headers=admin
    )
    assert patched.get_json()["program_live"] is True


def test_program_settings_validation(client, program):
    admin = bearer(program.admin_token)
    res = client.patch(
        "/api/v1/admin/program",
        json={"return_window_days": 30, "points_validity_days": 20},
        headers=admin,
    )
    assert res.status_code == 422
    assert client.get("/api/v1/admin/program", headers=admin).get_json()["return_window_days"] == 14
    assert (
        client.patch("/api/v1/admin/program", json={"rollout": "some"}, headers=admin).status_code
        == 422
    )


def test_api_keys_are_shown_once_and_can_be_revoked(client, program):
    admin = bearer(program.admin_token)
    created = client.post(
        "/api/v1/admin/api-keys",
        json={"store_id": program.other_store_id, "name": "web shop"},
        headers=admin,
    ).get_json()
    raw = created["key"]
    listed = client.get("/api/v1/admin/api-keys", headers=admin).get_json()
    assert all("key" not in k or k["key"] is None for k in listed)
    assert raw not in str(listed)
    member = signup(client)
    res = client.post(
        "/api/v1/transactions",
        json={
            "card_number": member.card_number,
            "amount": "9.99",
            "currency": "EUR",
            "channel": "online",
            "receipt_id": "web-1",
        },
        headers={"X-API-Key": raw, "Idempotency-Key": "w1"},
    )
    assert res.status_code == 201
    assert res.get_json()["store_id"] == program.other_store_id
    client.delete(f"/api/v1/admin/api-keys/{created['id']}", headers=admin)
    again = client.post(
        "/api/v1/transactions", json={}, headers={"X-API-Key": raw, "Idempotency-Key": "w2"}
    )
    assert again.status_code == 401


def test_staff_accounts_are_scoped_to_their_store(client, program):
    admin = bearer(program.admin_token)
    res = client.post(
        "/api/v1/admin/staff",
        json={
            "email": "harbour@test.example",
            "password": "harbour-pass-1",
            "store_id": program.other_store_id,
        },
        headers=admin,
    )
    assert res.status_code == 201
    token = client.post(
        "/api/v1/auth/login",
        json={"email": "harbour@test.example", "password": "harbour-pass-1"},
    ).get_json()["access_token"]
    member = signup(client)
    bought = purchase(client, program, member.card_number, "10.00").get_json()
    # Another store's staff cannot refund (or even see) this store's purchase.
    res = client.post(
        f"/api/v1/transactions/{bought['id']}/refunds",
        json={},
        headers=bearer(token) | {"Idempotency-Key": "x"},
    )
    assert res.status_code == 404


def test_earning_rule_validation_and_switch_off(client, program):
    admin = bearer(program.admin_token)
    missing = client.post(
        "/api/v1/admin/earning-rules", json={"name": "x", "kind": "multiplier"}, headers=admin
    )
    assert missing.status_code == 422
    backwards = client.post(
        "/api/v1/admin/earning-rules",
        json={
            "name": "x",
            "kind": "fixed",
            "fixed_points": 5,
            "starts_at": "2026-12-01T00:00:00+00:00",
            "ends_at": "2026-11-01T00:00:00+00:00",
        },
        headers=admin,
    )
    assert backwards.status_code == 422
    naive = client.post(
        "/api/v1/admin/earning-rules",
        json={"name": "x", "kind": "fixed", "fixed_points": 5, "starts_at": "2026-12-01T00:00:00"},
        headers=admin,
    )
    assert naive.status_code == 422
    rule = client.post(
        "/api/v1/admin/earning-rules",
        json={"name": "Welcome", "kind": "fixed", "fixed_points": 5, "min_amount": "20.00"},
        headers=admin,
    ).get_json()
    assert rule["min_amount"] == "20.00"
    member = signup(client)
    assert purchase(client, program, member.card_number, "19.99").get_json()["bonus_points"] == 0
    assert purchase(client, program, member.card_number, "20.00").get_json()["bonus_points"] == 5
    assert (
        client.delete(f"/api/v1/admin/earning-rules/{rule['id']}", headers=admin).status_code == 204
    )
    assert purchase(client, program, member.card_number, "20.00").get_json()["bonus_points"] == 0


def test_tiers_must_stay_ordered(client, program):
    admin = bearer(program.admin_token)
    res = client.post(
        "/api/v1/admin/tiers",
        json={
            "code": "diamond",
            "name": "Diamond",
            "rank": 3,
            "threshold_points": 20000,
            "multiplier": "2",
            "discount_percent": 15,
            "privileges": ["Concierge"],
        },
        headers=admin,
    )
    assert res.status_code == 201
    clash = client.post(
        "/api/v1/admin/tiers",
        json={"code": "iron", "name": "Iron", "rank": 3, "threshold_points": 30000},
        headers=admin,
    )
    assert clash.status_code == 409
    disorder = client.patch(
        "/api/v1/admin/tiers/gold", json={"threshold_points": 9000}, headers=admin
    )
    assert disorder.status_code == 422
    tiers = client.get("/api/v1/admin/tiers", headers=admin).get_json()
    assert [t["code"] for t in tiers] == ["silver", "gold", "platinum", "diamond"]
    assert tiers[1]["threshold_points"] == 1000


def test_ended_membership_stops_earning_and_spending(client, program):
    member = signup(client)
    purchase(client, program, member.card_number, "10.00")
    admin = bearer(program.admin_token)
    ended = client.post(f"/api/v1/admin/members/{member.id}/end", headers=admin)
    assert ended.status_code == 200
    assert ended.get_json()["ended_at"] is not None
    res = purchase(client, program, member.card_number, "10.00")
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "membership_ended")
    reward = client.post(
        "/api/v1/admin/rewards", json={"name": "Pen", "cost_points": 1}, headers=admin
    ).get_json()
    res = client.post(
        f"/api/v1/rewards/{reward['id']}/redeem", headers=member.headers | {"Idempotency-Key": "p"}
    )
    # Ending the membership ended its sessions: the token is refused before any rule is asked.
    assert (res.status_code, res.get_json()["error"]["code"]) == (401, "token_revoked")


def test_home_store_sets_the_region_for_segments(client, program):
    member = signup(client)
    res = client.patch(
        "/api/v1/me", json={"home_store_id": program.store_id}, headers=member.headers
    )
    assert res.status_code == 200
    bad = client.patch("/api/v1/me", json={"home_store_id": "sto_nope"}, headers=member.headers)
    assert bad.status_code == 422
    seg = client.post(
        "/api/v1/admin/segments",
        json={"name": "South", "rules": {"regions": ["south"]}},
        headers=bearer(program.admin_token),
    ).get_json()
    preview = client.get(
        f"/api/v1/admin/segments/{seg['id']}/preview", headers=bearer(program.admin_token)
    ).get_json()
    assert [m["id"] for m in preview["sample"]] == [member.id]
