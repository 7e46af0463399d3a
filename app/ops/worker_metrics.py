"""A Celery worker's own /metrics: the task outcomes and what its jobs record (pushes, Wallet
updates), which happen in the worker and not in any web process.

With ``WORKER_METRICS_PORT`` set, the worker's main process serves them on a small HTTP server
of its own, under the same rule as the app's /metrics (app.ops.access). A prefork worker runs
tasks in child processes: give it ``PROMETHEUS_MULTIPROC_DIR`` (a directory of its own, emptied
before it starts) so that the main process can add up its children. The outbox's gauges are
the web's to report; the worker leaves them out.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from celery.signals import worker_init

from app.extensions import celery
from app.ops import metrics
from app.ops.access import WWW_AUTHENTICATE, metrics_denied

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
EXTENSION = "worker_metrics_server"


def metrics_app(config: Any) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    def app(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            return _error(start_response, 404, "not_found", "Only /metrics is served here.")
        denied = metrics_denied(config, environ.get("HTTP_AUTHORIZATION"))
        if denied is not None:
            return _error(start_response, denied.status, denied.code, denied.message)
        body = metrics.render(config.get("PROMETHEUS_MULTIPROC_DIR"), with_collectors=False)
        start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE)])
        return [body]

    return app


def _error(start_response: StartResponse, status: int, code: str, message: str) -> list[bytes]:
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    headers = [("Content-Type", "application/json")]
    if status == 401:
        headers.append(("WWW-Authenticate", WWW_AUTHENTICATE))
    phrase = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}[status]
    start_response(f"{status} {phrase}", headers)
    return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a scrape every few seconds is not news


def serve(config: Any) -> WSGIServer:
    """Serve the worker's /metrics on WORKER_METRICS_HOST:WORKER_METRICS_PORT in a thread."""
    server = make_server(
        config["WORKER_METRICS_HOST"],
        int(config["WORKER_METRICS_PORT"]),
        metrics_app(config),
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True)
    thread.start()
    log.info("worker metrics at http://%s:%s/metrics", *server.server_address[:2])
    return server


def _on_worker_init(sender: Any = None, **_: Any) -> None:
    flask_app = celery.flask_app  # type: ignore[attr-defined]
    if not flask_app.config.get("WORKER_METRICS_PORT"):
        return
    pool = str(getattr(sender, "pool_cls", ""))
    if "prefork" in pool.lower() and not metrics.multiprocess_enabled():
        log.warning(
            "worker metrics: a prefork pool runs tasks in child processes; without "
            "PROMETHEUS_MULTIPROC_DIR their counts are not served"
        )
    flask_app.extensions[EXTENSION] = serve(flask_app.config)


def connect() -> None:
    worker_init.connect(_on_worker_init, weak=False, dispatch_uid="ops-worker-metrics")
