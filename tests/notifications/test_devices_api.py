"""POST/GET/DELETE /api/v1/me/devices: registering the app for pushes, over HTTP."""

from __future__ import annotations

import pytest

from tests.notifications.helpers import deliveries, member_with_device
from tests.support import bearer, signup


def test_register_then_register_again_updates_the_same_device(client, program) -> None:
    member = signup(client, "dev1@test.example")
    body = {"fid": "fid-abc", "platform": "android", "app_version": "2.4.0"}
    first = client.post("/api/v1/me/devices", json=body, headers=member.headers)
    assert first.status_code == 201
    device = first.get_json()
    assert device["id"].startswith("dev_")
    assert (device["addressed_by"], device["platform"], device["active"]) == (
        "fid",
        "android",
        True,
    )
    again = client.post(
        "/api/v1/me/devices", json=body | {"app_version": "2.5.0"}, headers=member.headers
    )
    assert again.status_code == 200
    assert again.get_json()["id"] == device["id"]
    listed = client.get("/api/v1/me/devices", headers=member.headers).get_json()
    assert [(d["id"], d["app_version"]) for d in listed] == [(device["id"], "2.5.0")]


def test_legacy_token_device_that_later_reports_its_fid_stays_one_device(client, program) -> None:
    member = signup(client, "dev2@test.example")
    old = client.post(
        "/api/v1/me/devices",
        json={"token": "legacy-token-1", "platform": "ios", "app_version": "1.9"},
        headers=member.headers,
    ).get_json()
    assert old["addressed_by"] == "token"
    upgraded = client.post(
        "/api/v1/me/devices",
        json={"fid": "fid-new", "token": "legacy-token-1", "platform": "ios"},
        headers=member.headers,
    )
    assert upgraded.status_code == 200
    assert upgraded.get_json()["id"] == old["id"]
    assert upgraded.get_json()["addressed_by"] == "fid"


def test_fid_and_token_known_as_two_rows_merge_into_the_fid_device(client, program) -> None:
    member = signup(client, "dev3@test.example")
    by_token = client.post(
        "/api/v1/me/devices", json={"token": "tok-9", "platform": "android"}, headers=member.headers
    ).get_json()
    by_fid = client.post(
        "/api/v1/me/devices", json={"fid": "fid-9", "platform": "android"}, headers=member.headers
    ).get_json()
    merged = client.post(
        "/api/v1/me/devices",
        json={"fid": "fid-9", "token": "tok-9", "platform": "android"},
        headers=member.headers,
    )
    assert merged.status_code == 200
    assert merged.get_json()["id"] == by_fid["id"]
    listed = client.get("/api/v1/me/devices", headers=member.headers).get_json()
    assert [d["id"] for d in listed] == [by_fid["id"]]  # the token-only row was retired
    assert by_token["id"] != by_fid["id"]


def test_a_device_moves_to_the_member_who_registered_it_last(client, program) -> None:
    first, device = member_with_device(client)
    second = signup(client, "dev-second@test.example")
    moved = client.post(
        "/api/v1/me/devices",
        json={"fid": device["fid"], "platform": "android"},
        headers=second.headers,
    )
    assert moved.status_code == 200
    assert moved.get_json()["id"] == device["id"]
    assert client.get("/api/v1/me/devices", headers=first.headers).get_json() == []
    assert [
        d["id"] for d in client.get("/api/v1/me/devices", headers=second.headers).get_json()
    ] == [device["id"]]
    # The first member can no longer remove it.
    gone = client.delete(f"/api/v1/me/devices/{device['id']}", headers=first.headers)
    assert gone.status_code == 404
    assert gone.get_json()["error"]["code"] == "device_not_found"


