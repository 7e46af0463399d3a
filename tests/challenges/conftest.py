"""Fixtures for the games' tests: Redis and PostgreSQL only where the environment names them,
and the core's app fixtures with the games package plugged in."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from sqlalchemy import Engine, create_engine

# Imported at collection: the games' tables are then in the PostgreSQL schema that the core's
# fixtures create once per session.
import challenges.tables  # noqa: F401
from app.extensions import db
from tests.conftest import _truncate_pg, make_app


@pytest.fixture
def redis_prefix() -> str:
    return f"games-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_client(redis_prefix: str) -> Iterator[redis.Redis]:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set")
    client = redis.Redis.from_url(url)
    client.ping()
    yield client
    # The database may be shared with other suites: remove only this test's keys.
    keys = list(client.scan_iter(match=f"{redis_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL (PostgreSQL) is not set")
    engine = create_engine(url, pool_size=4)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    yield engine
    engine.dispose()


# App-level fixtures: the core's, with the games package plugged in.


@pytest.fixture
def games_redis(redis_prefix: str) -> Iterator[dict]:
    """Leaderboards in Redis when REDIS_URL is set (under this test's own key prefix)."""
    url = os.environ.get("REDIS_URL")
    yield {"GAMES_REDIS_URL": url, "GAMES_REDIS_PREFIX": redis_prefix}
    if url:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{redis_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def _games_app(backend: str, tmp_path, settings: dict) -> Iterator[Flask]:
    # The ledger check of these apps also proves the games' payments (init_app adds the
    # games' rules to it).
    app = make_app(backend, tmp_path, FEATURES=("challenges",), **settings)
    yield app
    if backend == "postgresql":
        _truncate_pg(app)
    else:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app_settings(games_redis: dict) -> dict:
    """Overridden by a test module (or parametrized) to change the games' settings."""
    return dict(games_redis)


@pytest.fixture
def app(backend, tmp_path, app_settings) -> Iterator[Flask]:
    yield from _games_app(backend, tmp_path, app_settings)


@pytest.fixture
def pg_app(tmp_path, app_settings) -> Iterator[Flask]:
    yield from _games_app("postgresql", tmp_path, app_settings)
