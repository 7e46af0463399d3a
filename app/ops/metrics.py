"""The process's Prometheus metrics and their text exposition.

Counters and histograms are made once per process (at import) in one registry; a feature
package makes its own with ``counter`` / ``histogram`` and records into them, so the core never
imports it. Collectors registered with ``register_collector`` are asked at every scrape (the
outbox's gauges come from the database, so every worker answers the same).

With ``PROMETHEUS_MULTIPROC_DIR`` in the environment, prometheus-client keeps each process's
values in files there and a scrape of any gunicorn worker sums them all. prometheus-client reads
that variable itself, when it is imported: the setting must be in the process's environment,
not only in the app's settings, and ``check_multiprocess`` refuses a mismatch.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST
# A `_created` series beside every counter and histogram doubles the series for nothing that
# Prometheus uses.
disable_created_metrics()

REGISTRY = CollectorRegistry(auto_describe=True)
# Seconds; from a cached read to a slow report.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


_lock = threading.Lock()
_metrics: dict[str, Counter | Histogram] = {}
_collectors: dict[str, Collector] = {}


def multiprocess_enabled() -> bool:
    """Whether prometheus-client keeps values in files (decided when it was imported)."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def check_multiprocess(config: dict) -> None:
    """Refuse settings that would make each worker answer only for itself, or fail on write."""
    wanted = config.get("PROMETHEUS_MULTIPROC_DIR")
    if wanted and not multiprocess_enabled():
        raise RuntimeError(
            "PROMETHEUS_MULTIPROC_DIR is in the settings but was not in the environment when "
            "prometheus-client was imported: export it before starting gunicorn"
        )
    if wanted and not (os.path.isdir(wanted) and os.access(wanted, os.W_OK)):
        # Else every request would fail when its metrics are written.
        raise RuntimeError(f"PROMETHEUS_MULTIPROC_DIR {wanted!r} is not a writable directory")


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    """The process's counter of this name, made on first use (`_total` is added)."""
    return _get_or_make(Counter, name, documentation, labelnames)


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    buckets: Sequence[float] = LATENCY_BUCKETS,
) -> Histogram:
    return _get_or_make(Histogram, name, documentation, labelnames, buckets=tuple(buckets))


def _get_or_make(kind: type, name: str, documentation: str, labelnames: Sequence[str], **kw):
    with _lock:
        metric = _metrics.get(name)
        if metric is None:
            metric = kind(
                name, documentation, labelnames=tuple(labelnames), registry=REGISTRY, **kw
            )
            _metrics[name] = metric
        elif not isinstance(metric, kind) or tuple(metric._labelnames) != tuple(labelnames):
            raise ValueError(f"metric {name!r} exists with another type or other labels")
        return metric


def register_collector(collector: Collector, key: str | None = None) -> None:
    """Ask ``collector`` at every scrape; one per key (apps are made many times per process)."""
    with _lock:
        _collectors[key or type(collector).__qualname__] = collector


class _Collected:
    """The collectors of one scrape, registered into a registry of that scrape only."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterable[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def render(multiprocess_dir: str | None = None, with_collectors: bool = True) -> bytes:
    """The text exposition of this process's (or, in multiprocess mode, every process's)
    metrics and of the scrape-time collectors; needs an app context for those that ask the
    database."""
    registry = CollectorRegistry(auto_describe=False)
    with _lock:
        extra = list(_collectors.values()) if with_collectors else []
    if multiprocess_enabled():
        MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        extra = [REGISTRY, PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR, *extra]
    registry.register(_Collected(extra))
    return generate_latest(registry)


HTTP_REQUESTS = counter(
    "loyalty_http_requests",
    "HTTP requests answered, by method, endpoint (the URL rule, not the path) and status.",
    ("method", "endpoint", "status"),
)
HTTP_LATENCY = histogram(
    "loyalty_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and endpoint (the URL rule).",
    ("method", "endpoint"),
)
CELERY_TASKS = counter(
    "loyalty_celery_tasks",
    "Celery task runs by task name and outcome (success, failure, retry).",
    ("task", "outcome"),
)
