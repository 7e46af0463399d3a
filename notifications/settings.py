"""The push package's settings, read from app.config, which takes them from the environment.

Every key may be given to create_app (tests) or set as an environment variable of the same name.
Development needs none of them: without FIREBASE_CREDENTIALS_FILE pushes go to a logging sender.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from typing import Any

from notifications.pacing import QuietHours

log = logging.getLogger(__name__)

DEFAULTS: dict[str, str] = {
    # A Firebase service-account JSON file; empty: the logging sender (development).
    "FIREBASE_CREDENTIALS_FILE": "",
    # async (send_each_async, HTTP/2) or threads (send_each); see bench/fanout.py.
    "FCM_SEND_MODE": "async",
    "FCM_BATCH_SIZE": "100",
    "FCM_CONCURRENT_BATCHES": "1",
    # Sends of one message within one job before it is handed back to the outbox for later.
    "FCM_MAX_ATTEMPTS": "3",
    # Only for tests and benchmarks: a stand-in for https://fcm.googleapis.com.
    "FCM_ENDPOINT": "",
    # Members' local quiet hours for campaigns and reminders ("21:00-08:00"; "" for none).
    "PUSH_QUIET_HOURS": "21:00-08:00",
    # Campaign pushes a member receives per local day at most ("" or 0 for no cap).
    "PUSH_DAILY_CAP": "2",
    # Deliveries per background send job.
    "PUSH_SEND_CHUNK": "500",
    # A delivery FCM keeps refusing with a passing error is given up after this many tries.
    "PUSH_MAX_DELIVERY_ATTEMPTS": "5",
    # "Your offer ends soon": claims whose offer ends within this many hours.
    "PUSH_OFFER_REMINDER_HOURS": "24",
    "PUSH_OFFER_REMINDER_INTERVAL_SECONDS": "900",
    # Active app installs per member; registering one more retires the one seen longest ago.
    "PUSH_MAX_DEVICES_PER_MEMBER": "5",
    # The app's URL scheme for deep links.
    "PUSH_DEEP_LINK_BASE": "loyalty://",
}


def configure(config: dict[str, Any]) -> None:
    for key, default in DEFAULTS.items():
        config.setdefault(key, os.environ.get(key, default))
    quiet_hours(config)  # refuse a malformed value at start, not in a job
    daily_cap(config)
    if integer(config, "PUSH_MAX_DEVICES_PER_MEMBER") < 1:
        raise ValueError("PUSH_MAX_DEVICES_PER_MEMBER must be 1 or more")
    if config.get("APP_ENV") == "production" and not config["FIREBASE_CREDENTIALS_FILE"]:
        log.warning("FIREBASE_CREDENTIALS_FILE is not set: pushes are only logged, never sent")


def quiet_hours(config: Mapping[str, Any]) -> QuietHours:
    raw = str(config.get("PUSH_QUIET_HOURS") or "").strip()
    if not raw:
        return QuietHours(dt.time(0), dt.time(0))
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in raw.split("-"))
    except ValueError as error:
        raise ValueError(f"PUSH_QUIET_HOURS must look like 21:00-08:00, not {raw!r}") from error
    return QuietHours(start, end)


def daily_cap(config: Mapping[str, Any]) -> int | None:
    cap = int(config.get("PUSH_DAILY_CAP") or 0)
    if cap < 0:
        raise ValueError("PUSH_DAILY_CAP must be 0 (no cap) or more")
    return cap or None


def integer(config: Mapping[str, Any], key: str) -> int:
    return int(config.get(key) or DEFAULTS[key])


def sender_environment(config: Mapping[str, Any]) -> dict[str, str]:
    """What notifications.sending.factory.create_sender reads, from the app's config."""
    keys = (
        "FIREBASE_CREDENTIALS_FILE",
        "FCM_SEND_MODE",
        "FCM_BATCH_SIZE",
        "FCM_CONCURRENT_BATCHES",
        "FCM_MAX_ATTEMPTS",
        "FCM_ENDPOINT",
    )
    return {key: str(config.get(key) or "") for key in keys}
