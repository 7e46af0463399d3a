"""The PassKit web service, talked to as Wallet on an iPhone talks to it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from passes.apple.models import AppleDevice, AppleRegistration, PassLogEntry
from passes.apple.pkpass import MIME_TYPE
from tests.passes.conftest import APP_PASS_TYPE_ID, WEB_SERVICE_URL
from tests.passes.device import Device, WalletPass, field, pass_json
from tests.support import bearer, purchase, signup

PUSH_TOKEN = "aa" * 32


@pytest.fixture
def member(client, program):
    return signup(client, "aino@test.example", name="Aino Virtanen")


@pytest.fixture
def wallet_pass(client, member) -> WalletPass:
    res = client.get("/api/v1/me/passes/apple", headers=member.headers)
    assert res.status_code == 200
    assert res.mimetype == MIME_TYPE
    return WalletPass.from_pkpass(res.data)


@pytest.fixture
def other_pass(client, program) -> WalletPass:
    other = signup(client, "other@test.example")
    res = client.get("/api/v1/me/passes/apple", headers=other.headers)
    return WalletPass.from_pkpass(res.data)


@pytest.fixture
def iphone(client) -> Device:
    return Device(client, "6b5dc0a7b7d9c9e1d0b1c2a3f4e5d6c7", PUSH_TOKEN)


def registrations(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AppleRegistration.id)))


def test_the_whole_conversation_of_an_iphone(app, client, program, member, wallet_pass, iphone):
    assert wallet_pass.web_service_url == WEB_SERVICE_URL
    assert wallet_pass.pass_type == APP_PASS_TYPE_ID
    assert len(wallet_pass.token) >= 16

    # Adding the pass: Wallet registers for its updates, and again after a restore.
    assert iphone.register(wallet_pass).status_code == 201
    assert iphone.register(wallet_pass).status_code == 200
    assert registrations(app) == 1

    # Without a tag, every pass of the device; the tag is a string.
    listed = iphone.updated(wallet_pass)
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["serialNumbers"] == [wallet_pass.serial]
    assert isinstance(body["lastUpdated"], str)
    first_tag = body["lastUpdated"]
    assert iphone.updated(wallet_pass, since=first_tag).status_code == 204

    fetched = iphone.fetch(wallet_pass)
    assert fetched.status_code == 200
    assert fetched.mimetype == MIME_TYPE
    last_modified = fetched.headers["Last-Modified"]
    assert last_modified.endswith("GMT")
    assert pass_json(fetched.data)["serialNumber"] == wallet_pass.serial
    assert iphone.fetch(wallet_pass, if_modified_since=last_modified).status_code == 304

    # A purchase (pending points) changes the pass: it is listed again and fetched anew.
    assert purchase(client, program, member.card_number, "40.00").status_code == 201
    listed = iphone.updated(wallet_pass, since=first_tag)
    assert listed.status_code == 200
    assert listed.get_json()["serialNumbers"] == [wallet_pass.serial]
    assert int(listed.get_json()["lastUpdated"]) > int(first_tag)
    refreshed = iphone.fetch(wallet_pass, if_modified_since=last_modified)
    assert refreshed.status_code == 200
    assert refreshed.headers["Last-Modified"] != last_modified
    assert field(pass_json(refreshed.data), "secondaryFields", "pending")["value"] == 40
    # Authentication tokens never change with an update.
    assert pass_json(refreshed.data)["authenticationToken"] == wallet_pass.token

    # Wallet reports a problem; operators (and only they) read it.
    assert (
        iphone.log(wallet_pass, {"logs": ["Web service error for pass.x: oops"]}).status_code == 200
    )
    admin_view = client.get("/api/v1/admin/passes/logs", headers=bearer(program.admin_token))
    assert admin_view.status_code == 200
    assert [e["message"] for e in admin_view.get_json()["entries"]] == [
        "Web service error for pass.x: oops"
    ]
    assert client.get("/api/v1/admin/passes/logs", headers=member.headers).status_code == 403

    # Removing the pass from Wallet.
    assert iphone.unregister(wallet_pass).status_code == 200
    assert registrations(app) == 0
    assert iphone.updated(wallet_pass).status_code == 204
    with app.app_context():
        assert db.session.scalar(select(func.count(AppleDevice.id))) == 0


def test_the_member_api_serves_the_same_pass_with_its_last_modified(client, member, wallet_pass):
    again = client.get("/api/v1/me/passes/apple", headers=member.headers)
    assert WalletPass.from_pkpass(again.data) == wallet_pass  # one pass per member
    assert again.headers["Last-Modified"]
    assert 'filename="loyalty.pkpass"' in again.headers["Content-Disposition"]
    assert client.get("/api/v1/me/passes/apple").status_code == 401


def _call(device: Device, wallet_pass: WalletPass, action: str, **kwargs):
    return getattr(device, action)(wallet_pass, **kwargs)


WRONG_CREDENTIALS = {
    "no header": {"headers": {}},
    "bearer scheme": {"headers": {"Authorization": "Bearer x"}},
    "empty token": {"headers": {"Authorization": "ApplePass "}},
    "lower-case scheme": {"headers": {"Authorization": "applepass TOKEN"}},
    "wrong token": {"token": "not-the-token-of-this-pass-0123456789"},
    "other pass's token": {"token": "OTHER"},
    "wrong pass type": {"pass_type": "pass.other.loyalty"},
    "unknown serial": {"serial": "ap_doesnotexist00"},
    "unknown serial, other token": {"serial": "ap_doesnotexist00", "token": "OTHER"},
}


PER_REQUEST_HEADERS = {
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
}


@pytest.mark.parametrize("action", ["register", "unregister", "fetch"])
def test_only_the_passs_own_token_opens_it_and_nothing_tells_a_serial_exists(
    app, wallet_pass, other_pass, iphone, action
):
    if action == "unregister":
        assert iphone.register(wallet_pass).status_code == 201
    before = registrations(app)
    answers = set()
    for case, kwargs in WRONG_CREDENTIALS.items():
        kwargs = dict(kwargs)
        if kwargs.get("token") == "OTHER":
            kwargs["token"] = other_pass.token
        if "TOKEN" in str(kwargs.get("headers")):
            kwargs["headers"] = {"Authorization": f"applepass {wallet_pass.token}"}

        res = _call(iphone, wallet_pass, action, **kwargs)

        assert res.status_code == 401, case
        # Per-request headers: the rate limit's count down and the request id is new each time.
        headers = {k: v for k, v in res.headers.items() if k not in PER_REQUEST_HEADERS}
        answers.add((res.data, tuple(sorted(headers.items()))))
        assert registrations(app) == before, case
    # Byte for byte the same answer, whether the serial exists or not.
    assert len(answers) == 1
    assert res.get_json() == {
        "error": {"code": "unauthorized", "message": "Authorization needed.", "details": {}}
    }


def test_a_pass_type_that_is_not_ours_lists_nothing(wallet_pass, iphone):
    assert iphone.register(wallet_pass).status_code == 201
    assert iphone.updated(wallet_pass, pass_type="pass.other.loyalty").status_code == 204
    stranger = Device(iphone.client, "unknown-device-000", "bb" * 32)
    assert stranger.updated(wallet_pass).status_code == 204


def test_a_tag_we_never_gave_lists_everything(wallet_pass, iphone):
    assert iphone.register(wallet_pass).status_code == 201
    # "²" and "٣" are digits to str.isdigit(): the first made int() raise (a 500).
    for tag in ("yesterday", "-5", "1e9", "99999999999999999999999", "²", "1²", "٣"):
        res = iphone.updated(wallet_pass, since=tag)
        assert res.status_code == 200, tag
        assert res.get_json()["serialNumbers"] == [wallet_pass.serial]


MALFORMED_REGISTRATIONS = [
    b"{not json",
    b"",
    b"[]",
    b'"just a string"',
    {},
    {"pushToken": None},
    {"pushToken": 12345},
    {"pushToken": ""},
    {"pushToken": "   "},
    {"pushToken": "f" * 201},
    {"push_token": PUSH_TOKEN},
]


def test_malformed_registration_bodies_are_400_and_register_nothing(app, wallet_pass, iphone):
    for body in MALFORMED_REGISTRATIONS:
        res = iphone.register(wallet_pass, body=body)
        assert res.status_code == 400, body
        assert res.get_json()["error"]["code"] == "malformed_body", body
    assert registrations(app) == 0


def test_a_malformed_body_with_a_wrong_token_is_still_401(wallet_pass, iphone):
    res = iphone.register(wallet_pass, token="wrong-token-0123456789abcdef", body=b"{oops")
    assert res.status_code == 401


def test_a_device_library_identifier_too_long_is_refused(app, client, wallet_pass):
    device = Device(client, "d" * 129, PUSH_TOKEN)
    assert device.register(wallet_pass).status_code == 400
    assert registrations(app) == 0


def test_a_new_push_token_replaces_the_old_one(app, wallet_pass, iphone):
    assert iphone.register(wallet_pass).status_code == 201
    iphone.push_token = "cc" * 32
    assert iphone.register(wallet_pass).status_code == 200
    with app.app_context():
        assert list(db.session.scalars(select(AppleRegistration.push_token))) == ["cc" * 32]


def test_unregistering_what_was_never_registered_is_200(wallet_pass, iphone):
    assert iphone.unregister(wallet_pass).status_code == 200


def test_one_device_with_two_passes_lists_what_changed(
    client, program, member, wallet_pass, other_pass, iphone
):
    assert iphone.register(wallet_pass).status_code == 201
    assert iphone.register(other_pass).status_code == 201
    listed = iphone.updated(wallet_pass).get_json()
    assert sorted(listed["serialNumbers"]) == sorted([wallet_pass.serial, other_pass.serial])

    purchase(client, program, member.card_number, "10.00")
    changed = iphone.updated(wallet_pass, since=listed["lastUpdated"]).get_json()
    assert changed["serialNumbers"] == [wallet_pass.serial]


def test_an_old_or_unreadable_if_modified_since_gets_the_pass(wallet_pass, iphone):
    for header in (
        "Thu, 01 Jan 2015 00:00:00 GMT",
        "not a date",
        "Mon, 32 Foo 2020 25:61:61 GMT",
    ):
        res = iphone.fetch(wallet_pass, if_modified_since=header)
        assert res.status_code == 200, header
        assert pass_json(res.data)["serialNumber"] == wallet_pass.serial


def test_malformed_log_bodies_are_400(app, wallet_pass, iphone):
    for body in (b"{oops", b"", {}, {"logs": "one"}, {"logs": [1, 2]}, {"logs": [None]}, ["a"]):
        res = iphone.log(wallet_pass, body)
        assert res.status_code == 400, body
        assert res.get_json()["error"]["code"] == "malformed_body", body
    with app.app_context():
        assert db.session.scalar(select(func.count(PassLogEntry.id))) == 0


def test_the_log_keeps_a_bounded_amount(app, wallet_pass, iphone):
    res = iphone.log(wallet_pass, {"logs": ["x" * 5000] + [f"line {i}" for i in range(150)]})
    assert res.status_code == 200
    with app.app_context():
        lines = list(db.session.scalars(select(PassLogEntry.message).order_by(PassLogEntry.id)))
    # 50 lines of at most 1,000 characters, cut lines marked, and what was dropped counted.
    assert len(lines) == 51
    assert lines[0] == "x" * 1000 + "… [4000 more characters]"
    assert lines[1:50] == [f"line {i}" for i in range(49)]
    assert lines[50] == "[101 more lines not kept]"


def test_admin_log_pages_newest_first(client, program, wallet_pass, iphone):
    iphone.log(wallet_pass, {"logs": ["one", "two", "three"]})
    admin = bearer(program.admin_token)
    page = client.get("/api/v1/admin/passes/logs?limit=2", headers=admin).get_json()["entries"]
    assert [e["message"] for e in page] == ["three", "two"]
    rest = client.get(f"/api/v1/admin/passes/logs?before={page[-1]['id']}", headers=admin)
    assert [e["message"] for e in rest.get_json()["entries"]] == ["one"]
    assert client.get("/api/v1/admin/passes/logs?limit=0", headers=admin).status_code == 422


def test_admin_log_refuses_a_before_beyond_the_id_column(client, program, wallet_pass, iphone):
    iphone.log(wallet_pass, {"logs": ["one"]})
    admin = bearer(program.admin_token)
    largest = client.get(f"/api/v1/admin/passes/logs?before={2**31 - 1}", headers=admin)
    assert [e["message"] for e in largest.get_json()["entries"]] == ["one"]
    for too_big in (2**31, 2**63):
        res = client.get(f"/api/v1/admin/passes/logs?before={too_big}", headers=admin)
        assert res.status_code == 422, too_big


def test_the_passes_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/me/passes/apple",
        "/api/v1/me/passes/google",
        "/api/v1/admin/passes/logs",
        "/passkit/v1/devices/{device_id}/registrations/{pass_type}/{serial}",
        "/passkit/v1/devices/{device_id}/registrations/{pass_type}",
        "/passkit/v1/passes/{pass_type}/{serial}",
        "/passkit/v1/log",
    ):
        assert path in paths, path
