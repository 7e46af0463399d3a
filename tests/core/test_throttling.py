"""Throttling: failed logins per account (a lock with Retry-After, the same for every email),
sign-ups per address, and limits kept in the shared storage rather than a worker's memory."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.conftest import make_app
from tests.support import seed_program, signup

REDIS_URL = os.environ.get("REDIS_URL")
PASSWORD = "member-password-1"


def _login(client, email: str, password: str):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


@pytest.fixture
def locking_app(app):
    app.config["LOGIN_ACCOUNT_LIMIT"] = "3 per 15 minutes"
    app.config["LOGIN_RATE_LIMIT"] = "100 per minute"
    return app


def test_failed_logins_lock_the_account_with_retry_after(locking_app, program):
    client = locking_app.test_client()
    signup(client, "target@test.example")
    codes = [_login(client, "target@test.example", f"guess-{i}").status_code for i in range(3)]
    assert codes == [401, 401, 401]
    # Locked: even the right password is not tried until the window has passed.
    locked = _login(client, "target@test.example", PASSWORD)
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # Another account from the same address is not locked.
    signup(client, "bystander@test.example")
    assert _login(client, "bystander@test.example", PASSWORD).status_code == 200


def test_the_lock_is_the_same_for_an_email_without_an_account(locking_app, program):
    client = locking_app.test_client()
    signup(client, "real@test.example")
    answers = {}
    for email in ("real@test.example", "ghost@test.example"):
        for i in range(3):
            _login(client, email, f"guess-{i}")
        locked = _login(client, email, PASSWORD)
        answers[email] = (locked.status_code, locked.get_json(), "Retry-After" in locked.headers)
    assert answers["real@test.example"] == answers["ghost@test.example"]
    assert answers["real@test.example"][0] == 429


def test_the_account_is_the_email_however_it_is_typed(locking_app, program):
    client = locking_app.test_client()
    signup(client, "case@test.example")
    for email in ("Case@Test.example", " case@test.example", "CASE@TEST.EXAMPLE"):
        assert _login(client, email, "wrong-password").status_code == 401
    assert _login(client, "case@test.example", PASSWORD).status_code == 429


def test_successful_logins_do_not_count(locking_app, program):
    client = locking_app.test_client()
    signup(client, "often@test.example")
    assert [_login(client, "often@test.example", PASSWORD).status_code for _ in range(6)] == [
        200
    ] * 6


def test_a_successful_login_starts_the_count_of_failures_again(locking_app, program):
    client = locking_app.test_client()
    signup(client, "typo@test.example")
    codes = [
        _login(client, " Typo@test.example", password).status_code
        for password in ("typo-1", "typo-2", PASSWORD, "typo-3", "typo-4", PASSWORD)
    ]
    # Without the reset the fourth failure would have been the third in the window: locked.
    assert codes == [401, 401, 200, 401, 401, 200]
    # Three failures after the last success still lock the account.
    codes = [_login(client, "typo@test.example", f"again-{i}").status_code for i in range(3)]
    assert codes == [401, 401, 401]
    assert _login(client, "typo@test.example", PASSWORD).status_code == 429


def test_signups_are_limited_per_address(app, program):
    app.config["SIGNUP_RATE_LIMIT"] = "2 per hour"
    client = app.test_client()
    signup(client, "one@test.example")
    signup(client, "two@test.example")
    third = client.post(
        "/api/v1/auth/signup",
        json={"email": "three@test.example", "password": PASSWORD, "name": "x", "language": "en"},
    )
    assert third.status_code == 429
    assert third.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in third.headers


@pytest.mark.redis
def test_the_lock_lives_in_redis_and_holds_for_every_worker(tmp_path):
    """A worker started after the failures (its own memory, the same Redis) sees the lock."""
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    shared = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        # A key space of this run's own on the shared Redis.
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        "LOGIN_ACCOUNT_LIMIT": "3 per 15 minutes",
    }
    first = make_app("sqlite", tmp_path, **shared)
    seed_program(first)
    client = first.test_client()
    signup(client, "shared@test.example")
    for i in range(3):
        assert _login(client, "shared@test.example", f"guess-{i}").status_code == 401
    second = make_app("sqlite", tmp_path, **shared)
    assert _login(second.test_client(), "shared@test.example", PASSWORD).status_code == 429
    # The contrast: with memory storage a new process would have forgotten the failures.
    third = make_app("sqlite", tmp_path, **(shared | {"RATELIMIT_STORAGE_URI": "memory://"}))
    assert _login(third.test_client(), "shared@test.example", PASSWORD).status_code == 200
