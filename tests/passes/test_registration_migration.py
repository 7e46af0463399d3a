"""Migration 0009: the push token moves from the device to each of its registrations."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from app import create_app
from app.config import TestConfig
from tests.support import ROOT

REVISION = "0009_passes_registration_tokens"
PREVIOUS = "0008_accounts"


def test_each_registration_keeps_the_token_its_device_had(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", migrations)
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app(
        settings | {"SQLALCHEMY_DATABASE_URI": url, "MIGRATIONS_DIR": migrations, "FEATURES": ()}
    )
    engine = create_engine(url)
    with app.app_context():
        upgrade(directory=str(migrations), revision=PREVIOUS)
        with engine.begin() as conn:
            # Foreign keys are not enforced by SQLite here: the passes' rows stand alone.
            conn.execute(
                text(
                    "INSERT INTO apple_devices (id, device_library_id, push_token, created_at) "
                    "VALUES (1, 'phone', 'token-phone', '2026-01-01'), "
                    "(2, 'watch', 'token-watch', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO apple_registrations (id, device_id, pass_id, created_at) "
                    "VALUES (1, 1, 10, '2026-01-01'), (2, 1, 11, '2026-01-01'), "
                    "(3, 2, 10, '2026-01-01')"
                )
            )

        upgrade(directory=str(migrations), revision=REVISION)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, push_token FROM apple_registrations ORDER BY id")
            ).all()
            device_columns = [r[1] for r in conn.execute(text("PRAGMA table_info(apple_devices)"))]
        assert rows == [(1, "token-phone"), (2, "token-phone"), (3, "token-watch")]
        assert "push_token" not in device_columns

        downgrade(directory=str(migrations), revision=PREVIOUS)
        with engine.connect() as conn:
            devices = conn.execute(
                text("SELECT device_library_id, push_token FROM apple_devices ORDER BY id")
            ).all()
        assert devices == [("phone", "token-phone"), ("watch", "token-watch")]
    engine.dispose()
