"""Pass-update pushes to APNs: HTTP/2, the pass certificate as TLS client certificate.

A Wallet push carries nothing but the topic (the pass type identifier); the device then asks the
web service which of its passes changed. Wallet pushes always go to the production gateway, even
for passes in development: the sandbox host is only useful against a fake.
"""

from __future__ import annotations

import enum
import json
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import certifi
import httpx

PRODUCTION_URL = "https://api.push.apple.com"
SANDBOX_URL = "https://api.sandbox.push.apple.com"
EMPTY_PAYLOAD = b"{}"

# 400 reasons that mean the token itself is wrong for us, not the request.
_BAD_TOKEN_REASONS = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic"})


class PushOutcome(enum.Enum):
    OK = "ok"
    UNREGISTERED = "unregistered"  # 410: the device left; remove the registration
    BAD_TOKEN = "bad_token"  # 400 BadDeviceToken / DeviceTokenNotForTopic: never deliverable
    RETRY = "retry"  # 429, 5xx or a network failure: try again later with backoff
    FAILED = "failed"  # anything else (certificate, topic): retrying will not help


@dataclass(frozen=True)
class PushResult:
    token: str
    outcome: PushOutcome
    status: int | None = None
    reason: str | None = None
    apns_id: str | None = None

    @property
    def remove_registration(self) -> bool:
        return self.outcome in (PushOutcome.UNREGISTERED, PushOutcome.BAD_TOKEN)

    @property
    def retryable(self) -> bool:
        return self.outcome is PushOutcome.RETRY


def classify(status: int, reason: str | None) -> PushOutcome:
    if status == 200:
        return PushOutcome.OK
    if status == 410:
        return PushOutcome.UNREGISTERED
    if status == 400 and reason in _BAD_TOKEN_REASONS:
        return PushOutcome.BAD_TOKEN
    if status == 429 or status >= 500:
        return PushOutcome.RETRY
    return PushOutcome.FAILED


def client_ssl_context(
    cert_path: str | Path,
    key_path: str | Path,
    key_password: str | None = None,
    ca_file: str | Path | None = None,
) -> ssl.SSLContext:
    """TLS context presenting the pass certificate; trusts certifi unless ca_file is given."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else certifi.where())
    context.load_cert_chain(str(cert_path), str(key_path), password=key_password)
    context.set_alpn_protocols(["h2"])
    return context


class ApnsPassPusher:
    """Sends pass-update pushes over one pooled HTTP/2 connection. Make one per process."""

    def __init__(
        self,
        topic: str,
        cert_path: str | Path,
        key_path: str | Path,
        key_password: str | None = None,
        base_url: str = PRODUCTION_URL,
        ca_file: str | Path | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.topic = topic
        self._client = httpx.Client(
            base_url=base_url,
            http1=False,
            http2=True,
            verify=client_ssl_context(cert_path, key_path, key_password, ca_file),
            timeout=timeout,
        )

    def push(self, token: str) -> PushResult:
        try:
            response = self._client.post(
                f"/3/device/{token}",
                content=EMPTY_PAYLOAD,
                headers={"apns-topic": self.topic, "content-type": "application/json"},
            )
        except httpx.TransportError as exc:
            return PushResult(token, PushOutcome.RETRY, reason=f"{type(exc).__name__}: {exc}")
        reason = None
        if response.status_code != 200:
            try:
                reason = json.loads(response.content).get("reason")
            except (ValueError, AttributeError):
                reason = response.text[:200] or None
        return PushResult(
            token,
            classify(response.status_code, reason),
            status=response.status_code,
            reason=reason,
            apns_id=response.headers.get("apns-id"),
        )

    def push_many(self, tokens: Iterable[str]) -> list[PushResult]:
        return [self.push(token) for token in tokens]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApnsPassPusher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
