"""/healthz answers while the process is up; /readyz asks the database, Redis and the broker,
each within the timeout, and names what is down in the one error shape."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.config import TestConfig
from app.ops import readiness
from app.ops.schemas import HealthSchema, NotReadySchema, ReadinessSchema
from tests.conftest import make_app

REDIS_URL = os.environ.get("REDIS_URL")
# Nothing listens on port 1: a stopped server.
STOPPED_REDIS = "redis://127.0.0.1:1/0"
STOPPED_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"


def _settings(**overrides) -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()} | overrides


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections (the kernel does) and never answers: a hung server."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    sock.close()


def _not_ready(app: Flask) -> dict:
    res = app.test_client().get("/readyz")
    assert res.status_code == 503
    body = res.get_json()
    assert NotReadySchema().validate(body) == {}
    assert body["error"]["code"] == "not_ready"
    return body["error"]


def test_healthz_answers_without_asking_the_database():
    app = create_app(_settings(SQLALCHEMY_DATABASE_URI=STOPPED_DATABASE))
    res = app.test_client().get("/healthz")
    assert res.status_code == 200
    assert res.get_json() == {"status": "ok"}
    assert HealthSchema().validate(res.get_json()) == {}
    assert res.headers["Cache-Control"] == "no-store"


def test_readyz_reports_each_check(client):
    res = client.get("/readyz")
    assert res.status_code == 200
    body = res.get_json()
    assert ReadinessSchema().validate(body) == {}
    assert body["status"] == "ok"
    # The tests' settings configure a database, and Redis when REDIS_URL is set.
    expected = ["database", "redis"] if REDIS_URL else ["database"]
    assert list(body["checks"]) == expected
    assert all(body["checks"][name]["status"] == "ok" for name in expected)


def test_readyz_names_a_stopped_redis(tmp_path):
    app = make_app("sqlite", tmp_path, REDIS_URL=STOPPED_REDIS)
    error = _not_ready(app)
    assert error["details"]["down"] == ["redis"]
    assert error["message"] == "Not ready: redis is down."
    checks = error["details"]["checks"]
    assert checks["redis"]["status"] == "down"
    assert checks["redis"]["error"] == "ConnectionError"
    assert checks["database"]["status"] == "ok"


def test_readyz_names_a_stopped_broker_and_rate_limit_storage(tmp_path):
    app = make_app(
        "sqlite",
        tmp_path,
        CELERY_BROKER_URL="redis://127.0.0.1:1/1",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/2",
    )
    error = _not_ready(app)
    assert error["details"]["down"] == ["broker", "rate_limit_storage"]
    assert error["message"] == "Not ready: broker, rate_limit_storage are down."


def test_readyz_names_a_stopped_database():
    app = create_app(_settings(SQLALCHEMY_DATABASE_URI=STOPPED_DATABASE))
    error = _not_ready(app)
    assert error["details"]["down"] == ["database"]
    assert error["details"]["checks"]["database"]["error"] == "OperationalError"
    # Nothing of the driver's message (hosts, users) is told to whoever asks.
    assert "nobody" not in str(error) and "127.0.0.1" not in str(error)


def test_readyz_gives_up_on_a_hung_redis_within_the_timeout(tmp_path, silent_server):
    app = make_app("sqlite", tmp_path, REDIS_URL=silent_server, READINESS_TIMEOUT_SECONDS=0.3)
    started = time.monotonic()
    error = _not_ready(app)
    assert time.monotonic() - started < 2
    assert error["details"]["down"] == ["redis"]
    assert error["details"]["checks"]["redis"]["error"] in ("TimeoutError", "timeout")


def test_a_check_that_hangs_is_reported_as_a_timeout_and_not_waited_for():
    started = time.monotonic()
    results = readiness.run_checks(
        {"slow": lambda: time.sleep(3), "fast": lambda: None}, timeout=0.2
    )
    assert time.monotonic() - started < 1
    assert (results["slow"].status, results["slow"].error) == ("down", "timeout")
    assert results["fast"].status == "ok"


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
def test_readyz_passes_with_a_running_redis_and_broker(tmp_path):
    app = make_app("sqlite", tmp_path, REDIS_URL=REDIS_URL, CELERY_BROKER_URL=REDIS_URL)
    try:
        res = app.test_client().get("/readyz")
    finally:
        app.extensions["celery"].conf.task_always_eager = True
    assert res.status_code == 200, res.get_json()
    checks = res.get_json()["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "database": "ok",
        "redis": "ok",
        "broker": "ok",
    }


def test_the_probes_are_in_the_openapi_document(client):
    spec = client.get("/openapi.json").get_json()
    ready = spec["paths"]["/readyz"]["get"]["responses"]
    assert ready["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Readiness"
    }
    assert ready["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NotReady"
    }
    health = spec["paths"]["/healthz"]["get"]["responses"]["200"]
    assert health["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"
    }
    metrics = spec["paths"]["/metrics"]["get"]["responses"]
    assert set(metrics) >= {"200", "401", "403"}
    assert next(iter(metrics["200"]["content"])).startswith("text/plain")
