"""Operations: the probes, Prometheus metrics, request ids and log lines.

``init_app`` plugs them into an app: logging (``logs``), the request id, access log line and
request metrics around every request (``request_hooks``), Celery task outcomes
(``task_metrics``), a Celery worker's own metrics server (``worker_metrics``), and the
``/healthz``, ``/readyz`` and ``/metrics`` endpoints (``api``; ``readiness`` holds the checks,
``schemas`` the answers, ``access`` who may read metrics). Metrics live in ``metrics``; the
outbox's are read from the database at scrape time (``outbox_metrics``). Feature packages add
their own counters through ``app.ops.metrics.counter``: the core never learns their names.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app import register_blueprint
    from app.ops import (
        api,
        logs,
        metrics,
        outbox_metrics,
        request_hooks,
        task_metrics,
        worker_metrics,
    )

    logs.configure(app)
    metrics.check_multiprocess(app.config)
    metrics.register_collector(outbox_metrics.OutboxCollector())
    request_hooks.install(app)
    task_metrics.connect()
    worker_metrics.connect()
    register_blueprint(app, api.blp)
