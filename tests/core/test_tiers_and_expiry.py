from datetime import timedelta

from sqlalchemy import select, update

from app import events
from app.extensions import db
from app.ledger.models import LedgerEntry, PointLot
from app.ledger.service import expire_due, integrity_problems, release_due
from app.members.models import Member
from app.models_base import utcnow
from app.tiers.service import evaluate_all
from tests.support import bearer, purchase, signup


def _me(client, member):
    return client.get("/api/v1/me", headers=member.headers).get_json()


def test_upgrade_applies_at_once_and_publishes_event(app, client, program):
    seen = []
    events.subscribe(events.TIER_CHANGED, seen.append)
    try:
        member = signup(client)
        purchase(client, program, member.card_number, "999.00")
        assert _me(client, member)["tier"]["code"] == "silver"
        purchase(client, program, member.card_number, "1.00")
        me = _me(client, member)
        assert me["tier"]["code"] == "gold"
        assert "5% off" in me["tier"]["privileges"]
        assert [(e["old_tier"], e["new_tier"]) for e in seen] == [("silver", "gold")]
        # Gold earns 1.25x on what follows.
        assert (
            purchase(client, program, member.card_number, "100.00").get_json()["points_earned"]
            == 125
        )
    finally:
        events.unsubscribe(events.TIER_CHANGED, seen.append)


def test_downgrade_only_at_periodic_evaluation(app, client, program):
    member = signup(client)
    bought = purchase(client, program, member.card_number, "1200.00").get_json()
    assert _me(client, member)["tier"]["code"] == "gold"
    client.post(
        f"/api/v1/transactions/{bought['id']}/refunds",
        json={},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": "refund"},
    )
    assert _me(client, member)["tier"]["code"] == "gold"  # no downgrade mid-window
    with app.app_context():
        assert evaluate_all() == {"up": 0, "down": 1, "same": 0}
    assert _me(client, member)["tier"]["code"] == "silver"


def test_points_outside_the_rolling_window_do_not_qualify(app, client, program):
    member = signup(client)
    purchase(client, program, member.card_number, "1500.00")
    with app.app_context():
        db.session.execute(update(LedgerEntry).values(created_at=utcnow() - timedelta(days=400)))
        db.session.commit()
        evaluate_all()
    assert _me(client, member)["tier"]["code"] == "silver"


def test_points_expire_first_in_first_out(app, client, program):
    member = signup(client)
    purchase(client, program, member.card_number, "100.00")
    purchase(client, program, member.card_number, "50.00")
    with app.app_context():
        release_due(utcnow() + timedelta(days=15))
        lots = db.session.scalars(select(PointLot).order_by(PointLot.id)).all()
        # The older lot expires sooner; spending takes from it first.
        lots[0].expires_at = utcnow() + timedelta(days=10)
        lots[1].expires_at = utcnow() + timedelta(days=200)
        db.session.commit()
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "Tea", "cost_points": 30},
        headers=bearer(program.admin_token),
    ).get_json()
    client.post(
        f"/api/v1/rewards/{reward['id']}/redeem", headers=member.headers | {"Idempotency-Key": "t"}
    )
    points = client.get("/api/v1/me/points", headers=member.headers).get_json()
    assert points["available"] == 120
    assert points["expiring_30_days"] == 70
    with app.app_context():
        assert expire_due(utcnow() + timedelta(days=11)) == 70
        row = db.session.scalar(select(Member).where(Member.public_id == member.id))
        assert row.points_available == 50
        assert integrity_problems() == []
    kinds = [
        e["kind"]
        for e in client.get("/api/v1/me/points/history", headers=member.headers).get_json()[
            "entries"
        ]
    ]
    assert kinds[0] == "expire"


def test_history_cursor_pagination(client, program):
    member = signup(client)
    for i in range(5):
        purchase(client, program, member.card_number, f"{i + 1}.00")
    page1 = client.get("/api/v1/me/points/history?limit=3", headers=member.headers).get_json()
    assert len(page1["entries"]) == 3
    page2 = client.get(
        f"/api/v1/me/points/history?limit=3&cursor={page1['next_cursor']}", headers=member.headers
    ).get_json()
    assert len(page2["entries"]) == 2
    assert page2["next_cursor"] is None
    ids = [e["id"] for e in page1["entries"] + page2["entries"]]
    assert len(set(ids)) == 5
    amounts = [e["pending_delta"] for e in page1["entries"] + page2["entries"]]
    assert amounts == [5, 4, 3, 2, 1]
    bad = client.get("/api/v1/me/points/history?cursor=%%%", headers=member.headers)
    assert bad.status_code == 400


def test_admin_adjustment_needs_reason_and_key(app, client, program):
    member = signup(client)
    admin = bearer(program.admin_token)
    url = f"/api/v1/admin/members/{member.id}/adjustments"
    assert (
        client.post(url, json={"points": 50}, headers=admin | {"Idempotency-Key": "a"}).status_code
        == 422
    )
    assert (
        client.post(url, json={"points": 50, "reason": "Goodwill"}, headers=admin).status_code
        == 400
    )
    ok = client.post(
        url, json={"points": 50, "reason": "Goodwill"}, headers=admin | {"Idempotency-Key": "a"}
    )
    assert ok.status_code == 201
    assert ok.get_json()["available_delta"] == 50
    replay = client.post(
        url, json={"points": 50, "reason": "Goodwill"}, headers=admin | {"Idempotency-Key": "a"}
    )
    assert replay.get_json() == ok.get_json()
    too_much = client.post(
        url, json={"points": -60, "reason": "Fix"}, headers=admin | {"Idempotency-Key": "b"}
    )
    assert too_much.status_code == 409
    assert too_much.get_json()["error"]["code"] == "insufficient_points"
    assert client.get("/api/v1/me/points", headers=member.headers).get_json()["available"] == 50
    check = client.get("/api/v1/admin/ledger/check", headers=admin).get_json()
    assert (check["healthy"], check["problems"]) == (True, [])
    assert "member_balances" in check["checks"]
