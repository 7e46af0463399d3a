"""Every passes answer is what /openapi.json says: the status is documented, the media type is
the documented one, and a JSON body validates against the documented schema (errors in the
app's one shape). The PassKit operations Wallet authenticates say so with `applePass`."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator
from werkzeug.test import TestResponse

from passes.apple.pkpass import MIME_TYPE
from tests.passes.device import Device, WalletPass
from tests.support import bearer, purchase, signup

REGISTRATION = "/passkit/v1/devices/{device_id}/registrations/{pass_type}/{serial}"
LISTING = "/passkit/v1/devices/{device_id}/registrations/{pass_type}"
LATEST = "/passkit/v1/passes/{pass_type}/{serial}"
LOG = "/passkit/v1/log"


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").get_json()


@pytest.fixture
def member(client, program):
    return signup(client, "aino@test.example", name="Aino Virtanen")


@pytest.fixture
def wallet_pass(client, member) -> WalletPass:
    return WalletPass.from_pkpass(
        client.get("/api/v1/me/passes/apple", headers=member.headers).data
    )


@pytest.fixture
def iphone(client) -> Device:
    return Device(client, "6b5dc0a7b7d9c9e1d0b1c2a3f4e5d6c7", "aa" * 32)


def conforms(spec: dict, path: str, method: str, res: TestResponse) -> TestResponse:
    """Check the answer against what the document says for its status; return it."""
    responses = spec["paths"][path][method]["responses"]
    assert str(res.status_code) in responses, (path, method, res.status_code)
    documented = responses[str(res.status_code)].get("content")
    if not documented:
        assert res.data == b"", (path, res.status_code)
        return res
    assert list(documented) == [res.mimetype], (path, res.status_code, res.mimetype)
    schema = documented[res.mimetype]["schema"]
    if res.mimetype == "application/json":
        validator = OAS30Validator({**schema, "components": spec["components"]})
        errors = [e.message for e in validator.iter_errors(res.get_json())]
        assert errors == [], (path, res.status_code, errors)
    elif schema.get("maxLength") == 0:
        assert res.data == b"", (path, res.status_code)
    return res


def test_the_members_passes_are_the_documented_answers(client, member, spec):
    apple = conforms(
        spec,
        "/api/v1/me/passes/apple",
        "get",
        client.get("/api/v1/me/passes/apple", headers=member.headers),
    )
    assert apple.status_code == 200
    assert spec["paths"]["/api/v1/me/passes/apple"]["get"]["responses"]["200"]["content"] == {
        MIME_TYPE: {"schema": {"type": "string", "format": "binary"}}
    }
    google = client.get("/api/v1/me/passes/google", headers=member.headers)
    assert google.status_code == 200
    body = conforms(spec, "/api/v1/me/passes/google", "get", google).get_json()
    assert body["save_url"].endswith(body["jwt"])
    conforms(spec, "/api/v1/me/passes/google", "get", client.get("/api/v1/me/passes/google"))


def test_wallets_whole_conversation_is_the_documented_answers(
    client, program, member, wallet_pass, iphone, spec
):
    assert conforms(spec, REGISTRATION, "post", iphone.register(wallet_pass)).status_code == 201
    assert conforms(spec, REGISTRATION, "post", iphone.register(wallet_pass)).status_code == 200
    bad = conforms(
        spec, REGISTRATION, "post", iphone.register(wallet_pass, body={"pushToken": " "})
    )
    assert bad.get_json()["error"]["details"] == {"fields": {"pushToken": ["Must not be blank."]}}
    conforms(spec, REGISTRATION, "post", iphone.register(wallet_pass, token="not-this-pass-token"))

    listed = conforms(spec, LISTING, "get", iphone.updated(wallet_pass))
    tag = listed.get_json()["lastUpdated"]
    assert listed.get_json() == {"serialNumbers": [wallet_pass.serial], "lastUpdated": tag}
    assert conforms(spec, LISTING, "get", iphone.updated(wallet_pass, since=tag)).status_code == 204

    fetched = conforms(spec, LATEST, "get", iphone.fetch(wallet_pass))
    assert fetched.status_code == 200
    unchanged = iphone.fetch(wallet_pass, if_modified_since=fetched.headers["Last-Modified"])
    assert conforms(spec, LATEST, "get", unchanged).status_code == 304
    conforms(spec, LATEST, "get", iphone.fetch(wallet_pass, token="not-this-pass-token"))

    assert (
        conforms(spec, LOG, "post", iphone.log(wallet_pass, {"logs": ["oops"]})).status_code == 200
    )
    conforms(spec, LOG, "post", iphone.log(wallet_pass, {"logs": "oops"}))
    admin = bearer(program.admin_token)
    logs = conforms(
        spec,
        "/api/v1/admin/passes/logs",
        "get",
        client.get("/api/v1/admin/passes/logs", headers=admin),
    ).get_json()
    assert [e["message"] for e in logs["entries"]] == ["oops"]

    purchase(client, program, member.card_number, "10.00")
    assert conforms(spec, LISTING, "get", iphone.updated(wallet_pass, since=tag)).status_code == 200
    assert conforms(spec, REGISTRATION, "delete", iphone.unregister(wallet_pass)).status_code == 200


def test_wallet_may_add_keys_to_its_bodies(app, wallet_pass, iphone):
    body = {"pushToken": "bb" * 32, "somethingApple": "added later"}
    assert iphone.register(wallet_pass, body=body).status_code == 201
    assert iphone.log(wallet_pass, {"logs": ["one"], "level": "error"}).status_code == 200


def test_the_passkit_operations_wallet_authenticates_say_so(spec):
    scheme = spec["components"]["securitySchemes"]["applePass"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "ApplePass")
    for path, method in ((REGISTRATION, "post"), (REGISTRATION, "delete"), (LATEST, "get")):
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"applePass": []}], (path, method)
        assert operation["responses"]["401"]["x-error-codes"] == ["unauthorized"]
    # Apple's protocol sends no token with these two.
    assert "security" not in spec["paths"][LISTING]["get"]
    assert "security" not in spec["paths"][LOG]["post"]
    register = spec["paths"][REGISTRATION]["post"]
    assert set(register["responses"]["409"]["x-error-codes"]) == {
        "too_many_devices",
        "membership_ended",
    }
    assert register["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Registration"
    }
    listing = spec["paths"][LISTING]["get"]
    assert [p["name"] for p in listing["parameters"]] == ["passesUpdatedSince"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SerialNumbers"
    }
