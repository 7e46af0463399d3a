"""The audit trail: an entry for every operator action that changes the program or a member,
written with the change (not without it), and read back with filters and a cursor."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.models_base import utcnow
from tests.conftest import make_app
from tests.support import bearer, seed_program, signup


def _admin_id(client, program) -> str:
    res = client.get(
        "/api/v1/admin/users",
        query_string={"email": "admin@test.example"},
        headers=bearer(program.admin_token),
    )
    return res.get_json()["users"][0]["id"]


def _trail(client, program, **filters) -> list[dict]:
    res = client.get(
        "/api/v1/admin/audit", query_string=filters, headers=bearer(program.admin_token)
    )
    assert res.status_code == 200, res.get_json()
    return res.get_json()["events"]


def _ok(res, status=(200, 201, 202, 204)):
    assert res.status_code in status, res.get_json(silent=True)
    return res.get_json(silent=True)


def test_each_operator_action_is_recorded_with_its_values(client, program):
    admin = bearer(program.admin_token)
    member = signup(client, "audited@test.example")
    other = signup(client, "erased@test.example")

    _ok(client.patch("/api/v1/admin/program", json={"rollout": "pilot"}, headers=admin))
    _ok(
        client.post(
            "/api/v1/admin/tiers",
            json={"code": "diamond", "name": "Diamond", "rank": 9, "threshold_points": 90000},
            headers=admin,
        )
    )
    _ok(client.patch("/api/v1/admin/tiers/gold", json={"multiplier": "1.300"}, headers=admin))
    region = _ok(
        client.post("/api/v1/admin/regions", json={"name": "North", "code": "north"}, headers=admin)
    )
    _ok(client.patch(f"/api/v1/admin/regions/{region['id']}", json={"pilot": True}, headers=admin))
    store = _ok(
        client.post(
            "/api/v1/admin/stores",
            json={"name": "Web", "code": "web", "region_id": region["id"]},
            headers=admin,
        )
    )
    _ok(client.patch(f"/api/v1/admin/stores/{store['id']}", json={"pilot": True}, headers=admin))
    reward = _ok(
        client.post("/api/v1/admin/rewards", json={"name": "Pen", "cost_points": 5}, headers=admin)
    )
    _ok(
        client.patch(
            f"/api/v1/admin/rewards/{reward['id']}", json={"cost_points": 7}, headers=admin
        )
    )
    _ok(client.delete(f"/api/v1/admin/rewards/{reward['id']}", headers=admin))
    rule = _ok(
        client.post(
            "/api/v1/admin/earning-rules",
            json={"name": "Weekend", "kind": "fixed", "fixed_points": 5},
            headers=admin,
        )
    )
    _ok(
        client.patch(
            f"/api/v1/admin/earning-rules/{rule['id']}", json={"fixed_points": 6}, headers=admin
        )
    )
    _ok(client.delete(f"/api/v1/admin/earning-rules/{rule['id']}", headers=admin))
    now = utcnow()
    offer = _ok(
        client.post(
            "/api/v1/admin/offers",
            json={
                "title": {"en": "Double"},
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
                "benefit": "gift_points",
                "points": 5,
            },
            headers=admin,
        )
    )
    _ok(client.patch(f"/api/v1/admin/offers/{offer['id']}", json={"points": 6}, headers=admin))
    segment = _ok(
        client.post(
            "/api/v1/admin/segments",
            json={"name": "Fi", "rules": {"languages": ["fi"]}},
            headers=admin,
        )
    )
    _ok(
        client.patch(
            f"/api/v1/admin/segments/{segment['id']}", json={"name": "Finns"}, headers=admin
        )
    )
    key = _ok(
        client.post(
            "/api/v1/admin/api-keys",
            json={"store_id": program.store_id, "name": "till 2"},
            headers=admin,
        )
    )
    _ok(client.delete(f"/api/v1/admin/api-keys/{key['id']}", headers=admin))
    staff = _ok(
        client.post(
            "/api/v1/admin/staff",
            json={
                "email": "s2@test.example",
                "password": "staff-password-2",
                "store_id": store["id"],
            },
            headers=admin,
        )
    )
    _ok(client.post(f"/api/v1/admin/users/{staff['id']}/deactivate", headers=admin))
    _ok(client.post(f"/api/v1/admin/users/{staff['id']}/reactivate", headers=admin))
    _ok(
        client.post(
            f"/api/v1/admin/members/{member.id}/adjustments",
            json={"points": 40, "reason": "Goodwill"},
            headers=admin | {"Idempotency-Key": "adj-1"},
        )
    )
    _ok(client.post(f"/api/v1/admin/members/{member.id}/end", headers=admin))
    _ok(client.post(f"/api/v1/admin/members/{other.id}/erase", headers=admin))

    events = list(reversed(_trail(client, program, limit=100)))
    actor = _admin_id(client, program)
    assert {(e["actor_id"], e["actor_role"]) for e in events} == {(actor, "admin")}
    assert [(e["action"], e["target_type"]) for e in events] == [
        ("program.update", "program"),
        ("tier.create", "tier"),
        ("tier.update", "tier"),
        ("region.create", "region"),
        ("region.update", "region"),
        ("store.create", "store"),
        ("store.update", "store"),
        ("reward.create", "reward"),
        ("reward.update", "reward"),
        ("reward.retire", "reward"),
        ("earning_rule.create", "earning_rule"),
        ("earning_rule.update", "earning_rule"),
        ("earning_rule.delete", "earning_rule"),
        ("offer.create", "offer"),
        ("offer.update", "offer"),
        ("segment.create", "segment"),
        ("segment.update", "segment"),
        ("api_key.create", "api_key"),
        ("api_key.revoke", "api_key"),
        ("staff.create", "user"),
        ("user.deactivate", "user"),
        ("user.reactivate", "user"),
        ("member.adjust", "member"),
        ("member.end", "member"),
        ("member.erase", "member"),
    ]
    by_action = {e["action"]: e for e in events}
    assert by_action["program.update"]["before"]["rollout"] == "all"
    assert by_action["program.update"]["after"]["rollout"] == "pilot"
    assert by_action["tier.create"]["before"] is None
    assert by_action["tier.create"]["target_id"] == "diamond"
    assert (
        by_action["tier.update"]["before"]["multiplier"],
        by_action["tier.update"]["after"]["multiplier"],
    ) == ("1.250", "1.300")
    assert by_action["store.create"]["target_id"] == store["id"]
    assert (
        by_action["store.update"]["before"]["pilot"],
        by_action["store.update"]["after"]["pilot"],
    ) == (False, True)
    assert by_action["reward.retire"]["after"]["active"] is False
    assert by_action["segment.update"]["after"]["name"] == "Finns"
    assert by_action["api_key.create"]["target_id"] == key["id"]
    # The key shown once is nowhere in the trail.
    assert all("key" not in (e["after"] or {}) for e in events)
    assert by_action["api_key.revoke"]["after"]["revoked_at"] is not None
    assert (
        by_action["user.deactivate"]["before"]["active"],
        by_action["user.deactivate"]["after"]["active"],
    ) == (True, False)
    adjust = by_action["member.adjust"]
    assert (adjust["target_id"], adjust["before"]["points_available"]) == (member.id, 0)
    assert adjust["after"]["points_available"] == 40
    assert adjust["after"]["entry"]["reason"] == "Goodwill"
    assert by_action["member.end"]["before"]["ended_at"] is None
    assert by_action["member.end"]["after"]["ended_at"] is not None
    assert by_action["member.erase"]["target_id"] == other.id
    # No member's personal data in the trail (names, emails).
    text = str(events)
    assert "audited@test.example" not in text and "erased@test.example" not in text
    assert all(e["client_addr"] == "127.0.0.1" and e["request_id"] for e in events)


def test_no_entry_without_its_change_and_none_twice(client, program):
    admin = bearer(program.admin_token)
    # Refused (tiers must stay ordered): the change is rolled back, and its entry with it.
    res = client.patch("/api/v1/admin/tiers/gold", json={"threshold_points": 99999}, headers=admin)
    assert res.status_code == 422
    member = signup(client, "replay@test.example")
    adjustment = {"points": 10, "reason": "Correction"}
    headers = admin | {"Idempotency-Key": "adj-replayed"}
    url = f"/api/v1/admin/members/{member.id}/adjustments"
    assert client.post(url, json=adjustment, headers=headers).status_code == 201
    # A replay is not a second action.
    assert client.post(url, json=adjustment, headers=headers).status_code == 201
    assert [e["action"] for e in _trail(client, program)] == ["member.adjust"]


def test_filters_and_cursor_pages(client, program):
    admin = bearer(program.admin_token)
    for i in range(5):
        client.post("/api/v1/admin/regions", json={"name": f"R{i}", "code": f"r{i}"}, headers=admin)
    client.patch("/api/v1/admin/program", json={"name": "Renamed"}, headers=admin)
    first = client.get("/api/v1/admin/audit?limit=2&action=region.", headers=admin).get_json()
    assert [e["action"] for e in first["events"]] == ["region.create", "region.create"]
    seen = [e["id"] for e in first["events"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(
            "/api/v1/admin/audit",
            query_string={"limit": 2, "action": "region.", "cursor": cursor},
            headers=admin,
        ).get_json()
        seen += [e["id"] for e in page["events"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    assert [e["action"] for e in _trail(client, program, action="program.update")] == [
        "program.update"
    ]
    actor = _admin_id(client, program)
    assert len(_trail(client, program, actor=actor)) == 6
    assert _trail(client, program, actor="usr_nobody") == []
    assert len(_trail(client, program, target_type="region")) == 5
    later = (utcnow() + timedelta(minutes=1)).isoformat()
    assert _trail(client, program, **{"from": later}) == []
    assert len(_trail(client, program, to=later)) == 6
    bad = client.get("/api/v1/admin/audit?cursor=nonsense", headers=admin)
    assert (bad.status_code, bad.get_json()["error"]["code"]) == (400, "invalid_cursor")
    member = signup(client, "nosy@test.example")
    assert client.get("/api/v1/admin/audit", headers=member.headers).status_code == 403


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_client_address_is_seen_through_the_trusted_proxies(tmp_path, backend):
    app = make_app(backend, tmp_path, TRUSTED_PROXIES=1)
    program = seed_program(app)
    client = app.test_client()
    admin = bearer(program.admin_token)
    client.patch(
        "/api/v1/admin/program",
        json={"name": f"P {uuid.uuid4().hex[:4]}"},
        headers=admin | {"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    (event,) = _trail(client, program)
    assert event["client_addr"] == "203.0.113.9"
