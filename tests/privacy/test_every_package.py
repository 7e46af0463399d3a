"""A member with activity in every package: the export has each package's part; after erasure
the member is nowhere in the database, the wallets and devices were told, and the program's
accounts add up as before."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from openapi_schema_validator import OAS30Validator
from sqlalchemy import func, select

from app import outbox
from app.extensions import db
from app.ledger.service import integrity_problems, release_due
from app.models_base import utcnow
from app.offers.service import record_holdouts
from app.privacy.export import export_parts
from tests.challenges import games as games_helpers
from tests.passes.device import Device, WalletPass
from tests.privacy.helpers import columns_holding, program_totals
from tests.support import bearer, purchase, seed_program, signup

EMAIL, NAME = "quillon.ashgrove@test.example", "Quillon Ashgrove"
PASSWORD = "member-password-1"
PUSH_TOKEN = "c3" * 32
OTHER_TOKEN = "d4" * 32


@pytest.fixture
def program(full_app):
    return seed_program(full_app)


@pytest.fixture
def client(full_app):
    return full_app.test_client()


def _campaign(client, program) -> str:
    admin = bearer(program.admin_token)
    texts = {
        "title": {"en": "Hi {name}", "fi": "Hei {name}"},
        "body": {"en": "Double points, {name}.", "fi": "Tuplapisteet, {name}."},
    }
    res = client.post("/api/v1/admin/campaigns", json={"name": "All", **texts}, headers=admin)
    assert res.status_code == 201, res.get_json()
    campaign = res.get_json()["id"]
    sent = client.post(f"/api/v1/admin/campaigns/{campaign}/send", headers=admin)
    assert sent.status_code == 202, sent.get_json()
    return campaign


@pytest.fixture
def busy(full_app, client, program):
    """The member, with a purchase, a wallet pass on a device (beside another member's pass on
    the same device), a Google object, an app installation and a campaign push."""
    member = signup(client, EMAIL, name=NAME)
    neighbour = signup(client, "neighbour@test.example", name="Neighbour")
    games = _games(full_app, client, program, member)
    bought = purchase(client, program, member.card_number, "88.00").get_json()
    client.post(
        f"/api/v1/transactions/{bought['id']}/refunds",
        json={"amount": "8.00"},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": uuid.uuid4().hex},
    )
    with full_app.app_context():
        release_due(utcnow() + timedelta(days=15))
    purchase(client, program, member.card_number, "12.00")
    admin = bearer(program.admin_token)
    reward = client.post(
        "/api/v1/admin/rewards", json={"name": "Tea", "cost_points": 10}, headers=admin
    ).get_json()
    res = client.post(
        f"/api/v1/rewards/{reward['id']}/redeem",
        headers=member.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert res.status_code == 201, res.get_json()
    now = utcnow()
    offer = client.post(
        "/api/v1/admin/offers",
        json={
            "title": {"en": "Gift"},
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "benefit": "gift_points",
            "points": 10,
        },
        headers=admin,
    ).get_json()
    res = client.post(
        f"/api/v1/offers/{offer['id']}/claim",
        headers=member.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert res.status_code == 201, res.get_json()
    # An offer measured with a holdout: the member's group is recorded at its start.
    measured = client.post(
        "/api/v1/admin/offers",
        json={
            "title": {"en": "Measured"},
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "benefit": "gift_points",
            "points": 10,
            "holdout_percent": 50,
        },
        headers=admin,
    )
    assert measured.status_code == 201, measured.get_json()
    with full_app.app_context():
        assert record_holdouts(now + timedelta(seconds=1)) == 1
    phone = Device(client, "device-phone-privacy", PUSH_TOKEN)
    mine = WalletPass.from_pkpass(
        client.get("/api/v1/me/passes/apple", headers=member.headers).data
    )
    theirs = WalletPass.from_pkpass(
        client.get("/api/v1/me/passes/apple", headers=neighbour.headers).data
    )
    assert phone.register(mine).status_code == 201
    assert phone.register(theirs).status_code == 201
    google = client.get("/api/v1/me/passes/google", headers=member.headers).get_json()
    res = client.post(
        "/api/v1/me/devices",
        json={"platform": "android", "fid": f"fid-{uuid.uuid4().hex}", "app_version": "2.4.0"},
        headers=member.headers,
    )
    assert res.status_code == 201, res.get_json()
    _campaign(client, program)
    # The leaderboard's end, its close by an admin, and its prizes once nothing is refundable.
    games_helpers.end_now(full_app, games["contest"])
    closed = client.post(f"/api/v1/admin/contests/{games['contest']}/close", headers=admin)
    assert closed.status_code == 200, closed.get_json()
    games_helpers.settle_later(full_app)
    return {
        "member": member,
        "pass": mine,
        "theirs": theirs,
        "phone": phone,
        "google": google,
        "games": games,
    }


def _games(full_app, client, program, member) -> dict:
    """A quiz taken, a challenge joined (completed by the next purchase, with a badge), a
    leaderboard the purchases count on, and a sweepstakes entered."""
    quiz = games_helpers.make_quiz(client, program)
    attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts", headers=member.headers)
    assert attempt.status_code == 201, attempt.get_json()
    submitted = client.post(
        f"/api/v1/quiz-attempts/{attempt.get_json()['id']}/submit",
        json={"answers": games_helpers.right_answers(quiz)},
        headers=member.headers,
    )
    assert submitted.status_code == 200, submitted.get_json()
    games_helpers.make_badge(client, program, "privacy-star")
    challenge = games_helpers.make_challenge(
        client, program, opt_in=True, target=1, reward_badge_code="privacy-star"
    )
    joined = client.post(f"/api/v1/challenges/{challenge['id']}/join", headers=member.headers)
    assert joined.status_code in (200, 201), joined.get_json()
    contest = games_helpers.make_contest(client, program)
    draw = games_helpers.make_contest(
        client, program, kind="sweepstakes", metric=None, free_entry=True, name={"en": "Draw"}
    )
    entered = client.post(f"/api/v1/contests/{draw['id']}/entries", headers=member.headers)
    assert entered.status_code == 201, entered.get_json()
    return {"contest": contest["id"], "draw": draw["id"]}


def test_the_export_has_every_packages_part(full_app, client, busy):
    member = busy["member"]
    res = client.get("/api/v1/me/export", headers=member.headers)
    assert res.status_code == 200 and res.is_streamed
    body = json.loads(res.get_data(as_text=True))
    names = [p.name for p in export_parts(full_app)]
    assert list(body)[4:] == names
    # Every part has the member's activity in it.
    for name in names:
        assert body[name], name
    assert body["profile"]["email"] == EMAIL
    assert body["apple_passes"][0]["serial_number"] == busy["pass"].serial
    assert [r["device_library_id"] for r in body["apple_passes"][0]["registrations"]] == [
        "device-phone-privacy"
    ]
    assert body["google_passes"][0]["object_id"] == busy["google"]["object_id"]
    assert body["push_devices"][0]["platform"] == "android"
    assert "fid" not in body["push_devices"][0]
    (delivery,) = [d for d in body["push_deliveries"] if d["kind"] == "campaign"]
    assert NAME in delivery["title"] + delivery["body"]
    assert body["notification_preferences"]["points_earned"] is True
    assert body["quiz_attempts"][0]["status"] == "submitted"
    assert [b["source"] for b in body["badges"]]
    assert body["contest_prizes"][0]["rank"] == 1
    assert {e["contest_id"] for e in body["contest_entries"]} == {busy["games"]["draw"]}
    # No secret of the pass, the sessions or the devices is in it.
    text = json.dumps(body)
    assert busy["pass"].token not in text and PUSH_TOKEN not in text
    spec = client.get("/openapi.json").get_json()
    schema = spec["paths"]["/api/v1/me/export"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    errors = list(OAS30Validator({**schema, "components": spec["components"]}).iter_errors(body))
    assert errors == [], [e.message for e in errors]


def test_after_erasure_nothing_personal_is_left_in_any_package(
    full_app, client, program, busy, fake_apns, fake_google
):
    member = busy["member"]
    with full_app.app_context():
        before = program_totals()
        assert columns_holding(EMAIL) and columns_holding(NAME)
        assert columns_holding(PUSH_TOKEN)
    fake_apns.requests.clear()
    fake_google.requests.clear()

    res = client.delete("/api/v1/me", json={"password": PASSWORD}, headers=member.headers)
    assert res.status_code == 202, res.get_json()
    assert res.get_json()["status"] == "completed"
    assert "push" in res.get_json()["steps_done"]

    with full_app.app_context():
        outbox.dispatch()
        assert columns_holding(EMAIL) == []
        assert columns_holding(NAME) == []
        # The device's push token is kept for the neighbour's pass only.
        from passes.apple.models import AppleRegistration

        assert db.session.scalar(select(func.count(AppleRegistration.id))) == 1
        assert integrity_problems() == []
        after = program_totals()
        from notifications.devices.models import Device as PushDevice

        device = db.session.scalar(select(PushDevice))
        assert (device.fid, device.token, device.active) == (None, None, False)
    forfeit = after["ledger"].pop("forfeit")
    assert forfeit[0] < 0 and forfeit[1] < 0
    assert after["purchases"] == before["purchases"]
    assert after["ledger"] == before["ledger"]
    # Wallet on the phone was told (the voided pass); Google's object is inactive, nameless.
    assert PUSH_TOKEN in {p.token for p in fake_apns.requests}
    stored = fake_google.objects[busy["google"]["object_id"]]
    assert stored["state"] == "INACTIVE"
    assert NAME not in json.dumps(stored)
    voided = busy["phone"].fetch(busy["pass"])
    assert voided.status_code == 200
    # The login is gone.
    login = client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 401


def test_the_erased_pass_on_the_phone_is_voided_and_nameless(full_app, client, busy):
    from tests.passes.device import pass_json

    client.delete("/api/v1/me", json={"password": PASSWORD}, headers=busy["member"].headers)
    with full_app.app_context():
        outbox.dispatch()
    fetched = busy["phone"].fetch(busy["pass"])
    assert fetched.status_code == 200
    document = pass_json(fetched.data)
    assert document["voided"] is True
    assert NAME not in json.dumps(document)


def test_campaigns_follow_the_current_consent_and_sending_is_audited(full_app, client, program):
    from notifications.delivery.models import Delivery

    keen = signup(client, "keen@test.example", marketing_consent=True)
    changed = signup(client, "changed@test.example", marketing_consent=True)
    for member in (keen, changed):
        client.post(
            "/api/v1/me/devices",
            json={"platform": "ios", "fid": f"fid-{uuid.uuid4().hex}"},
            headers=member.headers,
        )
    res = client.put(
        "/api/v1/me/consents",
        json={"consents": [{"purpose": "marketing_push", "granted": False}]},
        headers=changed.headers,
    )
    assert res.status_code == 200
    campaign = _campaign(client, program)
    with full_app.app_context():
        outbox.dispatch()
        from app.members.models import Member

        reached = db.session.scalars(
            select(Member.public_id).join(Delivery, Delivery.member_id == Member.id)
        ).all()
    assert reached == [keen.id]
    trail = client.get(
        "/api/v1/admin/audit?action=campaign.send", headers=bearer(program.admin_token)
    ).get_json()["events"]
    assert [(e["target_type"], e["target_id"]) for e in trail] == [("campaign", campaign)]
    assert (trail[0]["before"]["status"], trail[0]["after"]["status"]) == ("draft", "sending")


def test_feature_tables_are_pruned_after_their_periods_and_campaign_counts_stay(
    full_app, client, program, busy
):
    from sqlalchemy import update

    from app.retention import service
    from notifications.campaigns.models import Campaign
    from notifications.delivery.models import Delivery
    from passes.apple.models import PassLogEntry

    admin = bearer(program.admin_token)
    (campaign,) = [c["id"] for c in client.get("/api/v1/admin/campaigns", headers=admin).get_json()]
    counts = client.get(f"/api/v1/admin/campaigns/{campaign}", headers=admin).get_json()["counts"]
    assert counts["sent"] == 1
    now = utcnow()
    with full_app.app_context():
        old = now - timedelta(days=181)
        db.session.add_all(
            [
                PassLogEntry(
                    message="old line",
                    remote_addr="198.51.100.1",
                    created_at=now - timedelta(days=31),
                ),
                PassLogEntry(
                    message="new line",
                    remote_addr="198.51.100.2",
                    created_at=now - timedelta(days=29),
                ),
            ]
        )
        db.session.execute(update(Delivery).values(created_at=old))
        db.session.commit()
        # The campaign's push and the transactional ones (points, a challenge, a prize).
        pushes = db.session.scalar(select(func.count(Delivery.id)))
        assert pushes > 1
        planned = {r.name: r.rows for r in service.plan()}
        assert planned["pass_log_entries"] == 1
        assert planned["push_deliveries"] == pushes
        # The dry run kept nothing either: the campaign's counts are kept by the run only.
        assert db.session.scalar(select(Campaign.archived_counts)) is None
        deleted = {r.name: r.rows for r in service.run()}
        assert deleted["pass_log_entries"] == 1
        assert deleted["push_deliveries"] == pushes
        assert db.session.scalar(select(func.count(Delivery.id))) == 0
        assert db.session.scalars(select(PassLogEntry.message)).all() == ["new line"]
    kept = client.get(f"/api/v1/admin/campaigns/{campaign}", headers=admin).get_json()["counts"]
    assert kept == counts


def test_closing_a_contest_is_audited(client, program, busy):
    trail = client.get(
        "/api/v1/admin/audit?action=contest.close", headers=bearer(program.admin_token)
    ).get_json()["events"]
    assert [(e["target_type"], e["target_id"]) for e in trail] == [
        ("contest", busy["games"]["contest"])
    ]
    assert (trail[0]["before"]["status"], trail[0]["after"]["status"]) == ("open", "settling")
