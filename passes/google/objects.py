"""Google Wallet loyalty JSON (a LoyaltyClass per program, a LoyaltyObject per member) and the
"Save to Google Wallet" link, a JWT signed RS256 with the issuer's service-account key."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.auth import crypt
from google.auth import jwt as google_jwt

from passes.cards import labels
from passes.cards.card import MemberCard, ProgramInfo

SAVE_URL_PREFIX = "https://pay.google.com/gp/v/save/"
# Google ids: "<issuer id>.<suffix>", the suffix of letters, digits, '.', '_' or '-'.
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class GoogleWalletSettings:
    issuer_id: str
    class_suffix: str = "loyalty"
    barcode_type: str = "QR_CODE"
    # Sites allowed to show the save button; Google refuses a save JWT without any.
    origins: tuple[str, ...] = ()

    @property
    def class_id(self) -> str:
        return f"{self.issuer_id}.{_safe(self.class_suffix)}"

    def object_id(self, card: MemberCard) -> str:
        return f"{self.issuer_id}.{_safe(card.serial_number)}"


def _safe(suffix: str) -> str:
    return _UNSAFE_ID_CHARS.sub("_", suffix)


def localized_string(values: Mapping[str, str], default_language: str) -> dict[str, Any]:
    """A LocalizedString: the default language's text plus every other translation."""
    return {
        "defaultValue": {"language": default_language, "value": values[default_language]},
        "translatedValues": [
            {"language": lang, "value": text}
            for lang, text in values.items()
            if lang != default_language
        ],
    }


def _label(text: str, program: ProgramInfo) -> dict[str, Any]:
    return localized_string(labels.localized(text, program.languages), program.default_language)


def loyalty_class(program: ProgramInfo, settings: GoogleWalletSettings) -> dict[str, Any]:
    """The program's LoyaltyClass, sent for review (UNDER_REVIEW) on every insert or patch."""
    if not program.logo_url:
        raise ValueError("a Google Wallet class needs the program's logo as a public https URL")
    body: dict[str, Any] = {
        "id": settings.class_id,
        "issuerName": program.organization_name,
        "programName": program.name,
        "programLogo": {
            "sourceUri": {"uri": program.logo_url},
            "contentDescription": localized_string(
                {lang: program.name for lang in program.languages}, program.default_language
            ),
        },
        "hexBackgroundColor": program.brand_color,
        "accountNameLabel": labels.MEMBER,
        "localizedAccountNameLabel": _label(labels.MEMBER, program),
        "accountIdLabel": labels.CARD_NUMBER,
        "localizedAccountIdLabel": _label(labels.CARD_NUMBER, program),
        "multipleDevicesAndHoldersAllowedStatus": "ONE_USER_ALL_DEVICES",
        "reviewStatus": "UNDER_REVIEW",
    }
    if program.homepage_url:
        body["homepageUri"] = {"uri": program.homepage_url}
    return body


def _state(card: MemberCard, now: datetime) -> str:
    if card.voided:
        return "INACTIVE"
    if card.expires_at is not None and card.expires_at <= now:
        return "EXPIRED"
    return "ACTIVE"


def loyalty_object_changes(
    program: ProgramInfo, card: MemberCard, now: datetime | None = None
) -> dict[str, Any]:
    """What points and tier changes touch: the body of a PATCH.

    PATCH rather than PUT: an update replaces the whole object and would clear what it omits.
    """
    tier = program.tier(card.tier)
    body: dict[str, Any] = {
        "loyaltyPoints": {
            "label": labels.POINTS,
            "localizedLabel": _label(labels.POINTS, program),
            "balance": {"int": card.points_available},
        },
        "secondaryLoyaltyPoints": {
            "label": labels.PENDING,
            "localizedLabel": _label(labels.PENDING, program),
            "balance": {"int": card.points_pending},
        },
        "textModulesData": [
            {
                "id": "tier",
                "header": labels.TIER,
                "localizedHeader": _label(labels.TIER, program),
                "body": tier.names[program.default_language],
                "localizedBody": localized_string(
                    {
                        lang: tier.names.get(lang, tier.names[program.default_language])
                        for lang in program.languages
                    },
                    program.default_language,
                ),
            },
            {
                "id": "privileges",
                "header": labels.PRIVILEGES,
                "localizedHeader": _label(labels.PRIVILEGES, program),
                "body": tier.privileges[program.default_language],
                "localizedBody": localized_string(
                    {
                        lang: tier.privileges.get(lang, tier.privileges[program.default_language])
                        for lang in program.languages
                    },
                    program.default_language,
                ),
            },
        ],
        "state": _state(card, now or datetime.now(UTC)),
    }
    if card.expires_at is not None:
        body["validTimeInterval"] = {
            "end": {"date": card.expires_at.astimezone(UTC).isoformat(timespec="seconds")}
        }
    return body


def loyalty_object(
    program: ProgramInfo,
    card: MemberCard,
    settings: GoogleWalletSettings,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The member's full LoyaltyObject."""
    return {
        "id": settings.object_id(card),
        "classId": settings.class_id,
        "accountId": card.card_number,
        "accountName": card.member_name,
        "barcode": {
            "type": settings.barcode_type,
            "value": card.card_number,
            "alternateText": card.card_number,
        },
        **loyalty_object_changes(program, card, now),
    }


def issuer_signer(service_account_info: Mapping[str, Any]) -> crypt.RSASigner:
    """The service account's key as a signer whose key_id is its private_key_id. Make it once."""
    return crypt.RSASigner.from_service_account_info(service_account_info)


def save_jwt(
    signer: crypt.Signer,
    client_email: str,
    origins: Sequence[str],
    loyalty_objects: Iterable[Mapping[str, Any]],
    loyalty_classes: Iterable[Mapping[str, Any]] = (),
    issued_at: int | None = None,
) -> str:
    """The signed "Save to Google Wallet" JWT (header kid = the key's private_key_id).

    A JWT that carries whole objects can grow past what a link may hold (Google suggests staying
    under about 1,800 characters): insert the object through the API first and pass only
    {"id", "classId"} here.
    """
    if not origins:
        raise ValueError("a save JWT needs at least one origin")
    payload: dict[str, Any] = {"loyaltyObjects": list(loyalty_objects)}
    classes = list(loyalty_classes)
    if classes:
        payload["loyaltyClasses"] = classes
    claims = {
        "iss": client_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": issued_at if issued_at is not None else int(time.time()),
        "origins": list(origins),
        "payload": payload,
    }
    token = google_jwt.encode(signer, claims)
    return token.decode() if isinstance(token, bytes) else token


def save_url(token: str) -> str:
    return SAVE_URL_PREFIX + token
