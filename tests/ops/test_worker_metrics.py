"""A Celery worker serves its own /metrics (its tasks and what they record), under the same
token rule as the app's, once Celery says the worker is starting."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests
from celery.signals import worker_init
from flask import Flask

from app.ops.worker_metrics import EXTENSION
from tests.conftest import make_app
from tests.ops.helpers import samples, value

TOKEN = "worker-metrics-token-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def worker_app(tmp_path) -> Iterator[tuple[Flask, str]]:
    port = _free_port()
    app = make_app("sqlite", tmp_path, WORKER_METRICS_PORT=port, METRICS_TOKEN=TOKEN)
    worker_init.send(sender=None)  # what `celery worker` sends before it starts its pool
    yield app, f"http://127.0.0.1:{port}"
    server = app.extensions[EXTENSION]
    server.shutdown()
    server.server_close()


def test_a_worker_serves_its_task_outcomes(worker_app):
    app, base = worker_app
    with app.app_context():
        from app.outbox import dispatch_outbox

        dispatch_outbox.delay()

    res = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert res.status_code == 200
    assert res.headers["Content-Type"].startswith("text/plain")
    found = samples(res.text)
    assert value(found, "loyalty_celery_tasks_total", task="outbox.dispatch", outcome="success")
    # The outbox's backlog is the web's to report.
    assert not any(name.startswith("loyalty_outbox") for name, _ in found)


def test_a_workers_metrics_want_the_token(worker_app):
    _, base = worker_app
    res = requests.get(f"{base}/metrics", timeout=5)
    assert res.status_code == 401
    assert res.json()["error"]["code"] == "unauthorized"
    assert res.headers["WWW-Authenticate"].startswith("Bearer")
    other = requests.get(f"{base}/other", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert other.status_code == 404


def test_without_a_port_a_worker_serves_nothing(app):
    worker_init.send(sender=None)
    assert EXTENSION not in app.extensions
