"""firebase-admin apps for a service account, and the seams where this package reaches past
the library's public API (the FCM URL, closing the async client).

It imports nothing of this package, so the senders (``fcm``) and the choice between them
(``factory``) both build on it without an import circle.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import firebase_admin
import requests.adapters
from firebase_admin import credentials, messaging

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
