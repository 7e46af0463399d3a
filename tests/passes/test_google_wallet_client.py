"""The Wallet REST client through the real google-auth AuthorizedSession, against a local fake."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import jwt
import pytest

from passes.google.client import (
    IssuerRateLimit,
    NotificationBudget,
    RecordingWalletClient,
    WalletApiClient,
    WalletOutcome,
    generate_dev_service_account,
    sync_loyalty_object,
)
from passes.google.objects import (
    GoogleWalletSettings,
    loyalty_class,
    loyalty_object,
    loyalty_object_changes,
)
from tests.fakes.google_wallet import FakeGoogleWallet

ISSUER = "3388000000022212345"


@pytest.fixture(scope="module")
def service_account():
    return generate_dev_service_account("lumo-wallet")


@pytest.fixture
def google(service_account):
    with FakeGoogleWallet(service_account) as fake:
        yield fake


@pytest.fixture
def settings() -> GoogleWalletSettings:
    return GoogleWalletSettings(issuer_id=ISSUER, origins=("https://app.lumo.example",))


@pytest.fixture
def client(google, service_account) -> WalletApiClient:
    return WalletApiClient.from_service_account(
        service_account, base_url=google.api_url, token_uri=google.token_uri, issuer_id=ISSUER
    )


@pytest.fixture
def saved(client, google, program_info, card, settings) -> str:
    """The member's object as it is after they saved the pass."""
    assert client.insert_loyalty_class(loyalty_class(program_info, settings)).ok
    assert client.insert_loyalty_object(loyalty_object(program_info, card, settings)).ok
    google.requests.clear()
    return settings.object_id(card)


def test_patch_sends_the_new_balance_with_a_google_auth_token(
    client, google, saved, service_account, program_info, card
):
    changes = loyalty_object_changes(program_info, replace(card, points_available=1400))
    result = client.patch_loyalty_object(saved, changes)

    assert result.outcome is WalletOutcome.OK
    (request,) = google.requests
    assert request.method == "PATCH"
    assert request.path == f"/walletobjects/v1/loyaltyObject/{saved}"
    assert request.body["loyaltyPoints"]["balance"] == {"int": 1400}
    assert "notifyPreference" not in request.body
    assert google.objects[saved]["loyaltyPoints"]["balance"] == {"int": 1400}
    # PATCH keeps what it did not mention.
    assert google.objects[saved]["barcode"]["value"] == card.card_number
    # The bearer token is the one the token endpoint issued for google-auth's signed assertion.
    token = request.headers["authorization"].removeprefix("Bearer ")
    assert token in google.access_tokens
    grant = google.token_requests[-1]
    assert jwt.get_unverified_header(grant["assertion"])["kid"] == service_account["private_key_id"]


def test_notify_sets_notify_preference_for_that_call_only(
    client, google, saved, program_info, card
):
    changes = loyalty_object_changes(program_info, replace(card, points_available=1500))
    assert client.patch_loyalty_object(saved, changes, notify=True).ok
    assert google.requests[-1].body["notifyPreference"] == "NOTIFY_ON_UPDATE"
    assert "notifyPreference" not in google.objects[saved]


def test_patching_a_pass_never_saved_is_not_found(client, program_info, card, settings):
    result = client.patch_loyalty_object(
        f"{ISSUER}.never-saved", loyalty_object_changes(program_info, card)
    )
    assert result.outcome is WalletOutcome.NOT_FOUND
    assert result.status == 404
    assert "not found" in result.error


def test_inserting_twice_is_a_conflict(client, saved, program_info, card, settings):
    result = client.insert_loyalty_object(loyalty_object(program_info, card, settings))
    assert result.outcome is WalletOutcome.CONFLICT


@pytest.mark.parametrize(
    ("status", "outcome", "retry_after"),
    [
        (429, WalletOutcome.RETRY, 7.0),
        (503, WalletOutcome.RETRY, None),
        (500, WalletOutcome.RETRY, None),
        (400, WalletOutcome.FAILED, None),
        (403, WalletOutcome.FAILED, None),
    ],
)
def test_google_errors_are_classified(
    client, google, saved, program_info, card, status, outcome, retry_after
):
    google.fail_next.append((status, "injected"))
    result = client.patch_loyalty_object(saved, loyalty_object_changes(program_info, card))
    assert (result.status, result.outcome, result.retry_after) == (status, outcome, retry_after)
    assert result.error == "injected failure"


def test_a_key_google_does_not_know_fails_without_retry(google, program_info, card):
    stranger = generate_dev_service_account("stranger")
    client = WalletApiClient.from_service_account(
        stranger, base_url=google.api_url, token_uri=google.token_uri
    )
    result = client.patch_loyalty_object(f"{ISSUER}.x", loyalty_object_changes(program_info, card))
    assert result.outcome is WalletOutcome.FAILED
    assert "access token" in result.error
    assert google.requests == []


