"""Google Wallet REST calls (through google-auth's AuthorizedSession), their outcomes, the
notification budget and a recording stand-in for development."""

from __future__ import annotations

import enum
import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions as auth_exceptions
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from passes.google import discovery

log = logging.getLogger(__name__)

WALLET_SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
DEFAULT_BASE_URL = "https://walletobjects.googleapis.com/walletobjects/v1"
NOTIFY_ON_UPDATE = "NOTIFY_ON_UPDATE"


class WalletOutcome(enum.Enum):
    OK = "ok"
    NOT_FOUND = "not_found"  # e.g. the member never saved the pass: nothing to update
    CONFLICT = "conflict"  # insert of an id that exists: patch it instead
    RETRY = "retry"  # 429, 5xx, network, our own rate limit: try again with backoff
    FAILED = "failed"  # a 4xx that retrying will not cure


@dataclass(frozen=True)
class WalletResult:
    outcome: WalletOutcome
    status: int | None = None
    body: Mapping[str, Any] | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is WalletOutcome.OK

    @property
    def retryable(self) -> bool:
        return self.outcome is WalletOutcome.RETRY


def classify(status: int) -> WalletOutcome:
    if 200 <= status < 300:
        return WalletOutcome.OK
    if status == 404:
        return WalletOutcome.NOT_FOUND
    if status == 409:
        return WalletOutcome.CONFLICT
    if status == 429 or status >= 500:
        return WalletOutcome.RETRY
    return WalletOutcome.FAILED


class WalletApi(Protocol):
    """What the background jobs call; WalletApiClient and RecordingWalletClient both fit."""

    def insert_loyalty_class(self, body: Mapping[str, Any]) -> WalletResult: ...
    def patch_loyalty_class(self, class_id: str, body: Mapping[str, Any]) -> WalletResult: ...
    def insert_loyalty_object(self, body: Mapping[str, Any]) -> WalletResult: ...
    def get_loyalty_object(self, object_id: str) -> WalletResult: ...
    def patch_loyalty_object(
        self, object_id: str, body: Mapping[str, Any], notify: bool = False
    ) -> WalletResult: ...


class IssuerRateLimit:
    """Keeps this issuer's requests under a rate (moving window, shared through Redis if given)."""

    def __init__(self, limit: str = "20 per second", storage_uri: str = "memory://") -> None:
        self._item = parse(limit)
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def acquire(self, issuer: str) -> float | None:
        """None when a request may go now, else the seconds to wait."""
        if self._limiter.hit(self._item, "wallet-issuer", issuer):
            return None
        stats = self._limiter.get_window_stats(self._item, "wallet-issuer", issuer)
        return max(stats.reset_time - time.time(), 0.01)


class NotificationBudget:
    """Google notifies a holder of field updates at most 3 times per pass in 24 hours.

    Ask `available` before a PATCH to decide on notifyPreference, and `spend` once a PATCH that
    asked for a notification has succeeded, so failed or retried calls cost nothing.
    """

    def __init__(self, limit: str = "3 per day", storage_uri: str = "memory://") -> None:
        self._item = parse(limit)
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def available(self, object_id: str) -> bool:
        return self._limiter.test(self._item, "wallet-notify", object_id)

    def spend(self, object_id: str) -> bool:
        return self._limiter.hit(self._item, "wallet-notify", object_id)


class WalletApiClient:
    def __init__(
        self,
        session: requests.Session,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        issuer_id: str = "",
        rate_limit: IssuerRateLimit | None = None,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._issuer_id = issuer_id
        self._rate_limit = rate_limit

    @classmethod
    def from_service_account(
        cls,
        info: Mapping[str, Any],
        base_url: str = DEFAULT_BASE_URL,
        token_uri: str | None = None,
        issuer_id: str = "",
        rate_limit: IssuerRateLimit | None = None,
        timeout: float = 10.0,
    ) -> WalletApiClient:
        """token_uri replaces the key file's (a local fake in tests)."""
        info = dict(info)
        if token_uri:
            info["token_uri"] = token_uri
        credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[WALLET_SCOPE]
        )
        return cls(AuthorizedSession(credentials), base_url, timeout, issuer_id, rate_limit)

    def insert_loyalty_class(self, body: Mapping[str, Any]) -> WalletResult:
        return self._request("POST", "/loyaltyClass", body)

    def patch_loyalty_class(self, class_id: str, body: Mapping[str, Any]) -> WalletResult:
        return self._request("PATCH", f"/loyaltyClass/{quote(class_id, safe='')}", body)

    def insert_loyalty_object(self, body: Mapping[str, Any]) -> WalletResult:
        return self._request("POST", "/loyaltyObject", body)

    def get_loyalty_object(self, object_id: str) -> WalletResult:
        return self._request("GET", f"/loyaltyObject/{quote(object_id, safe='')}")

    def patch_loyalty_object(
        self, object_id: str, body: Mapping[str, Any], notify: bool = False
    ) -> WalletResult:
        payload = dict(body)
        if notify:
            # Ephemeral: it must be sent with each PATCH that should notify.
            payload["notifyPreference"] = NOTIFY_ON_UPDATE
        return self._request("PATCH", f"/loyaltyObject/{quote(object_id, safe='')}", payload)

    def _request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> WalletResult:
        if self._rate_limit is not None:
            wait = self._rate_limit.acquire(self._issuer_id)
            if wait is not None:
                return WalletResult(
                    WalletOutcome.RETRY, error="issuer rate limit reached", retry_after=wait
                )
        try:
            response = self._session.request(
                method, self._base_url + path, json=body, timeout=self._timeout
            )
        except requests.RequestException as exc:
            return WalletResult(WalletOutcome.RETRY, error=f"{type(exc).__name__}: {exc}")
        except auth_exceptions.TransportError as exc:
            return WalletResult(WalletOutcome.RETRY, error=f"token endpoint unreachable: {exc}")
        except auth_exceptions.RefreshError as exc:
            outcome = WalletOutcome.RETRY if exc.retryable else WalletOutcome.FAILED
            return WalletResult(outcome, error=f"cannot get an access token: {exc}")
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        outcome = classify(response.status_code)
        error = None
        if outcome is not WalletOutcome.OK:
            message = (data or {}).get("error", {}) if isinstance(data, dict) else {}
            error = message.get("message") if isinstance(message, dict) else None
            error = error or response.text[:200]
        return WalletResult(
            outcome,
            status=response.status_code,
            body=data if isinstance(data, dict) else None,
            error=error,
            retry_after=_retry_after(response),
        )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: let the caller's backoff decide


