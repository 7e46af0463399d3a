"""/metrics: requests per endpoint (the URL rule) and status, the outbox's backlog read at
scrape time, Celery task outcomes, and the token that protects it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from app import create_app
from app.config import TestConfig
from app.extensions import celery, db
from app.models_base import utcnow
from app.ops.metrics import CELERY_TASKS, check_multiprocess
from app.outbox import OutboxJob
from tests.conftest import make_app
from tests.ops.helpers import samples, scrape, value
from tests.support import signup

REQUESTS = "loyalty_http_requests_total"
LATENCY_COUNT = "loyalty_http_request_duration_seconds_count"
REDEEM_RULE = "/api/v1/rewards/<reward_id>/redeem"


@celery.task(name="tests.ops.fails")
def _fails() -> None:
    raise ValueError("a task that fails")


@celery.task(name="tests.ops.retries", bind=True, max_retries=1)
def _retries(self) -> None:
    raise self.retry(countdown=0)


def test_requests_are_counted_per_url_rule_and_status(client, program):
    member = signup(client)
    before = scrape(client)
    for n, reward in enumerate(("rew_first", "rew_second", "rew_third")):
        headers = member.headers | {"Idempotency-Key": f"redeem-{n}"}
        res = client.post(f"/api/v1/rewards/{reward}/redeem", json={}, headers=headers)
        assert res.status_code == 404
    client.get("/healthz")

    after = scrape(client)
    labels = {"method": "POST", "endpoint": REDEEM_RULE, "status": "404"}
    assert value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels) == 3
    latency = {"method": "POST", "endpoint": REDEEM_RULE}
    assert value(after, LATENCY_COUNT, **latency) - value(before, LATENCY_COUNT, **latency) == 3
    health = {"method": "GET", "endpoint": "/healthz", "status": "200"}
    assert value(after, REQUESTS, **health) - value(before, REQUESTS, **health) == 1
    # The raw path is never a label: the series stay as many as the app's routes.
    endpoints = {dict(labels)["endpoint"] for (name, labels) in after if name == REQUESTS}
    assert not any("rew_first" in endpoint for endpoint in endpoints)


def test_unknown_paths_and_methods_share_one_series_each(client):
    before = scrape(client)
    for n in range(5):
        client.get(f"/no/such/page/{n}")
    client.open("/healthz", method="BREW")

    after = scrape(client)
    unmatched = {"method": "GET", "endpoint": "<unmatched>", "status": "404"}
    assert value(after, REQUESTS, **unmatched) - value(before, REQUESTS, **unmatched) == 5
    other = {"method": "other", "endpoint": "<unmatched>", "status": "405"}
    assert value(after, REQUESTS, **other) - value(before, REQUESTS, **other) == 1
    endpoints = {dict(labels)["endpoint"] for (name, labels) in after if name == REQUESTS}
    assert not any(endpoint.startswith("/no/such") for endpoint in endpoints)


def _job(topic: str, status: str, available_at, **extra) -> OutboxJob:
    return OutboxJob(topic=topic, payload={}, status=status, available_at=available_at, **extra)


def test_outbox_backlog_is_read_at_scrape_time(app, client):
    now = utcnow()
    with app.app_context():
        # Written directly: enqueue() would run them at once (eager Celery in the tests).
        db.session.add_all(
            [
                _job("push.transactional", "pending", now - timedelta(seconds=120)),
                _job("push.transactional", "pending", now - timedelta(seconds=30)),
                _job("push.transactional", "pending", now + timedelta(hours=1)),
                _job("passes.apns_push", "pending", now + timedelta(minutes=5)),
                _job("passes.apns_push", "failed", now - timedelta(days=1), attempts=8),
                _job("passes.apns_push", "done", now - timedelta(days=1)),
                _job("push.transactional", "running", now, claimed_at=now),
            ]
        )
        db.session.commit()

    found = scrape(client)
    jobs = "loyalty_outbox_jobs"
    assert value(found, jobs, topic="push.transactional", status="pending") == 3
    assert value(found, jobs, topic="push.transactional", status="running") == 1
    assert value(found, jobs, topic="passes.apns_push", status="pending") == 1
    assert value(found, jobs, topic="passes.apns_push", status="failed") == 1
    assert (jobs, frozenset({"topic": "passes.apns_push", "status": "done"}.items())) not in found
    # A topic with nothing waiting still has its series, at zero.
    assert (jobs, frozenset({"topic": "push.campaign.fanout", "status": "pending"}.items())) in (
        found
    )
    age = "loyalty_outbox_oldest_pending_age_seconds"
    assert 120 <= value(found, age, topic="push.transactional") < 180
    # Its only pending job is not due yet: nothing has waited.
    assert value(found, age, topic="passes.apns_push") == 0
    assert value(found, "loyalty_outbox_scrape_success") == 1


def test_metrics_still_answer_when_the_database_does_not():
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app(settings | {"SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/dir/x.db"})
    found = scrape(app.test_client())
    assert value(found, "loyalty_outbox_scrape_success") == 0
    assert not any(name == "loyalty_outbox_jobs" for name, _ in found)


def test_celery_task_outcomes_are_counted(app):
    def count(task: str, outcome: str) -> float:
        return CELERY_TASKS.labels(task, outcome)._value.get()

    before = {
        key: count(*key)
        for key in [
            ("outbox.dispatch", "success"),
            ("tests.ops.fails", "failure"),
            ("tests.ops.retries", "retry"),
        ]
    }
    # As a worker does: a task's exception is its outcome, not the caller's (the tests'
    # settings propagate it, and Celery then sends no failure signal).
    celery.conf.task_eager_propagates = False
    try:
        with app.app_context():
            from app.outbox import dispatch_outbox

            dispatch_outbox.delay()
            assert _fails.delay().failed()
            assert _retries.delay().failed()  # retried once, then out of retries
            found = scrape(app.test_client())
    finally:
        celery.conf.task_eager_propagates = True

    for (task, outcome), was in before.items():
        assert count(task, outcome) - was >= 1, (task, outcome)
        sample = value(found, "loyalty_celery_tasks_total", task=task, outcome=outcome)
        assert sample == count(task, outcome)


# -- protection --------------------------------------------------------------------------------


@pytest.fixture
def guarded(tmp_path) -> Flask:
    return make_app("sqlite", tmp_path, METRICS_TOKEN="s3cret-metrics-token-0123456789")


def test_with_a_token_metrics_want_it_as_a_bearer_token(guarded):
    client = guarded.test_client()
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic s3cret-metrics-token-0123456789"},
        {"Authorization": "s3cret-metrics-token-0123456789"},
    ):
        res = client.get("/metrics", headers=headers)
        assert res.status_code == 401, headers
        assert res.get_json()["error"]["code"] == "unauthorized"
        assert res.headers["WWW-Authenticate"].startswith("Bearer")
    res = client.get(
        "/metrics", headers={"Authorization": "Bearer s3cret-metrics-token-0123456789"}
    )
    assert res.status_code == 200
    assert res.content_type.startswith("text/plain")
    assert "loyalty_http_requests_total" in res.get_data(as_text=True)


def _production(**extra) -> Flask:
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return create_app(
        settings
        | {
            "APP_ENV": "production",
            "SECRET_KEY": "p" * 40,
            "JWT_SECRET_KEY": "j" * 40,
            # Never connected to: the answers below come before any query.
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://loyalty@127.0.0.1:1/loyalty",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
            "SMTP_HOST": "smtp.test.example",
            "MAIL_FROM": "rewards@test.example",
            "FEATURES": (),
        }
        | extra
    )


def test_without_a_token_metrics_are_open_in_development_only(tmp_path):
    for env in ("development", "test"):
        app = make_app("sqlite", tmp_path, APP_ENV=env)
        assert app.test_client().get("/metrics").status_code == 200
    for app in (_production(), make_app("sqlite", tmp_path, APP_ENV=None)):
        res = app.test_client().get("/metrics")
        assert res.status_code == 403
        assert res.get_json()["error"]["code"] == "metrics_disabled"


def test_in_production_the_token_opens_metrics():
    token = "s3cret-metrics-token-0123456789"
    client = _production(METRICS_TOKEN=token).test_client()
    assert client.get("/metrics").status_code == 401
    found = scrape(client, Authorization=f"Bearer {token}")
    # (This app's database is not running: the outbox part says so.)
    assert value(found, "loyalty_outbox_scrape_success") == 0


def test_metrics_are_documented_and_served_as_prometheus_text(client):
    res = client.get("/metrics")
    spec = client.get("/openapi.json").get_json()
    documented = next(iter(spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]))
    assert res.content_type == documented
    # The whole answer parses as Prometheus text.
    assert samples(res.get_data(as_text=True))


def test_a_multiprocess_dir_prometheus_client_does_not_use_is_refused(tmp_path):
    # prometheus-client was imported without PROMETHEUS_MULTIPROC_DIR in this process: every
    # worker would answer for itself only.
    with pytest.raises(RuntimeError, match="environment"):
        check_multiprocess({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
