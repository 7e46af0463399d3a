"""The push package's Prometheus counters, in the core's registry (app.ops.metrics)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from app.ops.metrics import counter

PUSH_DELIVERIES = counter(
    "loyalty_push_deliveries",
    "Push deliveries handled by a send, by outcome: sent (FCM accepted it), token_removed "
    "(the device is gone and was deactivated), failed, expired, retry (sent again later), "
    "skipped (not sent: ended membership, no consent, inactive device...).",
    ("outcome",),
)

# A delivery's status after a send attempt, as the outcome counted.
_OUTCOMES = {
    "sent": "sent",
    "token_removed": "token_removed",
    "failed": "failed",
    "expired": "expired",
    "pending": "retry",
    "skipped": "skipped",
}


def record_deliveries(statuses: Iterable[str]) -> None:
    for status, count in Counter(statuses).items():
        PUSH_DELIVERIES.labels(_OUTCOMES.get(status, status)).inc(count)
