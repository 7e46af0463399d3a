"""The files of an Apple Wallet storeCard (.pkpass) from a ProgramInfo and a MemberCard:
pass.json, the pass.strings, the images and the manifest. The builder (builder.py) puts them
in the signed zip."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from passes.cards import labels
from passes.cards.card import MemberCard, ProgramInfo

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
MIME_TYPE = "application/vnd.apple.pkpass"
PASS_JSON = "pass.json"

# The images a storeCard shows; a program's own directory may hold any of them.
IMAGE_NAMES: tuple[str, ...] = tuple(
    f"{base}{scale}.png" for base in ("icon", "logo", "strip") for scale in ("", "@2x", "@3x")
)

BARCODE_FORMATS = frozenset(
    {
        "PKBarcodeFormatQR",
        "PKBarcodeFormatPDF417",
        "PKBarcodeFormatAztec",
        "PKBarcodeFormatCode128",
    }
)

MIN_TOKEN_LENGTH = 16  # Apple refuses shorter authentication tokens


class ManifestSigner(Protocol):
    def sign(self, manifest: bytes) -> bytes: ...


@dataclass(frozen=True)
class ApplePassSettings:
    pass_type_identifier: str
    team_identifier: str
    web_service_url: str | None = None
    barcode_format: str = "PKBarcodeFormatQR"

    def __post_init__(self) -> None:
        if self.barcode_format not in BARCODE_FORMATS:
            raise ValueError(
                f"unknown barcode format {self.barcode_format!r}; one of {sorted(BARCODE_FORMATS)}"
            )


def hex_to_rgb(color: str) -> str:
    """'#1e3a5f' -> 'rgb(30, 58, 95)': pass.json documents only the CSS rgb() form."""
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def pass_json(
    program: ProgramInfo, card: MemberCard, settings: ApplePassSettings
) -> dict[str, Any]:
    """The pass.json dictionary. Texts are English keys that pass.strings localizes."""
    tier = program.tier(card.tier)
    default = program.default_language
    document: dict[str, Any] = {
        "formatVersion": 1,
        "passTypeIdentifier": settings.pass_type_identifier,
        "teamIdentifier": settings.team_identifier,
        "serialNumber": card.serial_number,
        "organizationName": program.organization_name,
        "description": labels.DESCRIPTION,
        "logoText": program.name,
        "backgroundColor": hex_to_rgb(tier.background_color),
        "foregroundColor": hex_to_rgb(tier.foreground_color),
        "labelColor": hex_to_rgb(tier.label_color),
        "barcodes": [
            {
                "format": settings.barcode_format,
                "message": card.card_number,
                "messageEncoding": "iso-8859-1",
                "altText": card.card_number,
            }
        ],
        "storeCard": {
            "primaryFields": [
                {
                    "key": "points",
                    "label": labels.POINTS,
                    "value": card.points_available,
                    "numberStyle": "PKNumberStyleDecimal",
                    "changeMessage": labels.POINTS_CHANGED,
                }
            ],
            "secondaryFields": [
                {
                    "key": "tier",
                    "label": labels.TIER,
                    "value": tier.names[default],
                    "changeMessage": labels.TIER_CHANGED,
                },
                {
                    "key": "pending",
                    "label": labels.PENDING,
                    "value": card.points_pending,
                    "numberStyle": "PKNumberStyleDecimal",
                },
            ],
            "auxiliaryFields": [
                {"key": "member", "label": labels.MEMBER, "value": card.member_name},
            ],
            # A program without terms (or a tier without privileges) shows no empty field.
            "backFields": [
                spec
                for spec in (
                    {"key": "cardNumber", "label": labels.CARD_NUMBER, "value": card.card_number},
                    {
                        "key": "privileges",
                        "label": labels.PRIVILEGES,
                        "value": tier.privileges[default],
                    },
                    {"key": "terms", "label": labels.TERMS, "value": program.terms[default]},
                )
                if spec["value"]
            ],
        },
    }
    if settings.web_service_url:
        document["webServiceURL"] = settings.web_service_url
        document["authenticationToken"] = authentication_token(card)
    if card.expires_at is not None:
        document["expirationDate"] = expiration_date(card)
    if card.voided:
        document["voided"] = True
    return document


def authentication_token(card: MemberCard) -> str:
    """The card's token, for a pass with a webServiceURL; Apple refuses a short one."""
    token = card.authentication_token or ""
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"a pass with a webServiceURL needs an authenticationToken of at least "
            f"{MIN_TOKEN_LENGTH} characters"
        )
    return token


def expiration_date(card: MemberCard) -> str:
    """pass.json's expirationDate of a card that has one (W3C date, UTC, whole seconds)."""
    if card.expires_at is None or card.expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    return card.expires_at.astimezone(UTC).isoformat(timespec="seconds")


def pass_strings(program: ProgramInfo) -> dict[str, bytes]:
    """{'fi.lproj/pass.strings': bytes, ...} for every language of the program."""
    default = program.default_language
    files: dict[str, bytes] = {}
    for lang in program.languages:
        entries = {text: labels.translate(text, lang) for text in labels.LABELS}
        for tier in program.tiers.values():
            entries[tier.names[default]] = tier.names.get(lang, tier.names[default])
            entries[tier.privileges[default]] = tier.privileges.get(lang, tier.privileges[default])
        entries[program.terms[default]] = program.terms.get(lang, program.terms[default])
        entries.pop("", None)
        files[f"{lang}.lproj/pass.strings"] = labels.strings_file(entries)
    return files


@lru_cache(maxsize=1)
def _default_images() -> Mapping[str, bytes]:
    return MappingProxyType(
        {
            name: (ASSETS_DIR / name).read_bytes()
            for name in IMAGE_NAMES
            if (ASSETS_DIR / name).is_file()
        }
    )


def load_images(override_dir: str | Path | None = None) -> dict[str, bytes]:
    """The shipped images, with any a program's directory holds put in their place.

    Call once at start-up and keep the result: building a pass then reads no files.
    """
    images = dict(_default_images())
    if override_dir is not None:
        directory = Path(override_dir)
        if not directory.is_dir():
            raise FileNotFoundError(f"pass image directory {directory} does not exist")
        for name in IMAGE_NAMES:
            path = directory / name
            if path.is_file():
                images[name] = path.read_bytes()
    for required in ("icon.png", "logo.png"):
        if required not in images:
            raise ValueError(f"a pass needs {required}")
    return images


def manifest(files: Mapping[str, bytes]) -> bytes:
    """manifest.json: the SHA-1 of every file in the pass."""
    return manifest_json({name: hashlib.sha1(data).hexdigest() for name, data in files.items()})


def manifest_json(hashes: Mapping[str, str]) -> bytes:
    return json.dumps(dict(sorted(hashes.items())), indent=2).encode()


def pass_files(
    program: ProgramInfo,
    card: MemberCard,
    settings: ApplePassSettings,
    images: Mapping[str, bytes],
) -> dict[str, bytes]:
    """Every file of the pass but the manifest and the signature."""
    files = {"pass.json": pass_json_bytes(pass_json(program, card, settings))}
    files.update(images)
    files.update(pass_strings(program))
    return files


def pass_json_bytes(document: Mapping[str, Any]) -> bytes:
    # Compact: json's C encoder is used only without indent, and devices do not care.
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
