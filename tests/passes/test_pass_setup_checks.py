"""Start-up checks and the development chain they are most often run against."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from passes.apple.checks import check_material, check_pass_setup, check_web_service_url
from passes.apple.dev_certs import (
    generate_dev_certs,
    make_dev_chain,
    make_pass_certificate,
    private_key_pem,
)
from passes.apple.signing import load_private_key

PASS_TYPE_ID = "pass.fi.lumo.loyalty"
TEAM_ID = "LUMO123456"
URL = "https://api.lumo.example/passkit"


def codes(findings, level=None) -> set[str]:
    return {f.code for f in findings if level is None or f.level == level}


def check(dev_chain, **overrides):
    arguments = {
        "certificate": dev_chain.certificate,
        "key": dev_chain.key,
        "wwdr": dev_chain.wwdr,
        "pass_type_identifier": PASS_TYPE_ID,
        "team_identifier": TEAM_ID,
        "web_service_url": URL,
    } | overrides
    return check_material(**arguments)


def test_dev_chain_passes_with_only_the_not_apple_warning(dev_chain):
    findings = check(dev_chain)
    assert codes(findings) == {"not_apple_chain"}
    assert codes(findings, "error") == set()


def test_dev_pass_certificate_is_shaped_like_apples(dev_chain):
    subject = dev_chain.certificate.subject
    assert subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == PASS_TYPE_ID
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == TEAM_ID
    assert dev_chain.certificate.issuer == dev_chain.wwdr.subject
    assert dev_chain.wwdr.issuer == dev_chain.root.subject


def test_uid_must_be_the_pass_type_identifier(dev_chain):
    findings = check(dev_chain, pass_type_identifier="pass.fi.lumo.other")
    assert codes(findings, "error") == {"uid_mismatch"}
    assert "pass.fi.lumo.other" in findings[0].message


def test_ou_must_be_the_team_identifier(dev_chain):
    assert codes(check(dev_chain, team_identifier="OTHER99999"), "error") == {"team_mismatch"}


def test_key_must_match_the_certificate(dev_chain):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert codes(check(dev_chain, key=stranger), "error") == {"key_mismatch"}


def test_expired_wwdr_is_an_error():
    old = make_dev_chain(
        PASS_TYPE_ID, TEAM_ID, now=datetime.now(UTC) - timedelta(days=800), wwdr_valid_days=365
    )
    # A current pass certificate from that (now expired) intermediate: only the WWDR is wrong.
    certificate, key = make_pass_certificate(PASS_TYPE_ID, TEAM_ID, old.wwdr, old.wwdr_key)
    findings = check(old, certificate=certificate, key=key)
    assert codes(findings, "error") == {"wwdr_expired"}


def test_wwdr_must_be_the_one_that_issued_the_certificate(dev_chain):
    other_generation = make_dev_chain(PASS_TYPE_ID, TEAM_ID)
    findings = check(dev_chain, wwdr=other_generation.wwdr)
    assert codes(findings, "error") == {"wwdr_not_issuer"}


def test_certificate_expiring_within_30_days_warns(dev_chain):
    certificate, key = make_pass_certificate(
        PASS_TYPE_ID, TEAM_ID, dev_chain.wwdr, dev_chain.wwdr_key, valid_days=20
    )
    findings = check(dev_chain, certificate=certificate, key=key)
    assert codes(findings, "error") == set()
    assert "cert_expiring" in codes(findings, "warning")
    # 31 days is outside the window.
    certificate, key = make_pass_certificate(
        PASS_TYPE_ID, TEAM_ID, dev_chain.wwdr, dev_chain.wwdr_key, valid_days=31
    )
    assert "cert_expiring" not in codes(check(dev_chain, certificate=certificate, key=key))


def test_expired_certificate_is_an_error(dev_chain):
    findings = check(dev_chain, now=datetime.now(UTC) + timedelta(days=400))
    assert "cert_expired" in codes(findings, "error")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://api.lumo.example/passkit", "web_service_url_not_https"),
        ("https://api.lumo.example/passkit/v1", "web_service_url_ends_v1"),
        ("https://api.lumo.example/passkit/v1/", "web_service_url_ends_v1"),
    ],
)
def test_web_service_url_must_be_https_without_v1(url, code):
    assert codes(check_web_service_url(url), "error") == {code}


def test_good_web_service_url_and_missing_one():
    assert check_web_service_url(URL) == []
    assert check_web_service_url("https://api.lumo.example/v1passes") == []
    assert codes(check_web_service_url(None), "warning") == {"web_service_url_missing"}


def test_check_pass_setup_reads_the_files(dev_chain_files):
    findings = check_pass_setup(
        dev_chain_files.certificate,
        dev_chain_files.key,
        dev_chain_files.wwdr,
        "correct horse battery",
        PASS_TYPE_ID,
        TEAM_ID,
        URL,
    )
    assert codes(findings, "error") == set()


def test_check_pass_setup_reports_missing_files_and_wrong_password(dev_chain_files, tmp_path):
    findings = check_pass_setup(
        tmp_path / "absent.pem", dev_chain_files.key, None, "wrong", PASS_TYPE_ID, TEAM_ID, URL
    )
    assert codes(findings, "error") == {"cert_missing", "wwdr_missing", "key_unreadable"}


def test_generate_dev_certs_writes_the_chain_and_protects_the_key(tmp_path):
    paths = generate_dev_certs(tmp_path, PASS_TYPE_ID, TEAM_ID, key_password="s3cret-pw")
    for path in (paths.root, paths.wwdr, paths.certificate):
        assert path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert stat.S_IMODE(paths.key.stat().st_mode) == 0o600
    assert b"ENCRYPTED" in paths.key.read_bytes()
    with pytest.raises((TypeError, ValueError)):
        load_private_key(paths.key)  # no password
    key = load_private_key(paths.key, "s3cret-pw")
    findings = check_pass_setup(
        paths.certificate, paths.key, paths.wwdr, "s3cret-pw", PASS_TYPE_ID, TEAM_ID, URL
    )
    assert codes(findings, "error") == set()
    assert key.key_size == 2048


def test_generate_dev_certs_never_overwrites_without_asking(tmp_path):
    first = generate_dev_certs(tmp_path, PASS_TYPE_ID, TEAM_ID)
    before = first.certificate.read_bytes()
    with pytest.raises(FileExistsError):
        generate_dev_certs(tmp_path, PASS_TYPE_ID, TEAM_ID)
    assert first.certificate.read_bytes() == before
    generate_dev_certs(tmp_path, PASS_TYPE_ID, TEAM_ID, overwrite=True)
    assert first.certificate.read_bytes() != before


def test_unencrypted_key_pem_round_trips(dev_chain, tmp_path):
    path = tmp_path / "key.pem"
    path.write_bytes(private_key_pem(dev_chain.key))
    assert load_private_key(path).private_numbers() == dev_chain.key.private_numbers()
