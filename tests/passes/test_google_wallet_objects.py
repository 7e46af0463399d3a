"""LoyaltyClass / LoyaltyObject JSON against Google's discovery document, and the save JWT."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from passes.google import discovery
from passes.google.client import generate_dev_service_account
from passes.google.objects import (
    GoogleWalletSettings,
    issuer_signer,
    loyalty_class,
    loyalty_object,
    loyalty_object_changes,
    save_jwt,
    save_url,
)

ISSUER = "3388000000022212345"


@pytest.fixture(scope="module")
def service_account():
    return generate_dev_service_account("lumo-wallet")


@pytest.fixture
def settings() -> GoogleWalletSettings:
    return GoogleWalletSettings(issuer_id=ISSUER, origins=("https://app.lumo.example",))


def translations(localized: dict) -> dict[str, str]:
    values = {localized["defaultValue"]["language"]: localized["defaultValue"]["value"]}
    values.update({t["language"]: t["value"] for t in localized["translatedValues"]})
    return values


def test_discovery_document_is_the_one_google_api_python_client_ships():
    assert discovery.DISCOVERY_PATH.is_file()
    assert "site-packages" in str(discovery.DISCOVERY_PATH)
    assert {"LoyaltyClass", "LoyaltyObject"} <= discovery.discovery_schemas().keys()
    assert set(discovery.required_properties("LoyaltyObject")) >= {"id", "classId", "state"}


def test_loyalty_class_validates_and_is_sent_for_review(program_info, settings):
    body = loyalty_class(program_info, settings)
    assert discovery.validate(body, "LoyaltyClass") == []
    assert body["id"] == f"{ISSUER}.loyalty"
    assert body["reviewStatus"] == "UNDER_REVIEW"
    assert body["programName"] == program_info.name
    assert body["issuerName"] == program_info.organization_name
    assert body["programLogo"]["sourceUri"]["uri"] == program_info.logo_url
    assert body["hexBackgroundColor"] == program_info.brand_color
    assert translations(body["localizedAccountNameLabel"]) == {
        "en": "Member",
        "fi": "Jäsen",
        "pl": "Członek",
        "tl": "Miyembro",
    }


def test_loyalty_class_needs_a_logo_url(program_info, settings):
    with pytest.raises(ValueError, match="logo"):
        loyalty_class(replace(program_info, logo_url=None), settings)


def test_loyalty_object_validates_and_carries_the_members_data(program_info, card, settings):
    body = loyalty_object(program_info, card, settings)
    assert discovery.validate(body, "LoyaltyObject") == []
    assert body["id"] == f"{ISSUER}.p_7Yc2kQ9xWm"
    assert body["classId"] == f"{ISSUER}.loyalty"
    assert body["accountId"] == card.card_number
    assert body["accountName"] == card.member_name
    assert body["loyaltyPoints"]["balance"] == {"int": 1250}
    assert body["secondaryLoyaltyPoints"]["balance"] == {"int": 80}
    assert body["barcode"] == {
        "type": "QR_CODE",
        "value": card.card_number,
        "alternateText": card.card_number,
    }
    assert body["state"] == "ACTIVE"
    tier = next(m for m in body["textModulesData"] if m["id"] == "tier")
    assert tier["body"] == "Gold"
    assert translations(tier["localizedBody"])["fi"] == "Kulta"
    assert translations(body["loyaltyPoints"]["localizedLabel"])["pl"] == "Punkty"


def test_object_ids_keep_to_googles_characters(program_info, card, settings):
    body = loyalty_object(program_info, replace(card, serial_number="a b/c+d"), settings)
    assert body["id"] == f"{ISSUER}.a_b_c_d"


def test_ended_membership_changes_the_state(program_info, card, settings):
    now = datetime(2030, 1, 1, tzinfo=UTC)
    voided = loyalty_object(program_info, replace(card, voided=True), settings, now=now)
    assert voided["state"] == "INACTIVE"
    expired_card = replace(card, expires_at=now - timedelta(days=1))
    expired = loyalty_object(program_info, expired_card, settings, now=now)
    assert expired["state"] == "EXPIRED"
    assert expired["validTimeInterval"]["end"]["date"] == "2029-12-31T00:00:00+00:00"
    assert discovery.validate(expired, "LoyaltyObject") == []


def test_patch_body_holds_what_points_and_tier_change(program_info, card):
    body = loyalty_object_changes(program_info, replace(card, points_available=99, tier="platinum"))
    assert discovery.validate(body, "LoyaltyObject", partial=True) == []
    assert discovery.validate(body, "LoyaltyObject") != []  # not a whole object
    assert body["loyaltyPoints"]["balance"] == {"int": 99}
    assert {"id", "classId", "barcode", "accountId"}.isdisjoint(body)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda b: b.update(colour="#fff"), "LoyaltyClass.colour: unknown property"),
        (lambda b: b.update(reviewStatus="underReview"), "deprecated alias"),
        (lambda b: b.update(reviewStatus="ready"), "is not one of"),
        (lambda b: b.update(programName=42), "expected a string"),
        (lambda b: b["programLogo"]["sourceUri"].update(url="x"), "sourceUri.url: unknown"),
        (lambda b: b.update(enableSmartTap="yes"), "expected a boolean"),
        (lambda b: b.pop("programLogo"), "programLogo: required property missing"),
        (lambda b: b.update(textModulesData={"id": "x"}), "expected an array"),
        (lambda b: b.update(allowMultipleUsersPerObject=True), "property is deprecated"),
    ],
)
def test_validator_reports_what_google_would_reject(program_info, settings, mutate, expected):
    body = json.loads(json.dumps(loyalty_class(program_info, settings)))
    mutate(body)
    errors = discovery.validate(body, "LoyaltyClass")
    assert any(expected in e for e in errors), errors


def test_validator_checks_integer_ranges(program_info, card, settings):
    body = loyalty_object(program_info, replace(card, points_available=2**31), settings)
    errors = discovery.validate(body, "LoyaltyObject")
    assert errors == ["LoyaltyObject.loyaltyPoints.balance.int: 2147483648 does not fit int32"]


def test_save_jwt_verifies_with_the_issuers_public_key(
    service_account, program_info, card, settings
):
    signer = issuer_signer(service_account)
    obj = loyalty_object(program_info, card, settings)
    cls = loyalty_class(program_info, settings)
    token = save_jwt(
        signer,
        service_account["client_email"],
        settings.origins,
        [obj],
        [cls],
        issued_at=1_700_000_000,
    )

    public_key = serialization.load_pem_private_key(
        service_account["private_key"].encode(), password=None
    ).public_key()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == service_account["private_key_id"]
    claims = jwt.decode(token, public_key, algorithms=["RS256"], audience="google")
    assert claims["iss"] == service_account["client_email"]
    assert claims["typ"] == "savetowallet"
    assert claims["origins"] == ["https://app.lumo.example"]
    assert claims["iat"] == 1_700_000_000
    assert claims["payload"] == {"loyaltyObjects": [obj], "loyaltyClasses": [cls]}
    assert save_url(token) == "https://pay.google.com/gp/v/save/" + token


def test_save_jwt_does_not_verify_with_another_key(service_account, program_info, card, settings):
    token = save_jwt(
        issuer_signer(service_account),
        service_account["client_email"],
        settings.origins,
        [loyalty_object(program_info, card, settings)],
    )
    other = generate_dev_service_account("someone-else")
    other_public = serialization.load_pem_private_key(
        other["private_key"].encode(), password=None
    ).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other_public, algorithms=["RS256"], audience="google")


def test_save_jwt_needs_origins(service_account):
    with pytest.raises(ValueError, match="origin"):
        save_jwt(issuer_signer(service_account), "x@y", [], [{"id": "a", "classId": "b"}])


def test_a_reference_only_save_link_stays_short(service_account, program_info, card, settings):
    signer = issuer_signer(service_account)
    email = service_account["client_email"]
    full = save_jwt(
        signer,
        email,
        settings.origins,
        [loyalty_object(program_info, card, settings)],
        [loyalty_class(program_info, settings)],
    )
    reference = save_jwt(
        signer,
        email,
        settings.origins,
        [{"id": settings.object_id(card), "classId": settings.class_id}],
    )
    assert len(save_url(reference)) < 1800 < len(save_url(full))
