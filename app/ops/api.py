"""The probes and the metrics: `/healthz` (alive), `/readyz` (dependencies answer), `/metrics`.

`/metrics` wants `Authorization: Bearer <METRICS_TOKEN>` when a token is set. Without one it is
open in development and tests only; anywhere else it refuses (fail closed): counts per endpoint
and store-facing figures are not for the public.
"""

from __future__ import annotations

import hmac

from flask import Response, current_app, request
from flask_smorest import Blueprint

from app.errors import ApiError, error_response
from app.ops import metrics, readiness
from app.ops.schemas import (
    HealthSchema,
    MetricsDeniedSchema,
    NotReadyDetailsSchema,
    NotReadySchema,
    ReadinessSchema,
)

blp = Blueprint("ops", __name__, description="Operations: health, readiness and metrics")

OPEN_METRICS_ENVS = frozenset({"development", "test"})
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
    token = config.get("METRICS_TOKEN")
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            sent.strip().encode(), token.encode()
        ):
            response, status = error_response(
                401, "unauthorized", "Send the metrics token as a bearer token."
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response, status
    elif config.get("APP_ENV") not in OPEN_METRICS_ENVS:
        raise ApiError(
            403, "metrics_disabled", "Set METRICS_TOKEN to serve metrics outside development."
        )
    body = metrics.render(config.get("PROMETHEUS_MULTIPROC_DIR"))
    return Response(body, content_type=metrics.CONTENT_TYPE, headers=NO_STORE)
