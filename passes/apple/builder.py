"""Signed passes of one program, with everything that is not the member's prepared once.

Per pass only the signature must be made (bench/passes.py holds the builder to 0.8 of the
key's raw RSA rate). What is the program's is done when the builder is made: the images and
pass.strings, their SHA-1s, manifest.json around the one line that changes, their part of the
zip (archive.py), and pass.json as a template per shape of card (tier, expiring, voided,
with a card number or not) with the member's values as holes. A pass then costs the member's
values put in, one SHA-1, the signature and three zip entries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from passes.apple.archive import PassArchive
from passes.apple.pkpass import (
    PASS_JSON,
    ApplePassSettings,
    ManifestSigner,
    authentication_token,
    expiration_date,
    manifest_json,
    pass_json,
    pass_json_bytes,
    pass_strings,
)
from passes.cards.card import MemberCard, ProgramInfo

log = logging.getLogger("passes")

# JSON for one value: what json.dumps(ensure_ascii=False) writes, without its per-call set-up.
_json_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]


def _json_value(value: object) -> str:
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _card_values(card: MemberCard, settings: ApplePassSettings) -> dict[str, object]:
    """The member's values a pass.json holds, checked as pass_json checks them."""
    values: dict[str, object] = {
        "serial_number": card.serial_number,
        "member_name": card.member_name,
        "card_number": card.card_number,
        "points_available": card.points_available,
        "points_pending": card.points_pending,
    }
    if settings.web_service_url:
        values["authentication_token"] = authentication_token(card)
    if card.expires_at is not None:
        values["expires_at"] = expiration_date(card)
    return values


def _shape(card: MemberCard) -> tuple[str, bool, bool, bool]:
    """What decides which keys a card's pass.json has, beside the program and settings."""
    return (card.tier, card.expires_at is not None, card.voided, bool(card.card_number))


@dataclass(frozen=True)
class PassJsonTemplate:
    """pass.json of one shape of card: literal JSON text between the member's values."""

    texts: tuple[str, ...]  # one more than holes
    holes: tuple[str, ...]  # names from _card_values

    @classmethod
    def make(
        cls, program: ProgramInfo, settings: ApplePassSettings, sample: MemberCard
    ) -> PassJsonTemplate | None:
        """From pass_json itself, given a card whose values are markers; None if the result is
        not exactly pass_json's for `sample` (then passes are built the plain way)."""
        nonce = secrets.token_hex(8)  # no program text can hold the markers by chance

        def marker(name: str) -> str:
            return f"\ue000{nonce}:{name}\ue001"

        marked = ["serial_number", "member_name", "points_available", "points_pending"]
        marked.append("authentication_token")
        if sample.card_number:  # an empty one drops a back field: it is part of the shape
            marked.append("card_number")
        # Text where pass_json takes numbers too: it puts them in the document as they are.
        probe = replace(sample, **{name: marker(name) for name in marked})  # type: ignore[arg-type]
        document = pass_json(program, probe, settings)
        if "expirationDate" in document:
            document["expirationDate"] = marker("expires_at")
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        texts: list[str] = []
        holes: list[str] = []
        rest = text
        while (start := rest.find('"\ue000' + nonce + ":")) != -1:
            end = rest.index('\ue001"', start)
            texts.append(rest[:start])
            holes.append(rest[start + len(nonce) + 3 : end])
            rest = rest[end + 2 :]
        texts.append(rest)
        template = cls(tuple(texts), tuple(holes))
        if template.render(sample, settings) != pass_json_bytes(
            pass_json(program, sample, settings)
        ):
            log.error("passes: pass.json cannot be templated; building each one in full")
            return None
        return template

    def render(self, card: MemberCard, settings: ApplePassSettings) -> bytes:
        values = _card_values(card, settings)
        parts = [self.texts[0]]
        for hole, text in zip(self.holes, self.texts[1:], strict=True):
            parts += (_json_value(values[hole]), text)
        return "".join(parts).encode()


class ApplePassBuilder:
    """Builds signed passes for one program; made once (at start-up or per program change)."""

    def __init__(
        self,
        program: ProgramInfo,
        settings: ApplePassSettings,
        signer: ManifestSigner,
        images: Mapping[str, bytes],
    ) -> None:
        self.program = program
        self.settings = settings
        self._signer = signer
        self._static: dict[str, bytes] = {**images, **pass_strings(program)}
        if PASS_JSON in self._static:
            raise ValueError(f"{PASS_JSON} is made per pass, not a static file")
        hashes = {name: hashlib.sha1(data).hexdigest() for name, data in self._static.items()}
        # manifest.json is sorted JSON, so pass.json's hash always lands in the same place.
        placeholder = "0" * 40
        template = manifest_json({PASS_JSON: placeholder, **hashes})
        line = f'"{PASS_JSON}": "{placeholder}"'.encode()
        at = template.index(line) + len(line) - len(placeholder) - 1
        self._manifest_head = template[:at]
        self._manifest_tail = template[at + len(placeholder) :]
        self._archive = PassArchive(self._static)
        self._templates: dict[tuple[str, bool, bool, bool], PassJsonTemplate | None] = {}

    def pass_json(self, card: MemberCard) -> bytes:
        """The card's pass.json, byte for byte what pass_json_bytes(pass_json(...)) gives."""
        shape = _shape(card)
        if shape not in self._templates:
            self._templates[shape] = PassJsonTemplate.make(
                self.program, self.settings, _sample(card)
            )
        template = self._templates[shape]
        if template is None:
            return pass_json_bytes(pass_json(self.program, card, self.settings))
        return template.render(card, self.settings)

    def files(self, card: MemberCard) -> dict[str, bytes]:
        """Every file but manifest.json and signature."""
        return {PASS_JSON: self.pass_json(card), **self._static}

    def manifest(self, document: bytes) -> bytes:
        """manifest.json for a pass whose pass.json is `document`."""
        digest = hashlib.sha1(document).hexdigest().encode()
        return self._manifest_head + digest + self._manifest_tail

    def build(self, card: MemberCard) -> bytes:
        """The signed .pkpass (a zip) as bytes, ready to send as application/vnd.apple.pkpass."""
        document = self.pass_json(card)
        manifest_bytes = self.manifest(document)
        return self._archive.build(
            (
                (PASS_JSON, document),
                ("manifest.json", manifest_bytes),
                ("signature", self._signer.sign(manifest_bytes)),
            )
        )


def _sample(card: MemberCard) -> MemberCard:
    """A card of the same shape as `card`, with values that JSON must escape, to check a
    template against pass_json before it is used."""
    return replace(
        card,
        serial_number='ap_"sample"\\',
        member_name='Ääni "Ö" Łukasz\n\u2028 \U0001f600',
        card_number="6012345678901" if card.card_number else "",
        points_available=-12345,
        points_pending=67890,
        authentication_token="sample-token-0123456789",
        expires_at=(
            datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC) if card.expires_at is not None else None
        ),
    )


def build_pkpass(
    program: ProgramInfo,
    card: MemberCard,
    settings: ApplePassSettings,
    signer: ManifestSigner,
    images: Mapping[str, bytes],
) -> bytes:
    """One-off build; keep an ApplePassBuilder to build many passes of a program."""
    return ApplePassBuilder(program, settings, signer, images).build(card)
