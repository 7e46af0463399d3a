"""Fixtures for the push tests: a fake FCM per test and a firebase-admin app pointed at it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import firebase_admin
import pytest

from notifications.sending.fcm import FcmSender
from notifications.sending.firebase import initialize
from tests.fakes.fcm import FakeFcm, Materials

_names = itertools.count(1)


@pytest.fixture(scope="session")
def fcm_materials(tmp_path_factory: pytest.TempPathFactory) -> Materials:
    # Key and certificate generation is the slow part of a fake; one set serves the session.
    return Materials.create(tmp_path_factory.mktemp("fake-fcm"))


@pytest.fixture
def fake_fcm(fcm_materials: Materials, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFcm]:
    with FakeFcm("loyalty-test", materials=fcm_materials) as fake:
        for key, value in fake.client_env().items():
            monkeypatch.setenv(key, value)
        yield fake


@pytest.fixture
def service_account_file(fake_fcm: FakeFcm, tmp_path: Path) -> Path:
    return fake_fcm.write_service_account(tmp_path / "service-account.json")


@pytest.fixture
def fcm_app(fake_fcm: FakeFcm, service_account_file: Path) -> Iterator[firebase_admin.App]:
    app = initialize(service_account_file, name=f"push-test-{next(_names)}", endpoint=fake_fcm.url)
    yield app
    firebase_admin.delete_app(app)


@pytest.fixture
def make_sender(fcm_app: firebase_admin.App) -> Iterator[Callable[..., FcmSender]]:
    senders: list[FcmSender] = []

    def make(**options: object) -> FcmSender:
        options.setdefault("sleep", lambda seconds: None)
        sender = FcmSender(fcm_app, **options)  # type: ignore[arg-type]
        senders.append(sender)
        return sender

    yield make
    for sender in senders:
        sender.close()


# -- the app with the notifications feature, sending through firebase-admin to the fake ------

# Imported at collection: the push tables are then in the PostgreSQL schema that the core's
# fixtures create once per session.
from flask import Flask  # noqa: E402

import notifications.tables  # noqa: E402, F401
from app.extensions import db  # noqa: E402
from notifications.state import close_senders  # noqa: E402
from tests.conftest import _truncate_pg, make_app  # noqa: E402


@pytest.fixture
def make_push_app(
    backend: str, tmp_path: Path, fake_fcm: FakeFcm, service_account_file: Path
) -> Iterator[Callable[..., Flask]]:
    """Apps with the push feature; quiet hours and the cap are off unless a test sets them."""
    apps: list[Flask] = []

    def make(**overrides: object) -> Flask:
        settings = {
            "FEATURES": ("notifications",),
            "FIREBASE_CREDENTIALS_FILE": str(service_account_file),
            "FCM_ENDPOINT": fake_fcm.url,
            "FCM_MAX_ATTEMPTS": "1",  # a retryable failure goes back to the outbox at once
            "PUSH_QUIET_HOURS": "",
            "PUSH_DAILY_CAP": "0",
            **overrides,
        }
        app = make_app(backend, tmp_path, **settings)
        apps.append(app)
        return app

    yield make
    close_senders()
    if backend == "postgresql" and apps:
        _truncate_pg(apps[0])
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_push_app: Callable[..., Flask]) -> Flask:
    return make_push_app()
