"""The builder's shortcuts give the very pass the plain way gives: pass.json from its template,
manifest.json around the one changing line, and the zip with its static entries written once."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passes.apple import builder as builder_module
from passes.apple.archive import PassArchive
from passes.apple.builder import ApplePassBuilder
from passes.apple.pkpass import ApplePassSettings, manifest, pass_json, pass_json_bytes
from passes.cards.card import MemberCard


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every CRC and local header checks out
        return {name: archive.read(name) for name in archive.namelist()}


class FixedSigner:
    def sign(self, manifest_bytes: bytes) -> bytes:
        return b"signature of " + hashlib.sha256(manifest_bytes).digest()


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
cards = st.builds(
    MemberCard,
    serial_number=texts,
    member_name=texts,
    card_number=st.one_of(st.just(""), st.from_regex(r"[0-9]{13}", fullmatch=True), texts),
    tier=st.sampled_from(["silver", "gold", "platinum"]),
    points_available=st.integers(-(10**12), 10**12),
    points_pending=st.integers(0, 10**9),
    authentication_token=st.text(min_size=16, max_size=64),
    expires_at=st.one_of(
        st.none(),
        st.datetimes(
            min_value=datetime(2000, 1, 1),
            max_value=datetime(2100, 1, 1),
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]),
        ),
    ),
    voided=st.booleans(),
)


@pytest.fixture(scope="module")
def fast_builder(program_info, images) -> ApplePassBuilder:
    apple = ApplePassSettings("pass.fi.lumo.loyalty", "LUMO123456", "https://x.example/passkit")
    return ApplePassBuilder(program_info, apple, FixedSigner(), images)


@settings(max_examples=300, deadline=None)
@given(card=cards)
def test_pass_json_from_the_template_is_pass_jsons_own(fast_builder, card):
    direct = pass_json_bytes(pass_json(fast_builder.program, card, fast_builder.settings))
    assert fast_builder.pass_json(card) == direct
    json.loads(direct)


@settings(max_examples=50, deadline=None)
@given(card=cards)
def test_a_built_pass_is_its_files_its_manifest_and_its_signature(fast_builder, card):
    files = unzip(fast_builder.build(card))
    expected = fast_builder.files(card)
    expected["manifest.json"] = manifest(expected)
    expected["signature"] = FixedSigner().sign(expected["manifest.json"])
    assert files == expected
    assert json.loads(files["manifest.json"])["pass.json"] == (
        hashlib.sha1(files["pass.json"]).hexdigest()
    )


def test_the_checks_of_pass_json_hold_for_the_template_too(fast_builder, card):
    with pytest.raises(ValueError, match="authenticationToken"):
        fast_builder.pass_json(replace(card, authentication_token="short"))
    naive = replace(card, expires_at=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        fast_builder.pass_json(naive)


def test_pass_json_that_cannot_be_templated_is_built_in_full(
    program_info, images, apple_settings, card, monkeypatch, caplog
):
    """Should pass_json ever transform a member's value, the template would freeze it: the
    check against pass_json at start-up sees that and the builder builds the plain way."""

    def shouting(program, card, settings):
        document = pass_json(program, card, settings)
        member = document["storeCard"]["auxiliaryFields"][0]
        member["value"] = str(member["value"]).upper()
        return document

    monkeypatch.setattr(builder_module, "pass_json", shouting)
    builder = ApplePassBuilder(program_info, apple_settings, FixedSigner(), images)
    assert json.loads(builder.pass_json(card))["storeCard"]["auxiliaryFields"][0]["value"] == (
        "AINO VIRTANEN"
    )
    assert "cannot be templated" in caplog.text


def test_the_archive_is_what_zipfile_reads_and_writes():
    static = {"icon.png": b"\x89PNG" + bytes(range(256)) * 4, "en.lproj/pass.strings": b"\xff\xfe"}
    made = PassArchive(static).build([("pass.json", b"{}"), ("signature", b"")])
    with zipfile.ZipFile(io.BytesIO(made)) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        assert [i.filename for i in infos] == [*static, "pass.json", "signature"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        assert archive.read("icon.png") == static["icon.png"]
        assert archive.read("pass.json") == b"{}"
        assert archive.read("signature") == b""
        assert infos[-1].date_time[0] >= 2024


def test_every_shape_of_card_gets_its_template(program_info, images, apple_settings, card, caplog):
    """The plain way is the fallback, not the norm: no shape of card falls back today."""
    builder = ApplePassBuilder(program_info, apple_settings, FixedSigner(), images)
    for tier in ("silver", "gold", "platinum"):
        for expires_at in (None, datetime(2030, 1, 1, tzinfo=UTC)):
            for voided in (False, True):
                for number in ("", "6012345678901"):
                    shaped = replace(
                        card, tier=tier, expires_at=expires_at, voided=voided, card_number=number
                    )
                    direct = pass_json_bytes(pass_json(program_info, shaped, apple_settings))
                    assert builder.pass_json(shaped) == direct
    assert "cannot be templated" not in caplog.text
