"""The members' data tests that need every feature package at once: their fakes (APNs, Google
Wallet, FCM) come from those packages' fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app.extensions import db
from tests.conftest import _truncate_pg, make_app
from tests.notifications.conftest import (  # noqa: F401  (fixtures)
    fake_fcm,
    fcm_materials,
    service_account_file,
)
from tests.passes.conftest import (  # noqa: F401  (fixtures)
    apns_tls,
    fake_apns,
    fake_google,
    google_account,
    passes_delay,
    passes_dev_dir,
    passes_settings,
)

FEATURES = ("passes", "notifications", "challenges")


@pytest.fixture
def full_app(
    backend: str,
    tmp_path: Path,
    passes_settings: dict,  # noqa: F811
    fake_fcm,  # noqa: F811
    service_account_file,  # noqa: F811
) -> Iterator[Flask]:
    """Every feature package on, each pointed at its local fake."""
    from notifications.state import close_senders

    settings = passes_settings | {
        "FEATURES": FEATURES,
        "FIREBASE_CREDENTIALS_FILE": str(service_account_file),
        "FCM_ENDPOINT": fake_fcm.url,
        "FCM_MAX_ATTEMPTS": "1",
        "PUSH_QUIET_HOURS": "",
        "PUSH_DAILY_CAP": "0",
    }
    app = make_app(backend, tmp_path, **settings)
    yield app
    app.extensions["passes"].close()
    close_senders()
    if backend == "postgresql":
        _truncate_pg(app)
    else:
        with app.app_context():
            db.engine.dispose()
