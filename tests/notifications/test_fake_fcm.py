"""The fake FCM itself refuses what real FCM refuses, so the sender tests can fail."""

from __future__ import annotations

import ssl

import httpx
import pytest

from tests.fakes.fcm import FCM_ERROR_TYPE, FakeFcm, validate_message

GOOD = {
    "message": {
        "fid": "fid-1",
        "notification": {"title": "t", "body": "b"},
        "data": {"deep_link": "loyalty://x"},
        "android": {"collapse_key": "c", "ttl": "3600s", "priority": "high"},
        "apns": {"headers": {"apns-expiration": "1767225600", "apns-collapse-id": "c"}},
    }
}


def test_a_well_formed_message_passes() -> None:
    assert validate_message(GOOD) == []


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"data": {"a": "b"}}, "message"),  # no target
        ({"token": "t", "fid": "f"}, "message"),  # two targets
        ({"fid": ""}, "message.fid"),
        ({"fid": "f", "data": {"points": 5}}, "message.data[points]"),
        ({"fid": "f", "data": {"google.x": "1"}}, "message.data.google.x"),
        ({"fid": "f", "android": {"ttl": 3600}}, "message.android.ttl"),
        ({"fid": "f", "android": {"ttl": "1h"}}, "message.android.ttl"),
        ({"fid": "f", "android": {"ttl": "2419201s"}}, "message.android.ttl"),
        ({"fid": "f", "android": {"priority": "urgent"}}, "message.android.priority"),
        (
            {"fid": "f", "apns": {"headers": {"apns-expiration": 1767225600}}},
            "message.apns.headers",
        ),
        (
            {"fid": "f", "apns": {"headers": {"apns-expiration": "tomorrow"}}},
            "message.apns.headers.apns-expiration",
        ),
        ({"fid": "f", "apns": {"headers": {"apns-collapse-id": "c" * 65}}}, "message.apns.headers"),
        ({"fid": "f", "notification": {"title": 1}}, "message.notification.title"),
        ({"fid": "f", "colour": "red"}, "message.colour"),
    ],
)
def test_malformed_messages_are_flagged(message: dict, field: str) -> None:
    problems = validate_message({"message": message})
    assert any(path.startswith(field) for path, _ in problems), problems


def _client(fake: FakeFcm) -> httpx.Client:
    return httpx.Client(
        verify=ssl.create_default_context(cafile=str(fake.materials.ca_file)), http2=True
    )


def test_requests_without_a_token_from_the_token_endpoint_are_refused(fake_fcm: FakeFcm) -> None:
    with _client(fake_fcm) as client:
        response = client.post(
            f"{fake_fcm.url}/v1/projects/loyalty-test/messages:send",
            json=GOOD,
            headers={"Authorization": "Bearer made-up"},
        )
    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"


def test_token_endpoint_checks_the_assertion_signature(fake_fcm: FakeFcm) -> None:
    with _client(fake_fcm) as client:
        response = client.post(
            fake_fcm.token_uri,
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
            },
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert fake_fcm.token_requests == 0


def test_errors_use_fcm_error_format(fake_fcm: FakeFcm, fcm_app) -> None:
    # Through an authorized request: the token comes from the real google-auth flow.
    token = fcm_app.credential.get_access_token().access_token
    fake_fcm.fail("fid-1", "UNREGISTERED")
    with _client(fake_fcm) as client:
        response = client.post(
            f"{fake_fcm.url}/v1/projects/loyalty-test/messages:send",
            json=GOOD,
            headers={"Authorization": f"Bearer {token}"},
        )
        bad = client.post(
            f"{fake_fcm.url}/v1/projects/loyalty-test/messages:send",
            json={"message": {"fid": "fid-2", "android": {"ttl": "soon"}}},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.http_version == "HTTP/2"
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["status"] == "NOT_FOUND"
    assert {"@type": FCM_ERROR_TYPE, "errorCode": "UNREGISTERED"} in error["details"]
    assert bad.status_code == 400
    details = bad.json()["error"]["details"]
    assert details[1]["fieldViolations"][0]["field"] == "message.android.ttl"
    assert fake_fcm.violations == [("message.android.ttl", 'must be a duration like "3600s"')]
