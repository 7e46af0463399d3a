"""The probes and the metrics: `/healthz` (alive), `/readyz` (dependencies answer), `/metrics`
(for whom: app.ops.access)."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_smorest import Blueprint

from app.errors import ApiError, error_response
from app.ops import metrics, readiness
from app.ops.access import WWW_AUTHENTICATE, metrics_denied
from app.ops.schemas import (
    HealthSchema,
    MetricsDeniedSchema,
    NotReadyDetailsSchema,
    NotReadySchema,
    ReadinessSchema,
)

blp = Blueprint("ops", __name__, description="Operations: health, readiness and metrics")

NO_STORE = {"Cache-Control": "no-store"}


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
def healthz():
    """The process is up and answering (asks nothing else): for liveness probes."""
    return {"status": "ok"}, NO_STORE


@blp.route("/readyz", methods=["GET"])
@blp.response(200, ReadinessSchema)
@blp.alt_response(
    503, schema=NotReadySchema, description="A dependency is down: `details.down` names it."
)
def readyz():
    """The database, and Redis and the broker when configured, answer within the timeout."""
    config = current_app.config
    timeout = float(config["READINESS_TIMEOUT_SECONDS"])
    results = readiness.run_checks(readiness.checks_for(config), timeout)
    checks = {
        name: {k: v for k, v in vars(result).items() if v is not None}
        for name, result in results.items()
    }
    down = sorted(name for name, result in results.items() if result.status != "ok")
    if down:
        verb = "is" if len(down) == 1 else "are"
        raise ApiError(
            503,
            "not_ready",
            f"Not ready: {', '.join(down)} {verb} down.",
            NotReadyDetailsSchema().dump({"down": down, "checks": checks}),
        )
    return {"status": "ok", "checks": checks}, NO_STORE


@blp.route("/metrics", methods=["GET"])
@blp.response(
    200,
    {"type": "string"},
    content_type=metrics.CONTENT_TYPE,
    description="Prometheus text exposition.",
)
@blp.alt_response(401, schema=MetricsDeniedSchema, description="The metrics token is wrong.")
@blp.alt_response(
    403, schema=MetricsDeniedSchema, description="No METRICS_TOKEN is set outside development."
)
def prometheus_metrics():
    """Prometheus metrics; `Authorization: Bearer <METRICS_TOKEN>` when a token is set."""
    config = current_app.config
    denied = metrics_denied(config, request.headers.get("Authorization"))
    if denied is not None:
        response, status = error_response(denied.status, denied.code, denied.message)
        if status == 401:
            response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        return response, status
    body = metrics.render(config.get("PROMETHEUS_MULTIPROC_DIR"))
    return Response(body, content_type=metrics.CONTENT_TYPE, headers=NO_STORE)