@dataclass(frozen=True)
class RecordedCall:
    method: str
    path: str
    body: Mapping[str, Any] | None
    problems: tuple[str, ...] = ()


@dataclass
class RecordingWalletClient:
    """Development default: records calls instead of sending them, and checks each body against
    the discovery document so mistakes show up in the log long before Google sees them."""

    calls: list[RecordedCall] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _record(
        self, method: str, path: str, body: Mapping[str, Any] | None, schema: str, partial: bool
    ) -> None:
        problems = tuple(discovery.validate(body, schema, partial)) if body else ()
        for problem in problems:
            log.warning("Google Wallet %s %s: %s", method, path, problem)
        self.calls.append(RecordedCall(method, path, json.loads(json.dumps(body)), problems))

    def insert_loyalty_class(self, body: Mapping[str, Any]) -> WalletResult:
        self._record("POST", "/loyaltyClass", body, "LoyaltyClass", partial=False)
        return WalletResult(WalletOutcome.OK, 200, dict(body))

    def patch_loyalty_class(self, class_id: str, body: Mapping[str, Any]) -> WalletResult:
        self._record("PATCH", f"/loyaltyClass/{class_id}", body, "LoyaltyClass", partial=True)
        return WalletResult(WalletOutcome.OK, 200, dict(body))

    def insert_loyalty_object(self, body: Mapping[str, Any]) -> WalletResult:
        self._record("POST", "/loyaltyObject", body, "LoyaltyObject", partial=False)
        if body["id"] in self.objects:
            return WalletResult(WalletOutcome.CONFLICT, 409, error="already exists")
        self.objects[body["id"]] = dict(body)
        return WalletResult(WalletOutcome.OK, 200, dict(body))

    def get_loyalty_object(self, object_id: str) -> WalletResult:
        self.calls.append(RecordedCall("GET", f"/loyaltyObject/{object_id}", None))
        found = self.objects.get(object_id)
        if found is None:
            return WalletResult(WalletOutcome.NOT_FOUND, 404, error="not found")
        return WalletResult(WalletOutcome.OK, 200, dict(found))

    def patch_loyalty_object(
        self, object_id: str, body: Mapping[str, Any], notify: bool = False
    ) -> WalletResult:
        payload = dict(body)
        if notify:
            payload["notifyPreference"] = NOTIFY_ON_UPDATE
        self._record("PATCH", f"/loyaltyObject/{object_id}", payload, "LoyaltyObject", True)
        stored = self.objects.get(object_id)
        if stored is None:
            return WalletResult(WalletOutcome.NOT_FOUND, 404, error="not found")
        stored.update({k: v for k, v in payload.items() if k != "notifyPreference"})
        return WalletResult(WalletOutcome.OK, 200, dict(stored))


def sync_loyalty_object(
    api: WalletApi,
    budget: NotificationBudget,
    object_id: str,
    changes: Mapping[str, Any],
    balance_changed: bool,
) -> WalletResult:
    """PATCH a member's object, asking Google to notify only while the pass has budget left."""
    notify = balance_changed and budget.available(object_id)
    result = api.patch_loyalty_object(object_id, changes, notify=notify)
    if result.ok and notify:
        budget.spend(object_id)
    return result


def generate_dev_service_account(
    issuer_name: str = "loyalty-dev",
    token_uri: str = "https://oauth2.googleapis.com/token",
) -> dict[str, str]:
    """A service-account key file's contents with a freshly generated key, for development."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key_id = secrets.token_hex(20)
    return {
        "type": "service_account",
        "project_id": issuer_name,
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": f"{issuer_name}@{issuer_name}.iam.gserviceaccount.invalid",
        "client_id": "0",
        "token_uri": token_uri,
    }
