"""The transactional push job (outbox) and the offer reminders (beat)."""

from __future__ import annotations

from typing import Any

from app import outbox
from app.extensions import celery
from notifications.transactional import service

REMINDERS_TASK = "notifications.offer_reminders"


@outbox.handler(service.TOPIC)
def transactional_job(payload: dict[str, Any]) -> None:
    service.send_transactional(payload)


@celery.task(name=REMINDERS_TASK, ignore_result=True)
def offer_reminders() -> int:
    return service.remind_expiring_claims()
