"""The delivery jobs: a campaign's fan-out and the send jobs (outbox), the sweep (beat)."""

from __future__ import annotations

from typing import Any

from app import outbox
from app.extensions import celery
from notifications.delivery import fanout, send_jobs, service

SWEEP_TASK = "notifications.sweep"


@outbox.handler(fanout.FANOUT_TOPIC)
def fanout_job(payload: dict[str, Any]) -> None:
    fanout.fan_out(payload["campaign_id"])


@outbox.handler(service.SEND_TOPIC)
def send_job(payload: dict[str, Any]) -> None:
    send_jobs.send_deliveries(payload["ids"])


@celery.task(name=SWEEP_TASK, ignore_result=True)
def sweep_deliveries() -> int:
    return service.sweep()
