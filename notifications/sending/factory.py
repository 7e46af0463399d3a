"""Choosing the sender from the environment: FCM with credentials, else the logging one.

Settings (the app passes its config's values, read from the environment by
``notifications.settings``):

- ``FIREBASE_CREDENTIALS_FILE``: path of the service-account JSON. Unset: a LoggingSender, so
  development needs no Firebase project.
- ``FCM_SEND_MODE``: ``async`` (default, send_each_async over HTTP/2) or ``threads`` (send_each).
- ``FCM_BATCH_SIZE``: messages per send_each call, 1 to 500 (default 100, see bench/fanout.py).
- ``FCM_CONCURRENT_BATCHES``: send_each_async calls in flight at once in async mode (default 1).
- ``FCM_MAX_ATTEMPTS``: sends of one message within one call before it is handed back (default 3).
- ``FCM_ENDPOINT``: only for tests and benchmarks: a base URL such as ``https://127.0.0.1:8443``
  that replaces ``https://fcm.googleapis.com``. The OAuth2 token endpoint is not set here; it is
  the ``token_uri`` inside the service-account file.
"""

from __future__ import annotations

from collections.abc import Mapping

from notifications.sending.fcm import FcmSender
from notifications.sending.firebase import app_name, initialize
from notifications.sending.sender import LoggingSender, PushSender

CREDENTIALS_ENV = "FIREBASE_CREDENTIALS_FILE"
MODE_ENV = "FCM_SEND_MODE"
BATCH_SIZE_ENV = "FCM_BATCH_SIZE"
CONCURRENCY_ENV = "FCM_CONCURRENT_BATCHES"
ENDPOINT_ENV = "FCM_ENDPOINT"
MAX_ATTEMPTS_ENV = "FCM_MAX_ATTEMPTS"


def create_sender(env: Mapping[str, str]) -> PushSender:
    """The sender these settings ask for: FCM with credentials, else the logging one."""
    path = env.get(CREDENTIALS_ENV, "").strip()
    if not path:
        return LoggingSender()
    mode = env.get(MODE_ENV, "async").strip() or "async"
    if mode not in ("async", "threads"):
        raise ValueError(f"{MODE_ENV} must be 'async' or 'threads', not {mode!r}")
    batch_size = int(env.get(BATCH_SIZE_ENV, "") or 100)
    concurrency = int(env.get(CONCURRENCY_ENV, "") or 1)
    max_attempts = int(env.get(MAX_ATTEMPTS_ENV, "") or 3)
    endpoint = env.get(ENDPOINT_ENV, "").strip() or None
    app = initialize(path, name=app_name(path, endpoint), endpoint=endpoint)
    return FcmSender(
        app,
        mode=mode,  # type: ignore[arg-type]
        batch_size=batch_size,
        concurrent_batches=concurrency,
        max_attempts=max_attempts,
    )