def test_unreachable_api_is_retryable(service_account, google, program_info, card):
    client = WalletApiClient.from_service_account(
        service_account, base_url="http://127.0.0.1:9/walletobjects/v1", token_uri=google.token_uri
    )
    result = client.patch_loyalty_object(f"{ISSUER}.x", loyalty_object_changes(program_info, card))
    assert result.outcome is WalletOutcome.RETRY


def test_issuer_rate_limit_holds_requests_back(google, service_account, saved, program_info, card):
    limited = WalletApiClient.from_service_account(
        service_account,
        base_url=google.api_url,
        token_uri=google.token_uri,
        issuer_id=ISSUER,
        rate_limit=IssuerRateLimit("2 per minute"),
    )
    changes = loyalty_object_changes(program_info, card)
    results = [limited.patch_loyalty_object(saved, changes) for _ in range(3)]
    assert [r.outcome for r in results] == [WalletOutcome.OK, WalletOutcome.OK, WalletOutcome.RETRY]
    assert 0 < results[2].retry_after <= 60
    assert len(google.requests) == 2  # the third never left


def test_balance_changes_notify_at_most_three_times_a_day(
    client, google, saved, program_info, card
):
    budget = NotificationBudget()
    for points in (1300, 1350, 1400, 1450):
        changes = loyalty_object_changes(program_info, replace(card, points_available=points))
        assert sync_loyalty_object(client, budget, saved, changes, balance_changed=True).ok
    notified = ["notifyPreference" in r.body for r in google.requests]
    assert notified == [True, True, True, False]
    assert google.objects[saved]["loyaltyPoints"]["balance"] == {"int": 1450}


def test_a_failed_patch_does_not_use_up_the_budget(client, google, saved, program_info, card):
    budget = NotificationBudget(limit="1 per day")
    changes = loyalty_object_changes(program_info, card)
    google.fail_next.append((503, "backendError"))
    assert sync_loyalty_object(client, budget, saved, changes, True).retryable
    assert sync_loyalty_object(client, budget, saved, changes, True).ok
    assert [("notifyPreference" in r.body) for r in google.requests] == [True, True]
    assert not budget.available(saved)


def test_a_tier_only_change_does_not_notify(client, google, saved, program_info, card):
    changes = loyalty_object_changes(program_info, replace(card, tier="platinum"))
    assert sync_loyalty_object(client, NotificationBudget(), saved, changes, False).ok
    assert "notifyPreference" not in google.requests[-1].body


def test_recording_client_records_and_flags_schema_problems(
    program_info, card, settings, caplog, monkeypatch
):
    # Alembic's env.py runs logging.config.fileConfig, which disables every logger that exists
    # by then when other suites run migrations first; this test is about our warning.
    monkeypatch.setattr(logging.getLogger("passes.google.client"), "disabled", False)
    recorder = RecordingWalletClient()
    assert recorder.insert_loyalty_class(loyalty_class(program_info, settings)).ok
    assert recorder.insert_loyalty_object(loyalty_object(program_info, card, settings)).ok
    object_id = settings.object_id(card)
    budget = NotificationBudget()
    changes = loyalty_object_changes(program_info, replace(card, points_available=7))
    assert sync_loyalty_object(recorder, budget, object_id, changes, True).ok
    assert recorder.objects[object_id]["loyaltyPoints"]["balance"] == {"int": 7}
    assert [c.method for c in recorder.calls] == ["POST", "POST", "PATCH"]
    assert recorder.calls[2].body["notifyPreference"] == "NOTIFY_ON_UPDATE"
    assert all(c.problems == () for c in recorder.calls)

    bad = recorder.patch_loyalty_object(object_id, {"loyaltyPoints": {"balance": {"int": "7"}}})
    assert bad.ok  # recorded, not refused: a development stand-in must not stall the jobs
    assert recorder.calls[-1].problems
    assert "expected an integer" in caplog.text
    assert recorder.patch_loyalty_object(f"{ISSUER}.unknown", changes).outcome is (
        WalletOutcome.NOT_FOUND
    )


def _redis_url_db3() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/3", "", ""))  # this feature's Redis db


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_notification_budget_is_shared_through_redis():
    import uuid

    url = _redis_url_db3()
    object_id = f"{ISSUER}.budget-{uuid.uuid4().hex}"
    worker_a, worker_b = NotificationBudget(storage_uri=url), NotificationBudget(storage_uri=url)
    assert worker_a.spend(object_id) and worker_b.spend(object_id) and worker_a.spend(object_id)
    assert not worker_b.available(object_id)
    assert not worker_b.spend(object_id)
    assert NotificationBudget(storage_uri=url).available(f"{object_id}-other")
