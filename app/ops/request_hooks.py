"""Around every request: its id (answered as X-Request-ID), its metrics and its access line."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, current_app, g, request
from flask_jwt_extended import get_jwt

from app.ops import metrics
from app.ops.logs import REQUEST_ID_HEADER, escape_controls, new_request_id, request_id_for

access_log = logging.getLogger("app.access")

# Anything else (a client may send any token as a method) is counted as "other".
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
# Polled every few seconds by load balancers and Prometheus: their lines are DEBUG.
_PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
_MAX_LOGGED_PATH = 1000


def install(app: Flask) -> None:
    # First before any other hook (one of those may answer early), last after them all, so
    # the id is there for every line and the status counted is the one sent.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)


def _begin() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_for(
        request.headers.get(REQUEST_ID_HEADER), trusted=current_app.config["TRUSTED_PROXIES"] > 0
    )


def _finish(response: Response) -> Response:
    if "request_id" not in g:
        g.request_id = new_request_id()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    duration = time.perf_counter() - g.get("request_started", time.perf_counter())
    method = request.method if request.method in _METHODS else "other"
    endpoint = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    metrics.HTTP_REQUESTS.labels(method, endpoint, str(response.status_code)).inc()
    metrics.HTTP_LATENCY.labels(method, endpoint).observe(duration)
    _log(method, endpoint, response.status_code, duration)
    return response


def _log(method: str, endpoint: str, status: int, duration: float) -> None:
    level = logging.DEBUG if endpoint in _PROBES else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    path = request.path[:_MAX_LOGGED_PATH]
    fields = {
        "method": method,
        "path": path,
        "endpoint": endpoint,
        "status": status,
        "duration_ms": round(duration * 1000, 1),
    }
    user_id = _user_public_id()
    if user_id:
        fields["user_id"] = user_id
    actor = g.get("store_actor")
    if actor is not None:
        fields["actor"] = actor.label  # "api_key:<store id>" or "staff:<user id>"
    # Escaped in the message itself, for every handler (the JSON field is escaped by JSON).
    shown = escape_controls(path)
    access_log.log(
        level, "%s %s %s %.1fms", method, shown, status, fields["duration_ms"], extra=fields
    )


def _user_public_id() -> str | None:
    """The subject of a token this request verified (the public id), if it verified one."""
    if "user" not in g:
        return None
    try:
        return get_jwt().get("sub")
    except RuntimeError:
        return None
