"""Setting up firebase-admin from the environment, and choosing the sender.

Environment (the core's config will carry these):

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

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import firebase_admin
import requests.adapters
from firebase_admin import credentials, messaging

from notifications.sender import FcmSender, LoggingSender, PushSender

CREDENTIALS_ENV = "FIREBASE_CREDENTIALS_FILE"
MODE_ENV = "FCM_SEND_MODE"
BATCH_SIZE_ENV = "FCM_BATCH_SIZE"
CONCURRENCY_ENV = "FCM_CONCURRENT_BATCHES"
ENDPOINT_ENV = "FCM_ENDPOINT"
MAX_ATTEMPTS_ENV = "FCM_MAX_ATTEMPTS"
APP_NAME = "loyalty-push"
FCM_HOST = "https://fcm.googleapis.com"


def initialize(
    credentials_file: str | os.PathLike[str],
    *,
    name: str = APP_NAME,
    endpoint: str | None = None,
) -> firebase_admin.App:
    """A firebase-admin app for the service account in ``credentials_file`` (project id from it).

    An app of that name that already exists is returned as it is.
    """
    try:
        return firebase_admin.get_app(name)
    except ValueError:
        pass
    credential = credentials.Certificate(str(Path(credentials_file)))
    app = firebase_admin.initialize_app(credential, name=name)
    if endpoint:
        point_at(app, endpoint)
    return app


def app_name(credentials_file: str, endpoint: str | None) -> str:
    """One firebase-admin app per service account and endpoint (tests run several fakes)."""
    if not endpoint:
        return f"{APP_NAME}-{_digest(credentials_file)}"
    return f"{APP_NAME}-{_digest(credentials_file + '|' + endpoint)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def create_sender(environ: Mapping[str, str] | None = None) -> PushSender:
    """The sender the environment asks for: FCM with credentials, else the logging one."""
    env = os.environ if environ is None else environ
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


# -- Library seams ---------------------------------------------------------------------------
# firebase-admin 7.7.0 has no setting for the FCM URL (unlike its Auth and Database emulators)
# and no public way to close its async HTTP client on the loop that owns it. These helpers are
# the only code here that reaches past its public API; tests/notifications fail loudly if a
# new release moves these names.


def point_at(app: firebase_admin.App, endpoint: str, *, pool_size: int | None = None) -> None:
    """Send this app's FCM requests to ``endpoint`` instead of fcm.googleapis.com.

    Everything else stays the library's own: message encoding, auth, retries, error parsing.
    For the synchronous path the library mounts a 100-connection pool on fcm.googleapis.com;
    the same adapter is mounted on the stand-in so that it is measured as production runs
    (``pool_size`` mounts a different-sized one instead, for the benchmark).
    """
    endpoint = endpoint.rstrip("/")
    service = messaging._get_messaging_service(app)
    service._fcm_url = f"{endpoint}/v1/projects/{app.project_id}/messages:send"
    session = service._client.session
    adapter = session.get_adapter(FCM_HOST)
    if pool_size is not None:
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=pool_size, pool_maxsize=pool_size, max_retries=adapter.max_retries
        )
    session.mount(endpoint, adapter)


def fcm_url(app: firebase_admin.App) -> str:
    """Where this app's messages:send requests go."""
    return messaging._get_messaging_service(app)._fcm_url


async def close_async_client(app: firebase_admin.App) -> None:
    """Close the app's httpx client; must run on the loop that used it."""
    await messaging._get_messaging_service(app)._async_client.aclose()