def test_delete_stops_pushes_and_is_idempotent(client, program, app) -> None:
    member, device = member_with_device(client)
    url = f"/api/v1/me/devices/{device['id']}"
    assert client.delete(url, headers=member.headers).status_code == 204
    assert client.delete(url, headers=member.headers).status_code == 204
    assert client.get("/api/v1/me/devices", headers=member.headers).get_json() == []
    # No push reaches a removed device.
    from tests.support import purchase

    purchase(client, program, member.card_number, "10.00")
    assert deliveries(app) == []
    # Registering it again brings it back.
    back = client.post(
        "/api/v1/me/devices",
        json={"fid": device["fid"], "platform": "android"},
        headers=member.headers,
    )
    assert (back.status_code, back.get_json()["active"]) == (200, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "android"}, "fid"),
        ({"fid": "", "platform": "android"}, "fid"),
        ({"fid": "x", "platform": "blackberry"}, "platform"),
        ({"fid": "x"}, "platform"),
        ({"fid": "x" * 256, "platform": "ios"}, "fid"),
        ({"token": "t" * 513, "platform": "ios"}, "token"),
        ({"fid": "x", "platform": "ios", "app_version": "9" * 41}, "app_version"),
        ({"fid": "x", "platform": "ios", "colour": "red"}, "colour"),
        ({"fid": 12, "platform": "ios"}, "fid"),
    ],
)
def test_bad_registrations_are_422_with_the_field(client, program, body, field) -> None:
    member = signup(client, "bad-dev@test.example")
    res = client.post("/api/v1/me/devices", json=body, headers=member.headers)
    assert res.status_code == 422
    error = res.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"]["json"]


def test_devices_need_a_member(client, program) -> None:
    body = {"fid": "x", "platform": "ios"}
    assert client.post("/api/v1/me/devices", json=body).status_code == 401
    staff = client.post("/api/v1/me/devices", json=body, headers=bearer(program.staff_token))
    assert staff.status_code == 403
    assert (
        client.delete("/api/v1/me/devices/dev_x", headers=bearer(program.admin_token)).status_code
        == 403
    )
    malformed = client.post(
        "/api/v1/me/devices",
        data="{not json",
        content_type="application/json",
        headers=signup(client, "m@test.example").headers,
    )
    assert malformed.status_code == 400


def test_the_push_endpoints_are_in_the_openapi_document(client) -> None:
    res = client.get("/openapi.json")
    assert res.status_code == 200
    paths = res.get_json()["paths"]
    for path, method in [
        ("/api/v1/me/devices", "post"),
        ("/api/v1/me/devices/{device_id}", "delete"),
        ("/api/v1/me/notification-preferences", "patch"),
        ("/api/v1/me/notifications/{notification_id}/opened", "post"),
        ("/api/v1/admin/campaigns", "post"),
        ("/api/v1/admin/campaigns/{campaign_id}", "get"),
        ("/api/v1/admin/campaigns/{campaign_id}/send", "post"),
    ]:
        assert method in paths[path], path


PUSH_OPERATIONS = {
    ("/api/v1/me/devices", "post"): ("200", "201"),
    ("/api/v1/me/devices", "get"): ("200",),
    ("/api/v1/me/devices/{device_id}", "delete"): ("204",),
    ("/api/v1/me/notification-preferences", "get"): ("200",),
    ("/api/v1/me/notification-preferences", "patch"): ("200",),
    ("/api/v1/me/notifications/{notification_id}/opened", "post"): ("200",),
    ("/api/v1/admin/campaigns", "post"): ("201",),
    ("/api/v1/admin/campaigns", "get"): ("200",),
    ("/api/v1/admin/campaigns/{campaign_id}", "get"): ("200",),
    ("/api/v1/admin/campaigns/{campaign_id}/send", "post"): ("202",),
}


def test_every_push_operation_documents_its_answers_and_errors_in_the_app_shape(client) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    error_ref = {"$ref": "#/components/schemas/Error"}
    for (path, method), successes in PUSH_OPERATIONS.items():
        responses = paths[path][method]["responses"]
        assert tuple(sorted(s for s in responses if s[0] in "23")) == successes, (path, method)
        for status in successes:
            if status != "204":
                assert responses[status]["content"]["application/json"]["schema"], (path, status)
        errors = {s: r for s, r in responses.items() if s[0] in "45"}
        assert errors, (path, method)
        for status, response in errors.items():
            assert response["content"]["application/json"]["schema"] == error_ref, (path, status)
    register = paths["/api/v1/me/devices"]["post"]["responses"]
    assert "device_conflict" in register["409"]["x-error-codes"]
    send = paths["/api/v1/admin/campaigns/{campaign_id}/send"]["post"]["responses"]
    assert "campaign_already_sent" in send["409"]["x-error-codes"]
