"""The passes feature with no configuration (development), its CLI, and production's refusals."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from flask import Flask

from app import create_app
from app.config import TestConfig
from app.extensions import db
from passes.apple.checks import check_pass_setup
from passes.apple.dev_certs import dev_chain_paths
from passes.apple.signing import load_certificate
from tests.conftest import _truncate_pg, make_app
from tests.passes.conftest import APP_PASS_TYPE_ID, APP_TEAM_ID, WEB_SERVICE_URL
from tests.support import purchase, signup


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """The app as `make run` starts it: no certificate, no Google account, nothing set."""
    app = make_app(backend, tmp_path, FEATURES=("passes",), PASS_DEV_DIR=str(tmp_path / "dev"))
    yield app
    app.extensions["passes"].close()
    if backend == "postgresql":
        _truncate_pg(app)
    else:
        with app.app_context():
            db.engine.dispose()


def openssl_verify(directory: Path, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(directory / "signature"),
            "-content",
            str(directory / "manifest.json"),
            "-CAfile",
            str(root),
            "-purpose",
            "any",
            "-out",
            str(directory / "verified"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_with_nothing_configured_passes_are_signed_by_a_generated_chain(
    app, client, program, tmp_path
):
    member = signup(client)
    res = client.get("/api/v1/me/passes/apple", headers=member.headers)
    assert res.status_code == 200
    target = tmp_path / "pass"
    with zipfile.ZipFile(io.BytesIO(res.data)) as archive:
        archive.extractall(target)

    manifest = json.loads((target / "manifest.json").read_text())
    on_disk = {
        str(p.relative_to(target))
        for p in target.rglob("*")
        if p.is_file() and p.name not in ("manifest.json", "signature")
    }
    assert set(manifest) == on_disk
    for name, digest in manifest.items():
        assert hashlib.sha1((target / name).read_bytes()).hexdigest() == digest, name
    for language in ("en", "fi", "pl", "tl"):
        assert f"{language}.lproj/pass.strings" in manifest

    chain = dev_chain_paths(tmp_path / "dev")
    result = openssl_verify(target, chain.root)
    assert result.returncode == 0, result.stderr
    document = json.loads((target / "pass.json").read_text())
    assert document["passTypeIdentifier"] == "pass.dev.loyalty.example"
    # No webServiceURL is configured in development, so the pass promises no updates.
    assert "webServiceURL" not in document
    assert "authenticationToken" not in document


def test_the_generated_chain_is_made_once_and_reused(app, tmp_path):
    root = dev_chain_paths(tmp_path / "dev").root.read_bytes()
    again = create_app(
        {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
        | {"FEATURES": ("passes",), "PASS_DEV_DIR": str(tmp_path / "dev")}
    )
    assert dev_chain_paths(tmp_path / "dev").root.read_bytes() == root
    assert again.extensions["passes"].signer is not None


def test_google_in_development_records_calls_and_signs_with_a_generated_key(
    app, client, program, tmp_path
):
    member = signup(client)
    res = client.get("/api/v1/me/passes/google", headers=member.headers)
    assert res.status_code == 200
    info = json.loads((tmp_path / "dev" / "google-service-account.json").read_text())
    public_key = serialization.load_pem_private_key(
        info["private_key"].encode(), password=None
    ).public_key()
    claims = jwt.decode(res.get_json()["jwt"], public_key, algorithms=["RS256"], audience="google")
    assert claims["origins"]

    recorded = app.extensions["passes"].wallet_api.calls
    assert [(c.method, c.path) for c in recorded] == [
        ("POST", "/loyaltyClass"),
        ("POST", "/loyaltyObject"),
    ]
    assert all(c.problems == () for c in recorded)

    purchase(client, program, member.card_number, "25.00")
    patch = recorded[-1]
    assert (patch.method, patch.path) == ("PATCH", f"/loyaltyObject/{res.get_json()['object_id']}")
    assert patch.body["secondaryLoyaltyPoints"]["balance"] == {"int": 25}
    assert patch.problems == ()


def test_flask_passes_dev_certs_writes_a_chain_for_the_configured_pass_type(app, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "cli-chain"
    args = ["passes", "dev-certs", "--dir", str(target), "--key-password", "s3cret"]

    result = runner.invoke(args=args)

    assert result.exit_code == 0, result.output
    paths = dev_chain_paths(target)
    assert f"PASS_CERT_PATH={paths.certificate}" in result.output
    certificate = load_certificate(paths.certificate)
    uid = certificate.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value
    assert uid == "pass.dev.loyalty.example"
    findings = check_pass_setup(
        paths.certificate,
        paths.key,
        paths.wwdr,
        "s3cret",
        "pass.dev.loyalty.example",
        "DEVTEAM000",
        WEB_SERVICE_URL,
    )
    assert [f.code for f in findings] == ["not_apple_chain"]

    refused = runner.invoke(args=args)
    assert refused.exit_code != 0
    assert "already holds" in refused.output
    assert load_certificate(paths.certificate) == certificate

    replaced = runner.invoke(args=[*args, "--force"])
    assert replaced.exit_code == 0
    assert load_certificate(paths.certificate) != certificate


def test_flask_passes_check_reports_the_development_setup(app):
    result = app.test_cli_runner().invoke(args=["passes", "check"])
    assert result.exit_code == 0
    assert "development_certificate" in result.output
    assert "google_recording" in result.output


# -- production -------------------------------------------------------------------------------


def production(tmp_path: Path, **extra: object) -> dict:
    return (
        {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
        | {
            "APP_ENV": "production",
            "SECRET_KEY": "p" * 40,
            # Never connected to: start-up checks run before any query.
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://loyalty@127.0.0.1:1/loyalty",
            # What the core's own production checks need (never connected to either).
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
            "SMTP_HOST": "smtp.loyalty.test",
            "MAIL_FROM": "no-reply@loyalty.test",
            "FEATURES": ("passes",),
            "PASS_DEV_DIR": str(tmp_path / "must-not-exist"),
        }
        | extra
    )


@pytest.fixture
def complete(tmp_path: Path, passes_dev_dir: Path, google_account) -> dict:
    """Everything production needs (the chain is a development one: a warning, not an error)."""
    chain = dev_chain_paths(passes_dev_dir)
    return {
        "PASS_TYPE_IDENTIFIER": APP_PASS_TYPE_ID,
        "PASS_TEAM_IDENTIFIER": APP_TEAM_ID,
        "PASS_CERT_PATH": str(chain.certificate),
        "PASS_KEY_PATH": str(chain.key),
        "PASS_WWDR_PATH": str(chain.wwdr),
        "PASS_WEB_SERVICE_URL": WEB_SERVICE_URL,
        "GOOGLE_WALLET_ISSUER_ID": "3388000000022200000",
        "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE": str(google_account[1]),
        "GOOGLE_WALLET_ORIGINS": "https://app.loyalty.test",
        "GOOGLE_WALLET_LOGO_URL": "https://cdn.loyalty.test/logo.png",
    }


def test_production_starts_with_everything_configured(tmp_path, complete):
    app = create_app(production(tmp_path, **complete))
    state = app.extensions["passes"]
    assert [f.code for f in state.findings] == ["not_apple_chain"]
    assert state.signer is not None
    assert not (tmp_path / "must-not-exist").exists()


def test_production_without_certificates_or_google_refuses_to_start(tmp_path):
    with pytest.raises(RuntimeError) as refused:
        create_app(production(tmp_path))
    message = str(refused.value)
    for code in (
        "cert_missing",
        "key_missing",
        "wwdr_missing",
        "web_service_url_missing",
        "google_service_account_missing",
        "google_logo_missing",
        "google_issuer_missing",
    ):
        assert code in message
    # Production never falls back to a development chain.
    assert not (tmp_path / "must-not-exist").exists()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"PASS_WEB_SERVICE_URL": "http://loyalty.test/passkit"}, "web_service_url_not_https"),
        ({"PASS_WEB_SERVICE_URL": "https://loyalty.test/passkit/v1"}, "web_service_url_ends_v1"),
        ({"PASS_TYPE_IDENTIFIER": "pass.someone.else"}, "uid_mismatch"),
        ({"PASS_TEAM_IDENTIFIER": "OTHERTEAM1"}, "team_mismatch"),
        ({"PASS_KEY_PASSWORD": "not-the-password"}, "key_unreadable"),
        ({"GOOGLE_WALLET_ORIGINS": ""}, "google_origins_missing"),
    ],
)
def test_production_refuses_what_would_break_passes(tmp_path, complete, change, code):
    with pytest.raises(RuntimeError, match=code):
        create_app(production(tmp_path, **(complete | change)))


def test_the_web_service_is_mounted_where_the_web_service_url_points(tmp_path, complete):
    app = create_app(
        production(
            tmp_path, **(complete | {"PASS_WEB_SERVICE_URL": "https://api.loyalty.test/wallet"})
        )
    )
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert "/wallet/v1/passes/<pass_type>/<serial>" in rules
    assert "/wallet/v1/log" in rules
    assert not any(rule.startswith("/passkit") for rule in rules)


def test_the_development_chain_is_remade_when_the_pass_type_changes(tmp_path):
    from passes.apple.dev_certs import ensure_dev_chain

    first = ensure_dev_chain(tmp_path, "pass.first.loyalty", "TEAMONE001")
    before = first.certificate.read_bytes()
    assert ensure_dev_chain(tmp_path, "pass.first.loyalty", "TEAMONE001") == first
    assert first.certificate.read_bytes() == before  # fits: kept

    ensure_dev_chain(tmp_path, "pass.second.loyalty", "TEAMONE001")
    uid = load_certificate(first.certificate).subject.get_attributes_for_oid(NameOID.USER_ID)
    assert uid[0].value == "pass.second.loyalty"
