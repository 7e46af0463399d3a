"""pass.json, localization, images and manifest of a built .pkpass."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from passes.apple.builder import build_pkpass
from passes.apple.dev_certs import write_dev_chain
from passes.apple.pkpass import MIME_TYPE, hex_to_rgb, load_images, pass_json
from passes.apple.signing import PassSigner
from passes.apple.tokens import new_authentication_token, tokens_match
from passes.cards import labels
from passes.cards.card import ProgramInfo, default_program

STRINGS_LINE = re.compile(r'^"((?:[^"\\]|\\.)*)" = "((?:[^"\\]|\\.)*)";$')


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def parse_strings(data: bytes) -> dict[str, str]:
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff"), "pass.strings must be UTF-16 with a BOM"
    entries = {}
    for line in data.decode("utf-16").splitlines():
        match = STRINGS_LINE.match(line)
        assert match, f"not a .strings line: {line!r}"
        key, value = (part.replace('\\"', '"').replace("\\\\", "\\") for part in match.groups())
        entries[key] = value
    return entries


@pytest.fixture
def pkpass(program_info, card, apple_settings, signer, images) -> dict[str, bytes]:
    return unzip(build_pkpass(program_info, card, apple_settings, signer, images))


def field(document: dict, group: str, key: str) -> dict:
    return next(f for f in document["storeCard"][group] if f["key"] == key)


def test_pass_json_is_a_store_card_with_the_members_data(
    pkpass, card, program_info, apple_settings
):
    document = json.loads(pkpass["pass.json"])

    assert MIME_TYPE == "application/vnd.apple.pkpass"
    assert document["formatVersion"] == 1
    assert document["passTypeIdentifier"] == apple_settings.pass_type_identifier
    assert document["teamIdentifier"] == apple_settings.team_identifier
    assert document["serialNumber"] == card.serial_number
    assert document["organizationName"] == program_info.organization_name
    assert document["logoText"] == program_info.name
    points = field(document, "primaryFields", "points")
    assert points["value"] == 1250
    assert points["changeMessage"] == "You now have %@ points"
    assert field(document, "secondaryFields", "tier")["value"] == "Gold"
    assert "%@" in field(document, "secondaryFields", "tier")["changeMessage"]
    assert field(document, "secondaryFields", "pending")["value"] == 80
    assert field(document, "auxiliaryFields", "member")["value"] == "Aino Virtanen"
    assert (
        field(document, "backFields", "privileges")["value"]
        == program_info.tiers["gold"].privileges["en"]
    )
    assert field(document, "backFields", "terms")["value"] == program_info.terms["en"]
    assert document["webServiceURL"] == "https://api.lumo.example/passkit"
    assert document["authenticationToken"] == card.authentication_token
    assert "expirationDate" not in document
    assert "voided" not in document


def test_barcode_is_qr_by_default_with_the_card_number_as_alt_text(pkpass):
    (barcode,) = json.loads(pkpass["pass.json"])["barcodes"]
    assert barcode == {
        "format": "PKBarcodeFormatQR",
        "message": "6012345678901",
        "messageEncoding": "iso-8859-1",
        "altText": "6012345678901",
    }


def test_barcode_format_is_configurable(program_info, card, apple_settings):
    settings = replace(apple_settings, barcode_format="PKBarcodeFormatCode128")
    assert (
        pass_json(program_info, card, settings)["barcodes"][0]["format"] == "PKBarcodeFormatCode128"
    )
    with pytest.raises(ValueError, match="barcode format"):
        replace(apple_settings, barcode_format="EAN13")


def test_colours_follow_the_tier_in_apples_rgb_form(program_info, card, apple_settings):
    gold = pass_json(program_info, card, apple_settings)
    platinum = pass_json(program_info, replace(card, tier="platinum"), apple_settings)
    assert gold["backgroundColor"] == hex_to_rgb(program_info.tiers["gold"].background_color)
    assert platinum["backgroundColor"] == hex_to_rgb(
        program_info.tiers["platinum"].background_color
    )
    assert gold["backgroundColor"] != platinum["backgroundColor"]
    assert hex_to_rgb("#1e3a5f") == "rgb(30, 58, 95)"
    assert hex_to_rgb("#fc0") == "rgb(255, 204, 0)"


def test_ended_membership_sets_expiration_and_voided(program_info, card, apple_settings):
    ends = datetime(2031, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    document = pass_json(program_info, replace(card, expires_at=ends, voided=True), apple_settings)
    assert document["expirationDate"] == "2031-05-01T09:00:00+00:00"
    assert document["voided"] is True
    with pytest.raises(ValueError, match="timezone"):
        pass_json(program_info, replace(card, expires_at=datetime(2031, 5, 1)), apple_settings)


def test_web_service_needs_a_long_enough_token(program_info, card, apple_settings):
    with pytest.raises(ValueError, match="16"):
        pass_json(program_info, replace(card, authentication_token="short"), apple_settings)
    without_service = replace(apple_settings, web_service_url=None)
    document = pass_json(program_info, replace(card, authentication_token=None), without_service)
    assert "webServiceURL" not in document
    assert "authenticationToken" not in document


def test_unknown_tier_is_refused(program_info, card, apple_settings):
    with pytest.raises(ValueError, match="diamond"):
        pass_json(program_info, replace(card, tier="diamond"), apple_settings)


@pytest.mark.parametrize(
    ("language", "points_label", "change_message", "gold"),
    [
        ("en", "Points", "You now have %@ points", "Gold"),
        ("fi", "Pisteet", "Sinulla on nyt %@ pistettä", "Kulta"),
        ("pl", "Punkty", "Masz teraz %@ punktów", "Złoty"),
        ("tl", "Puntos", "Mayroon ka nang %@ puntos", "Ginto"),
    ],
)
def test_every_language_localizes_labels_and_change_message(
    pkpass, language, points_label, change_message, gold
):
    strings = parse_strings(pkpass[f"{language}.lproj/pass.strings"])
    assert strings["Points"] == points_label
    assert strings["You now have %@ points"] == change_message
    assert strings["Gold"] == gold


def test_every_text_in_pass_json_has_a_translation_in_every_language(pkpass, program_info):
    document = json.loads(pkpass["pass.json"])
    texts = {document["description"]}
    for group in document["storeCard"].values():
        for item in group:
            texts.add(item["label"])
            texts.add(item.get("changeMessage"))
            if (
                isinstance(item["value"], str)
                and item["key"] != "member"
                and item["key"] != "cardNumber"
            ):
                texts.add(item["value"])
    texts.discard(None)
    for language in program_info.languages:
        strings = parse_strings(pkpass[f"{language}.lproj/pass.strings"])
        missing = texts - strings.keys()
        assert not missing, f"{language}: {missing}"
        for key, value in strings.items():
            assert ("%@" in key) == ("%@" in value), f"{language}: {key!r} -> {value!r}"


def test_strings_escape_quotes_and_newlines():
    entries = parse_strings(labels.strings_file({'Say "hi"\\': "Line 1\nLine 2"}))
    assert entries == {'Say "hi"\\': "Line 1\\nLine 2"}


def test_default_images_ship_and_are_pngs(pkpass):
    for name in ("icon.png", "icon@2x.png", "logo.png", "logo@2x.png", "strip.png"):
        assert pkpass[name].startswith(b"\x89PNG\r\n\x1a\n"), name


def test_a_program_directory_replaces_only_the_images_it_holds(tmp_path: Path):
    custom_logo = b"\x89PNG\r\n\x1a\n" + b"custom"
    (tmp_path / "logo.png").write_bytes(custom_logo)
    (tmp_path / "notes.txt").write_text("not an image of a pass")
    defaults = load_images()
    images = load_images(tmp_path)
    assert images["logo.png"] == custom_logo
    assert images["icon.png"] == defaults["icon.png"]
    assert "notes.txt" not in images
    with pytest.raises(FileNotFoundError):
        load_images(tmp_path / "absent")


def test_manifest_lists_the_sha1_of_every_file_and_nothing_else(pkpass):
    manifest = json.loads(pkpass["manifest.json"])
    contents = {
        name: data for name, data in pkpass.items() if name not in ("manifest.json", "signature")
    }
    assert manifest.keys() == contents.keys()
    for name, data in contents.items():
        assert manifest[name] == hashlib.sha1(data).hexdigest(), name
    assert "fi.lproj/pass.strings" in manifest


def test_key_and_certificates_are_read_once_not_per_pass(
    dev_chain, program_info, card, apple_settings, images, tmp_path
):
    paths = write_dev_chain(dev_chain, tmp_path / "certs", "pw-for-this-test")
    signer = PassSigner.from_files(paths.certificate, paths.key, paths.wwdr, "pw-for-this-test")
    shutil.rmtree(tmp_path / "certs")  # anything that re-reads the files per pass now fails
    for points in (1, 2, 3):
        files = unzip(
            build_pkpass(
                program_info, replace(card, points_available=points), apple_settings, signer, images
            )
        )
        assert json.loads(files["pass.json"])["storeCard"]["primaryFields"][0]["value"] == points


def test_program_languages_decide_the_lproj_folders(card, apple_settings, signer, images):
    two_languages: ProgramInfo = replace(default_program(), languages=("fi", "en"))
    files = unzip(build_pkpass(two_languages, card, apple_settings, signer, images))
    assert sorted(n for n in files if n.endswith("pass.strings")) == [
        "en.lproj/pass.strings",
        "fi.lproj/pass.strings",
    ]
    # Finnish is this program's default language, so pass.json itself carries Finnish texts.
    assert json.loads(files["pass.json"])["storeCard"]["secondaryFields"][0]["value"] == "Kulta"


def test_authentication_tokens_are_long_random_and_compared_safely():
    first, second = new_authentication_token(), new_authentication_token()
    assert len(first) >= 16
    assert first != second
    assert tokens_match(first, first)
    assert not tokens_match(second, first)
    assert not tokens_match(None, first)
    assert not tokens_match("", first)
