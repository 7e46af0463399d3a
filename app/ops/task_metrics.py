"""Celery task outcomes, counted from Celery's signals (in the worker, or in-process when eager)."""

from __future__ import annotations

from typing import Any

from celery.signals import task_failure, task_retry, task_success

from app.ops.metrics import CELERY_TASKS


def _name(sender: Any) -> str:
    return getattr(sender, "name", None) or "unknown"


def _success(sender: Any = None, **_: Any) -> None:
    CELERY_TASKS.labels(_name(sender), "success").inc()


def _failure(sender: Any = None, **_: Any) -> None:
    CELERY_TASKS.labels(_name(sender), "failure").inc()


def _retry(sender: Any = None, **_: Any) -> None:
    CELERY_TASKS.labels(_name(sender), "retry").inc()


def connect() -> None:
    # Process-wide; a uid makes connecting again (every app made in the process) a no-op.
    task_success.connect(_success, weak=False, dispatch_uid="ops-task-success")
    task_failure.connect(_failure, weak=False, dispatch_uid="ops-task-failure")
    task_retry.connect(_retry, weak=False, dispatch_uid="ops-task-retry")
