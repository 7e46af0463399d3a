"""The demo's push part, and the migration that makes the push tables."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select

from app import create_app
from app.config import TestConfig
from app.extensions import db
from notifications.campaigns.models import Campaign
from notifications.delivery.models import Delivery
from notifications.devices.models import Device
from tests.support import bearer

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_has_a_sent_campaign_with_its_counts(app, client) -> None:
    from app.auth.service import login
    from app.seed import seed
    from notifications import seed_demo

    with app.app_context():
        assert seed() is not None  # the core's demo runs ours as one of its parts
        first = seed_demo()
        campaign = db.session.scalar(select(Campaign))
        assert first["campaign"] == campaign.public_id
        assert campaign.status == "sent"
        assert db.session.query(Device).count() == 5
        token = login("admin@example.com", "demo-password-1")[1].access_token
        assert seed_demo() == first  # idempotent
        assert db.session.query(Campaign).count() == 1
    body = client.get(f"/api/v1/admin/campaigns/{first['campaign']}", headers=bearer(token))
    counts = body.get_json()["counts"]
    # Aino and Maria consented to marketing: Aino's two devices and Maria's one.
    assert (counts["targeted"], counts["members"], counts["sent"], counts["opened"]) == (3, 2, 3, 1)
    assert body.get_json()["offer_id"] is not None
    segments = client.get("/api/v1/admin/segments", headers=bearer(token)).get_json()
    assert {"Marketing audience", "Gold and Platinum"} <= {s["name"] for s in segments}
    with app.app_context():
        # The campaign's own deliveries: other packages' demo parts may push too (their
        # registry is process-wide, and the suite runs them in this app).
        campaign_id = db.session.scalar(select(Campaign.id))
        languages = {
            d.language
            for d in db.session.scalars(select(Delivery).where(Delivery.campaign_id == campaign_id))
        }
    assert languages == {"fi", "tl"}


def test_the_migration_makes_the_push_tables_as_the_models_have_them(tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    for name in ("env.py", "alembic.ini", "script.py.mako"):
        shutil.copy(ROOT / "migrations" / name, tmp_path / "migrations" / name)
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        shutil.copy(path, versions / path.name)
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app(
        settings
        | {
            "SQLALCHEMY_DATABASE_URI": url,
            "MIGRATIONS_DIR": tmp_path / "migrations",
            "FEATURES": ("notifications",),
        }
    )
    directory = str(tmp_path / "migrations")
    with app.app_context():
        upgrade(directory=directory)
        engine = create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        tables = set(inspect(engine).get_table_names())
        downgrade(directory=directory, revision="-1")  # ours is the last one
        upgrade(directory=directory)
        engine.dispose()

    assert {"push_devices", "push_preferences", "push_campaigns", "push_deliveries"} <= tables
    # Only the push tables are judged here (the core's own test judges them all).
    assert [change for change in diff if _table_of(change).startswith("push_")] == []


def _table_of(change) -> str:
    """The table an alembic autogenerate difference is about."""
    if isinstance(change, list):  # modify_* changes come as a list of tuples
        return _table_of(change[0])
    subject = change[1] if change[0].endswith(("_table", "_index", "_constraint")) else None
    if subject is not None and hasattr(subject, "table"):
        return subject.table.name
    if subject is not None and hasattr(subject, "name") and change[0].endswith("_table"):
        return subject.name
    return str(change[2])  # add_column, remove_column, modify_*: (op, schema, table, ...)
