from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine

from app import create_app
from app.config import TestConfig
from app.extensions import db


def test_migrations_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app(
        {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
        | {
            "SQLALCHEMY_DATABASE_URI": url,
        }
    )
    with app.app_context():
        upgrade()
        engine = create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_openapi_document_and_docs(client):
    spec = client.get("/openapi.json").get_json()
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/transactions",
        "/api/v1/transactions/{purchase_id}/refunds",
        "/api/v1/rewards/{reward_id}/redeem",
        "/api/v1/me/points/history",
    ]:
        assert path in spec["paths"], path
    assert client.get("/docs").status_code == 200


def test_production_refuses_dev_secret(monkeypatch):
    import pytest

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"APP_ENV": "production", "SQLALCHEMY_DATABASE_URI": "postgresql://x/y"})


def test_demo_seed_makes_a_consistent_program(app):
    from sqlalchemy import func, select

    from app.ledger.service import integrity_problems
    from app.members.models import Member
    from app.rewards.models import Redemption
    from app.seed import seed

    with app.app_context():
        logins = seed()
        assert {role for role, *_ in logins} == {"admin", "staff", "member", "pos-key"}
        assert db.session.scalar(select(func.count(Member.id))) == 4
        assert db.session.scalar(select(func.count(Redemption.id))) == 1
        assert integrity_problems() == []
        assert seed() is None  # a second run leaves the program alone
