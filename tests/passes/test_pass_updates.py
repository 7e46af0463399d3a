"""Points and tier changes reach the passes: APNs pushes to the fake APNs (a real HTTP/2 server),
PATCHes to the fake Google Wallet API, both from outbox jobs."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select, update

from app import outbox
from app.extensions import db
from app.ledger.service import release_due
from app.models_base import utcnow
from app.outbox import OutboxJob
from passes.apple.dev_certs import dev_chain_paths
from passes.apple.models import AppleRegistration
from passes.apple.signing import load_certificate
from passes.google import discovery
from passes.google.models import GooglePass
from tests.passes.conftest import APP_PASS_TYPE_ID, GOOGLE_ISSUER, GOOGLE_ORIGIN
from tests.passes.device import Device, WalletPass, field, pass_json
from tests.support import bearer, purchase, signup

TOKEN_A = "a1" * 32
TOKEN_B = "b2" * 32


@pytest.fixture
def member(client, program):
    return signup(client, "aino@test.example", name="Aino Virtanen")


@pytest.fixture
def wallet_pass(client, member) -> WalletPass:
    return WalletPass.from_pkpass(
        client.get("/api/v1/me/passes/apple", headers=member.headers).data
    )


@pytest.fixture
def devices(client, wallet_pass) -> tuple[Device, Device]:
    phone = Device(client, "device-phone-0001", TOKEN_A)
    watch = Device(client, "device-watch-0002", TOKEN_B)
    assert phone.register(wallet_pass).status_code == 201
    assert watch.register(wallet_pass).status_code == 201
    return phone, watch


def release_everything(app) -> None:
    with app.app_context():
        assert release_due(now=utcnow() + timedelta(days=30)) > 0


def jobs(app, topic: str) -> list[OutboxJob]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxJob).where(OutboxJob.topic == topic)))
        db.session.expunge_all()
        return found


# -- Apple: APNs ------------------------------------------------------------------------------


def test_a_purchase_pushes_every_registered_device_and_the_pass_shows_the_new_balance(
    app, client, program, member, wallet_pass, devices, fake_apns, passes_dev_dir
):
    phone, watch = devices
    tag = phone.updated(wallet_pass).get_json()["lastUpdated"]

    assert purchase(client, program, member.card_number, "40.00").status_code == 201

    pushes = fake_apns.requests
    assert sorted(p.token for p in pushes) == sorted([TOKEN_A, TOKEN_B])
    pass_certificate = load_certificate(dev_chain_paths(passes_dev_dir).certificate)
    for push in pushes:
        assert push.method == "POST"
        assert push.path == f"/3/device/{push.token}"
        assert push.headers["apns-topic"] == APP_PASS_TYPE_ID
        assert push.body == b"{}"
        assert push.alpn == "h2"
        assert push.client_cert == pass_certificate
    # What each device does on the push: list, then fetch.
    for device in devices:
        listed = device.updated(wallet_pass, since=tag)
        assert listed.get_json()["serialNumbers"] == [wallet_pass.serial]
    document = pass_json(phone.fetch(wallet_pass).data)
    assert field(document, "secondaryFields", "pending")["value"] == 40
    assert field(document, "primaryFields", "points")["value"] == 0

    # The return window passes: the points become available, and the devices hear of it.
    fake_apns.requests.clear()
    release_everything(app)
    assert sorted(p.token for p in fake_apns.requests) == sorted([TOKEN_A, TOKEN_B])
    document = pass_json(watch.fetch(wallet_pass).data)
    assert field(document, "primaryFields", "points")["value"] == 40
    assert field(document, "primaryFields", "points")["changeMessage"] == "You now have %@ points"
    assert field(document, "secondaryFields", "pending")["value"] == 0


def test_a_burst_of_changes_is_one_push_per_device(
    app, client, program, member, wallet_pass, devices, fake_apns
):
    phone, _ = devices
    tag = int(phone.updated(wallet_pass).get_json()["lastUpdated"])
    celery = app.extensions["celery"]
    celery.conf.task_always_eager = False  # hold the jobs back, as a busy worker pool would
    try:
        for amount in ("10.00", "20.00", "30.00"):
            assert purchase(client, program, member.card_number, amount).status_code == 201
    finally:
        celery.conf.task_always_eager = True
    assert fake_apns.requests == []

    with app.app_context():
        outbox.dispatch()

    assert sorted(p.token for p in fake_apns.requests) == sorted([TOKEN_A, TOKEN_B])
    assert [j.status for j in jobs(app, "passes.apns_push")] == ["done"]
    listed = phone.updated(wallet_pass, since=str(tag)).get_json()
    assert int(listed["lastUpdated"]) == tag + 1  # one new tag for the whole burst
    assert field(pass_json(phone.fetch(wallet_pass).data), "secondaryFields", "pending")[
        "value"
    ] == (10 + 20 + 30)


def test_a_410_from_apns_removes_that_devices_registration(
    app, client, program, member, wallet_pass, devices, fake_apns
):
    phone, watch = devices
    fake_apns.gone_tokens.add(TOKEN_B)

    purchase(client, program, member.card_number, "10.00")

    assert sorted(p.token for p in fake_apns.requests) == sorted([TOKEN_A, TOKEN_B])
    assert watch.updated(wallet_pass).status_code == 204
    assert phone.updated(wallet_pass).status_code == 200
    with app.app_context():
        assert list(db.session.scalars(select(AppleRegistration.push_token))) == [TOKEN_A]

    fake_apns.requests.clear()
    purchase(client, program, member.card_number, "10.00")
    assert [p.token for p in fake_apns.requests] == [TOKEN_A]


def test_an_apns_outage_is_retried_later_and_then_delivered(
    app, client, program, member, wallet_pass, devices, fake_apns
):
    fake_apns.status_for_token[TOKEN_A] = (503, "ServiceUnavailable")

    purchase(client, program, member.card_number, "10.00")

    (job,) = jobs(app, "passes.apns_push")
    assert (job.status, job.attempts) == ("pending", 1)
    assert "ServiceUnavailable" in job.last_error
    assert job.available_at > utcnow()

    del fake_apns.status_for_token[TOKEN_A]
    fake_apns.requests.clear()
    with app.app_context():
        db.session.execute(update(OutboxJob).values(available_at=utcnow()))
        db.session.commit()
        assert outbox.dispatch() == 1
    assert sorted(p.token for p in fake_apns.requests) == sorted([TOKEN_A, TOKEN_B])
    assert [j.status for j in jobs(app, "passes.apns_push")] == ["done"]


def test_a_tier_upgrade_reaches_the_pass(app, client, program, member, wallet_pass, devices):
    phone, _ = devices
    purchase(client, program, member.card_number, "1000.00")  # gold from 1,000 points
    document = pass_json(phone.fetch(wallet_pass).data)
    assert field(document, "secondaryFields", "tier")["value"] == "Gold"
    assert document["backgroundColor"] == "rgb(201, 162, 39)"  # the gold tier's colour
    assert "Free delivery" in field(document, "backFields", "privileges")["value"]


def test_members_without_passes_make_no_pass_jobs(app, client, program, fake_apns):
    someone = signup(client, "nopass@test.example")
    purchase(client, program, someone.card_number, "10.00")
    assert jobs(app, "passes.apns_push") == []
    assert jobs(app, "passes.google_sync") == []
    assert fake_apns.requests == []


def test_an_ended_membership_voids_the_apple_and_google_passes(
    app, client, program, member, wallet_pass, devices, fake_apns, fake_google
):
    phone, _ = devices
    object_id = client.get("/api/v1/me/passes/google", headers=member.headers).get_json()[
        "object_id"
    ]

    ended = client.post(
        f"/api/v1/admin/members/{member.id}/end", headers=bearer(program.admin_token)
    )
    assert ended.status_code == 200

    assert sorted(p.token for p in fake_apns.requests) == sorted([TOKEN_A, TOKEN_B])
    document = pass_json(phone.fetch(wallet_pass).data)
    assert document["voided"] is True
    assert document["expirationDate"].startswith(ended.get_json()["ended_at"][:16])
    assert fake_google.objects[object_id]["state"] == "INACTIVE"


# -- Google Wallet ----------------------------------------------------------------------------


def test_the_save_link_is_a_short_jwt_signed_with_the_issuer_key(
    client, member, fake_google, google_account
):
    info, _ = google_account
    res = client.get("/api/v1/me/passes/google", headers=member.headers)
    assert res.status_code == 200
    body = res.get_json()
    token = body["jwt"]
    assert body["save_url"] == "https://pay.google.com/gp/v/save/" + token
    assert len(body["save_url"]) < 1800

    assert jwt.get_unverified_header(token) == {
        "alg": "RS256",
        "typ": "JWT",
        "kid": info["private_key_id"],
    }
    public_key = serialization.load_pem_private_key(
        info["private_key"].encode(), password=None
    ).public_key()
    claims = jwt.decode(token, public_key, algorithms=["RS256"], audience="google")
    assert claims["iss"] == info["client_email"]
    assert claims["typ"] == "savetowallet"
    assert claims["origins"] == [GOOGLE_ORIGIN]
    class_id = f"{GOOGLE_ISSUER}.loyalty"
    assert claims["payload"] == {"loyaltyObjects": [{"id": body["object_id"], "classId": class_id}]}
    with pytest.raises(jwt.InvalidSignatureError):
        other = serialization.load_pem_private_key(
            fake_google_other_key(), password=None
        ).public_key()
        jwt.decode(token, other, algorithms=["RS256"], audience="google")

    # The class and the object exist at Google before anyone follows the link.
    loyalty_class = fake_google.classes[class_id]
    assert loyalty_class["reviewStatus"] == "UNDER_REVIEW"
    assert discovery.validate(loyalty_class, "LoyaltyClass") == []
    saved = fake_google.objects[body["object_id"]]
    assert discovery.validate(saved, "LoyaltyObject") == []
    assert saved["accountId"] == member.card_number
    assert saved["barcode"]["value"] == member.card_number
    assert saved["loyaltyPoints"]["balance"] == {"int": 0}

    # Asking again gives a link to the same object, without making anything anew.
    inserts = [r for r in fake_google.requests if r.method == "POST"]
    again = client.get("/api/v1/me/passes/google", headers=member.headers).get_json()
    assert again["object_id"] == body["object_id"]
    assert [r for r in fake_google.requests if r.method == "POST"] == inserts


def fake_google_other_key() -> bytes:
    from passes.google.client import generate_dev_service_account

    return generate_dev_service_account("someone-else")["private_key"].encode()


def test_a_purchase_patches_the_google_object_with_the_new_balance(
    app, client, program, member, fake_google
):
    object_id = client.get("/api/v1/me/passes/google", headers=member.headers).get_json()[
        "object_id"
    ]
    fake_google.requests.clear()

    purchase(client, program, member.card_number, "40.00")

    (patch,) = fake_google.requests
    assert patch.method == "PATCH"
    assert patch.path == f"/walletobjects/v1/loyaltyObject/{object_id}"
    assert patch.headers["authorization"].startswith("Bearer ya29.fake-")
    assert patch.body["secondaryLoyaltyPoints"]["balance"] == {"int": 40}
    assert patch.body["loyaltyPoints"]["balance"] == {"int": 0}
    assert "notifyPreference" not in patch.body  # what the member can spend did not change

    fake_google.requests.clear()
    release_everything(app)
    (patch,) = fake_google.requests
    assert patch.method == "PATCH"
    assert patch.body["loyaltyPoints"]["balance"] == {"int": 40}
    assert patch.body["notifyPreference"] == "NOTIFY_ON_UPDATE"
    stored = fake_google.objects[object_id]
    assert stored["loyaltyPoints"]["balance"] == {"int": 40}
    assert stored["barcode"]["value"] == member.card_number  # PATCH kept what it left out
    with app.app_context():
        assert db.session.scalar(select(GooglePass.synced_points)) == 40


def test_google_asking_to_slow_down_retries_after_its_delay(
    app, client, program, member, fake_google
):
    client.get("/api/v1/me/passes/google", headers=member.headers)
    fake_google.fail_next.append((429, "rateLimitExceeded"))

    purchase(client, program, member.card_number, "40.00")

    (job,) = jobs(app, "passes.google_sync")
    assert (job.status, job.attempts) == ("pending", 1)
    # The fake answers Retry-After: 7.
    assert timedelta(seconds=5) < job.available_at - utcnow() <= timedelta(seconds=7)
    with app.app_context():
        db.session.execute(update(OutboxJob).values(available_at=utcnow()))
        db.session.commit()
        assert outbox.dispatch() == 1
    assert [j.status for j in jobs(app, "passes.google_sync")] == ["done"]
    object_id = next(iter(fake_google.objects))
    assert fake_google.objects[object_id]["secondaryLoyaltyPoints"]["balance"] == {"int": 40}


def test_google_unreachable_on_the_save_link_is_a_clear_503(client, member, fake_google):
    fake_google.fail_next.append((503, "backendError"))
    res = client.get("/api/v1/me/passes/google", headers=member.headers)
    assert res.status_code == 503
    assert res.get_json()["error"]["code"] == "google_wallet_unavailable"
    fake_google.fail_next.append((400, "invalidArgument"))
    res = client.get("/api/v1/me/passes/google", headers=member.headers)
    assert (res.status_code, res.get_json()["error"]["code"]) == (502, "google_wallet_error")
    assert client.get("/api/v1/me/passes/google", headers=member.headers).status_code == 200


@pytest.mark.parametrize("passes_delay", ["30"])
def test_with_a_delay_changes_wait_and_ride_on_one_job(
    app, client, program, member, wallet_pass, devices, fake_apns, passes_delay
):
    for amount in ("10.00", "20.00"):
        purchase(client, program, member.card_number, amount)

    assert fake_apns.requests == []  # the job waits for the burst to end
    (job,) = jobs(app, "passes.apns_push")
    assert job.status == "pending"
    assert timedelta(seconds=25) < job.available_at - utcnow() <= timedelta(seconds=30)
    with app.app_context():
        assert outbox.dispatch() == 0
        db.session.execute(update(OutboxJob).values(available_at=utcnow()))
        db.session.commit()
        outbox.dispatch()
    assert sorted(p.token for p in fake_apns.requests) == sorted([TOKEN_A, TOKEN_B])
