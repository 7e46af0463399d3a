"""The outbox's backlog as gauges, read from the database at every scrape.

One grouped query over the jobs not done (pending, running, failed), which the
(status, available_at) index finds without reading the done ones; on PostgreSQL it is held to
the readiness timeout. Every worker answers the same figures, so there is nothing to add up
across processes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from app import outbox
from app.extensions import db
from app.models_base import utcnow

log = logging.getLogger(__name__)

STATUSES = ("pending", "running", "failed")


class OutboxCollector:
    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "loyalty_outbox_jobs",
            "Outbox jobs not done, by topic and status (pending, running, failed: given up).",
            labels=["topic", "status"],
        )
        age = GaugeMetricFamily(
            "loyalty_outbox_oldest_pending_age_seconds",
            "How long the oldest due pending job of a topic has waited since it became due "
            "(0 when none is due).",
            labels=["topic"],
        )
        ok = GaugeMetricFamily(
            "loyalty_outbox_scrape_success", "1 when the outbox could be read at this scrape."
        )
        try:
            rows = _read()
        except SQLAlchemyError as error:
            log.warning("outbox metrics: the database did not answer: %s", type(error).__name__)
            ok.add_metric([], 0)
            yield ok
            return
        now = utcnow()
        counts = {(topic, status): 0 for topic in outbox.topics() for status in STATUSES}
        oldest = dict.fromkeys(outbox.topics(), 0.0)
        for topic, status, count, first_due in rows:
            counts[(topic, status)] = count
            if status == "pending":
                oldest[topic] = max(0.0, (now - first_due).total_seconds()) if first_due else 0.0
        for (topic, status), count in sorted(counts.items()):
            jobs.add_metric([topic, status], count)
        for topic, seconds in sorted(oldest.items()):
            age.add_metric([topic], seconds)
        ok.add_metric([], 1)
        yield jobs
        yield age
        yield ok


def _read() -> list:
    job = outbox.OutboxJob
    query = (
        select(job.topic, job.status, func.count(), func.min(job.available_at))
        .where(job.status.in_(STATUSES))
        .group_by(job.topic, job.status)
    )
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            ms = int(float(current_app.config["READINESS_TIMEOUT_SECONDS"]) * 1000)
            conn.execute(text(f"SET LOCAL statement_timeout = {ms}"))
        return list(conn.execute(query).all())
