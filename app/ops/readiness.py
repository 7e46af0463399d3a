"""Readiness checks: the database, Redis and the Celery broker answer, each within a timeout.

The checks run side by side in threads and the answer waits for each at most the timeout, so
a server that swallows packets makes the probe fail in time instead of hanging it. Only the
error's type is reported: a driver's message may name hosts or, for some, credentials.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import redis
from kombu import Connection
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.extensions import db, limiter

log = logging.getLogger(__name__)

_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


@dataclass(frozen=True)
class CheckResult:
    status: str  # "ok" or "down"
    duration_ms: float
    error: str | None = None


Check = Callable[[], None]


def database_check(engine: Engine) -> Check:
    def check() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return check


def redis_check(url: str, timeout: float) -> Check:
    def check() -> None:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()

    return check


def broker_check(url: str, timeout: float) -> Check:
    def check() -> None:
        options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        with Connection(url, connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )

    return check


def storage_check() -> None:
    """A rate-limit storage that is not plain Redis (memcached, sentinel...): ask limits."""
    if not limiter.storage.check():
        raise ConnectionError("rate-limit storage did not answer")


def checks_for(config: dict[str, Any]) -> dict[str, Check]:
    """The checks this app's settings call for: the database always, the rest when set."""
    timeout = float(config["READINESS_TIMEOUT_SECONDS"])
    checks: dict[str, Check] = {"database": database_check(db.engine)}
    redis_url = config.get("REDIS_URL")
    if redis_url:
        checks["redis"] = redis_check(redis_url, timeout)
    storage = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if storage != redis_url and not storage.startswith("memory://"):
        if urlsplit(storage).scheme in _REDIS_SCHEMES:
            checks["rate_limit_storage"] = redis_check(storage, timeout)
        else:
            checks["rate_limit_storage"] = storage_check
    broker = config.get("CELERY_BROKER_URL")
    if broker and not broker.startswith("memory://"):
        checks["broker"] = broker_check(broker, timeout)
    return checks


def run_checks(checks: dict[str, Check], timeout: float) -> dict[str, CheckResult]:
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    try:
        started = time.perf_counter()
        futures = {name: pool.submit(_timed, check) for name, check in checks.items()}
        results = {}
        for name, future in futures.items():
            left = max(0.0, timeout - (time.perf_counter() - started))
            try:
                results[name] = future.result(timeout=left)
            except FutureTimeout:
                results[name] = CheckResult("down", round(timeout * 1000, 1), "timeout")
        for name, result in results.items():
            if result.status != "ok":
                log.warning("readiness: %s is down (%s)", name, result.error)
        return results
    finally:
        # A check still hanging is left to its driver's own timeout; the answer does not wait.
        pool.shutdown(wait=False, cancel_futures=True)


def _timed(check: Check) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        return CheckResult("down", elapsed, type(error).__name__)
    return CheckResult("ok", round((time.perf_counter() - started) * 1000, 1))
