"""Who may read metrics: the bearer of METRICS_TOKEN when one is set; without a token anyone,
but in development and tests only (anywhere else metrics are refused: fail closed)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

OPEN_ENVS = frozenset({"development", "test"})
WWW_AUTHENTICATE = 'Bearer realm="metrics"'


@dataclass(frozen=True)
class Denied:
    status: int
    code: str
    message: str


def metrics_denied(config: Any, authorization: str | None) -> Denied | None:
    token = config.get("METRICS_TOKEN")
    if token:
        scheme, _, sent = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            sent.strip().encode(), token.encode()
        ):
            return None
        return Denied(401, "unauthorized", "Send the metrics token as a bearer token.")
    if config.get("APP_ENV") in OPEN_ENVS:
        return None
    return Denied(
        403, "metrics_disabled", "Set METRICS_TOKEN to serve metrics outside development."
    )
