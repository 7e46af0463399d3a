"""Defects a review found; each test failed before its fix."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app, outbox
from app.extensions import db
from app.ledger.service import integrity_problems, release_due
from app.models_base import utcnow
from app.outbox import OutboxJob
from tests.support import bearer, purchase, signup


def test_refund_of_spent_points_still_stops_them_qualifying(app, client, program):
    member = signup(client)
    bought = purchase(client, program, member.card_number, "1500.00").get_json()
    with app.app_context():
        release_due(utcnow() + timedelta(days=15))
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "TV", "cost_points": 1500},
        headers=bearer(program.admin_token),
    ).get_json()
    client.post(
        f"/api/v1/rewards/{reward['id']}/redeem", headers=member.headers | {"Idempotency-Key": "tv"}
    )
    refund = client.post(
        f"/api/v1/transactions/{bought['id']}/refunds",
        json={},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": "r"},
    ).get_json()
    assert (refund["points_reversed"], refund["points_uncollected"]) == (0, 1500)
    points = client.get("/api/v1/me/points", headers=member.headers).get_json()
    assert points["qualifying_points"] == 0
    with app.app_context():
        assert integrity_problems() == []


def test_unicode_digits_in_a_card_number_are_a_422(client, program):
    res = purchase(client, program, "²" * 16, "5.00")
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == "invalid_card_number"


def test_a_huge_cursor_is_a_400(client, program):
    import base64

    member = signup(client)
    cursor = base64.urlsafe_b64encode(b"e:" + b"9" * 40).decode().rstrip("=")
    res = client.get(f"/api/v1/me/points/history?cursor={cursor}", headers=member.headers)
    assert (res.status_code, res.get_json()["error"]["code"]) == (400, "invalid_cursor")


def test_points_without_a_return_window_are_reported_available(client, program):
    client.patch(
        "/api/v1/admin/program",
        json={"return_window_days": 0},
        headers=bearer(program.admin_token),
    )
    member = signup(client)
    body = purchase(client, program, member.card_number, "20.00").get_json()
    assert body["points_status"] == "available"
    assert body["available_at"] is None
    assert body["balance"] == {"available": 20, "pending": 0}


def test_offer_changes_are_checked_as_a_whole(client, program):
    admin = bearer(program.admin_token)
    now = utcnow()
    offer = client.post(
        "/api/v1/admin/offers",
        json={
            "title": {"en": "Gift"},
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
            "benefit": "gift_points",
            "points": 10,
            "total_cap": 5,
        },
        headers=admin,
    ).get_json()
    url = f"/api/v1/admin/offers/{offer['id']}"
    member = signup(client)
    client.post(
        f"/api/v1/offers/{offer['id']}/claim", headers=member.headers | {"Idempotency-Key": "c"}
    )
    cases = [
        {"benefit": "multiplier"},  # no multiplier set
        {"points": None},
        {"ends_at": (now - timedelta(days=1)).isoformat()},
        {"total_cap": 0},
    ]
    for changes in cases:
        res = client.patch(url, json=changes, headers=admin)
        assert res.status_code == 422, changes
    after = client.get("/api/v1/admin/offers", headers=admin).get_json()[0]
    assert (after["benefit"], after["points"], after["total_cap"]) == ("gift_points", 10, 5)


def test_cap_below_the_claims_already_made_is_refused(client, program):
    admin = bearer(program.admin_token)
    now = utcnow()
    offer = client.post(
        "/api/v1/admin/offers",
        json={
            "title": {"en": "Gift"},
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
            "benefit": "gift_points",
            "points": 10,
        },
        headers=admin,
    ).get_json()
    for i in range(2):
        m = signup(client, f"cap{i}@test.example")
        client.post(
            f"/api/v1/offers/{offer['id']}/claim", headers=m.headers | {"Idempotency-Key": "c"}
        )
    res = client.patch(f"/api/v1/admin/offers/{offer['id']}", json={"total_cap": 1}, headers=admin)
    assert res.status_code == 422
    assert "total_cap" in res.get_json()["error"]["details"]["fields"]


def test_requeue_that_loses_to_a_newer_job_finishes_instead_of_crashing(app, monkeypatch):
    calls = []

    def failing(payload):
        calls.append(payload)
        if payload["n"] == 1:
            # Meanwhile a newer change for the same pass committed its own pending job.
            with app.app_context():
                db.session.add(OutboxJob(topic="test.race", payload={"n": 2}, dedupe_key="p"))
                db.session.commit()
            raise RuntimeError("remote 500")

    outbox.handler("test.race")(failing)
    monkeypatch.setattr(outbox, "_superseded", lambda session, job: False)
    with app.app_context():
        app.extensions["celery"].conf.task_always_eager = False
        try:
            outbox.enqueue("test.race", {"n": 1}, dedupe_key="p")
            db.session.commit()
        finally:
            app.extensions["celery"].conf.task_always_eager = True
        assert outbox.dispatch() == 2
        statuses = [j.status for j in db.session.scalars(select(OutboxJob).order_by(OutboxJob.id))]
    assert statuses == ["done", "done"]
    assert [c["n"] for c in calls] == [1, 2]


def test_production_refuses_a_weak_jwt_secret():
    with pytest.raises(RuntimeError, match="JWT_SECRET_KEY"):
        create_app(
            {
                "APP_ENV": "production",
                "SECRET_KEY": "x" * 40,
                "JWT_SECRET_KEY": "short",
                "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db",
            }
        )
