"""Shared fixtures. Every app-level test runs on SQLite and, when TEST_DATABASE_URL is set,
on PostgreSQL too; the PostgreSQL schema is made once and emptied between tests."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.support import Program, seed_program

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_pg_schema_ready = False


def _prepare_pg_schema(app: Flask) -> None:
    global _pg_schema_ready
    if _pg_schema_ready:
        return
    # Every package's tables, also those of features a subset of tests never loads, so that the
    # schema made once serves the whole session.
    for name in (
        "passes.apple.models",
        "passes.google.models",
        "challenges.tables",
        "notifications.tables",
        "community.tables",
        "referrals.tables",
        "analytics.tables",
    ):
        importlib.import_module(name)
    with app.app_context():
        # Drops tables of every package, also those this run's models no longer know.
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
    _pg_schema_ready = True


def _truncate_pg(app: Flask) -> None:
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


def make_app(backend: str, tmp_path, **overrides) -> Flask:
    if backend == "postgresql":
        if not PG_URL:
            pytest.skip("TEST_DATABASE_URL is not set")
        uri = PG_URL
        engine_options = {"pool_size": 20, "max_overflow": 60, "pool_pre_ping": True}
    else:
        uri = f"sqlite:///{tmp_path / 'test.db'}"
        engine_options = {}
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": uri,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        **overrides,
    }
    app = create_app(settings)
    if backend == "postgresql":
        _prepare_pg_schema(app)
    else:
        with app.app_context():
            db.create_all()
    return app


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(backend, tmp_path) -> Iterator[Flask]:
    app = make_app(backend, tmp_path)
    yield app
    if backend == "postgresql":
        _truncate_pg(app)
    else:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def pg_app(tmp_path) -> Iterator[Flask]:
    """PostgreSQL only: for the tests that race requests against each other."""
    app = make_app("postgresql", tmp_path)
    yield app
    _truncate_pg(app)


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def program(app) -> Program:
    return seed_program(app)
