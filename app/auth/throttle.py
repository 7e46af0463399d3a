"""What the rate limits of the auth endpoints count, for flask-limiter.

Limits live in the limiter's storage (Redis in production), so every gunicorn worker and every
machine counts together. The account limit is keyed on the email as typed, whether or not an
account has it, so a lock answers the same for every address and tells nobody which exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, current_app, request

from app.auth.guards import current_user
from app.extensions import limiter

# One bucket for an account's failed logins and its failed password changes.
ACCOUNT_SCOPE = "account-failures"


def setting(name: str) -> Callable[[], str]:
    """A limit read from the settings at each request, so that tests and operators can set it."""
    return lambda: current_app.config[name]


def _bucket(kind: str, email: str) -> str:
    # Hashed: a fixed-size key that keeps addresses out of the limiter's storage.
    return f"{kind}:{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]}"


def _body_email() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return email if isinstance(email, str) else ""


def account_bucket(email: str) -> str:
    """The account limit's key for an email as typed (the console's login form uses it)."""
    return _bucket("account", email)


def forget_failures() -> None:
    """A login that succeeded starts the account's count of failures again: a member who
    mistyped twice this morning is not locked by one more typo this afternoon. The count is
    the one this request's limit checked, under the identifiers the limiter gave it."""
    for applied in limiter.current_limits:
        if ACCOUNT_SCOPE in applied.request_args:
            applied.limiter.clear(applied.limit, *applied.request_args)


def account_of_body() -> str:
    return _bucket("account", _body_email())


def account_of_caller() -> str:
    return _bucket("account", current_user().email)


def reset_mails_to_body_email() -> str:
    return _bucket("reset", _body_email())


def failed_with(code: str) -> Callable[[Response], bool]:
    """Count a request only when it answered this error code (a failed attempt)."""

    def failed(response: Response) -> bool:
        if response.status_code < 400:
            return False
        body = response.get_json(silent=True) or {}
        return isinstance(body, dict) and body.get("error", {}).get("code") == code

    return failed
