"""Fixtures for the wallet-pass tests: a development chain, a program and a member card, and
the passes feature in a real app whose APNs and Google Wallet are local fakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

# The PostgreSQL schema is made from every model imported.
import passes.apple.models
import passes.google.models  # noqa: F401
from app.extensions import db
from passes.apple.dev_certs import (
    DevChain,
    DevChainPaths,
    dev_chain_paths,
    ensure_dev_chain,
    make_dev_chain,
    write_dev_chain,
)
from passes.apple.pkpass import ApplePassSettings, load_images
from passes.apple.signing import PassSigner
from passes.cards.card import MemberCard, ProgramInfo, default_program
from passes.google.client import generate_dev_service_account
from tests.conftest import _truncate_pg, make_app
from tests.fakes.apns import FakeApns, make_server_tls
from tests.fakes.google_wallet import FakeGoogleWallet

PASS_TYPE_ID = "pass.fi.lumo.loyalty"
TEAM_ID = "LUMO123456"
KEY_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def dev_chain() -> DevChain:
    return make_dev_chain(PASS_TYPE_ID, TEAM_ID)


@pytest.fixture(scope="session")
def dev_chain_files(dev_chain: DevChain, tmp_path_factory: pytest.TempPathFactory) -> DevChainPaths:
    return write_dev_chain(dev_chain, tmp_path_factory.mktemp("pass-certs"), KEY_PASSWORD)


@pytest.fixture(scope="session")
def signer(dev_chain_files: DevChainPaths) -> PassSigner:
    return PassSigner.from_files(
        dev_chain_files.certificate, dev_chain_files.key, dev_chain_files.wwdr, KEY_PASSWORD
    )


@pytest.fixture(scope="session")
def program_info() -> ProgramInfo:
    return replace(
        default_program(),
        logo_url="https://cdn.lumo.example/wallet/logo.png",
        homepage_url="https://lumo.example/",
    )


@pytest.fixture
def card() -> MemberCard:
    return MemberCard(
        serial_number="p_7Yc2kQ9xWm",
        member_name="Aino Virtanen",
        card_number="6012345678901",
        tier="gold",
        points_available=1250,
        points_pending=80,
        authentication_token="tok_5f2b9c1e8d7a4f3b",
    )


@pytest.fixture
def apple_settings() -> ApplePassSettings:
    return ApplePassSettings(
        pass_type_identifier=PASS_TYPE_ID,
        team_identifier=TEAM_ID,
        web_service_url="https://api.lumo.example/passkit",
    )


@pytest.fixture(scope="session")
def images() -> dict[str, bytes]:
    return load_images()


@pytest.fixture
def root_pem(dev_chain_files: DevChainPaths) -> Path:
    return dev_chain_files.root


# -- app-level fixtures: the passes feature in a real app, its fakes on 127.0.0.1 ---------------

APP_PASS_TYPE_ID = "pass.test.loyalty"
APP_TEAM_ID = "TEST123456"
WEB_SERVICE_URL = "https://loyalty.test/passkit"
GOOGLE_ISSUER = "3388000000022299999"
GOOGLE_ORIGIN = "https://app.loyalty.test"


@pytest.fixture(scope="session")
def passes_dev_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The development chain the app makes for itself, shared by the session's apps."""
    directory = tmp_path_factory.mktemp("passes-dev")
    ensure_dev_chain(directory, APP_PASS_TYPE_ID, APP_TEAM_ID)
    return directory


@pytest.fixture(scope="session")
def apns_tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_server_tls(tmp_path_factory.mktemp("fake-apns-tls"))


@pytest.fixture
def fake_apns(apns_tls, passes_dev_dir: Path) -> Iterator[FakeApns]:
    chain = dev_chain_paths(passes_dev_dir)
    _ca, cert, key = apns_tls
    with FakeApns(cert, key, client_cas=[chain.root, chain.wwdr]) as fake:
        yield fake


@pytest.fixture(scope="session")
def google_account(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    info = generate_dev_service_account("loyalty-test")
    path = tmp_path_factory.mktemp("google-key") / "service-account.json"
    path.write_text(json.dumps(info))
    return info, path


@pytest.fixture
def fake_google(google_account) -> Iterator[FakeGoogleWallet]:
    with FakeGoogleWallet(google_account[0]) as fake:
        yield fake


@pytest.fixture
def passes_delay() -> str:
    """PASS_UPDATE_DELAY_SECONDS; a test overrides it by parametrizing `passes_delay`."""
    return "0"


@pytest.fixture
def passes_settings(
    passes_dev_dir, apns_tls, fake_apns, fake_google, google_account, passes_delay
) -> dict:
    return {
        "FEATURES": ("passes",),
        "PASS_TYPE_IDENTIFIER": APP_PASS_TYPE_ID,
        "PASS_TEAM_IDENTIFIER": APP_TEAM_ID,
        "PASS_DEV_DIR": str(passes_dev_dir),
        "PASS_WEB_SERVICE_URL": WEB_SERVICE_URL,
        "PASS_UPDATE_DELAY_SECONDS": passes_delay,
        "APNS_BASE_URL": fake_apns.base_url,
        "APNS_CA_FILE": str(apns_tls[0]),
        "APNS_TIMEOUT_SECONDS": "5",
        "GOOGLE_WALLET_ISSUER_ID": GOOGLE_ISSUER,
        "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE": str(google_account[1]),
        "GOOGLE_WALLET_API_URL": fake_google.api_url,
        "GOOGLE_WALLET_TOKEN_URI": fake_google.token_uri,
        "GOOGLE_WALLET_ORIGINS": GOOGLE_ORIGIN,
        "GOOGLE_WALLET_LOGO_URL": "https://cdn.loyalty.test/wallet/logo.png",
    }


@pytest.fixture
def app(backend: str, tmp_path: Path, passes_settings: dict) -> Iterator[Flask]:
    """The core's app fixture with the passes feature on and pointed at the fakes."""
    app = make_app(backend, tmp_path, **passes_settings)
    yield app
    app.extensions["passes"].close()
    if backend == "postgresql":
        _truncate_pg(app)
    else:
        with app.app_context():
            db.engine.dispose()
