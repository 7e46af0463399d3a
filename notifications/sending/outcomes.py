"""What became of each push, read from firebase-admin's per-message responses."""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from firebase_admin import exceptions, messaging

from notifications.sending.push import Push

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
TARGET_FIELDS = frozenset({"message.token", "message.fid"})


class Outcome(enum.StrEnum):
    SENT = "sent"
    TOKEN_INVALID = "token_invalid"  # deactivate the device: FCM will never deliver to it
    RETRY = "retry"  # a passing failure: send again later
    FAILED = "failed"  # the message itself or our project is at fault; retrying won't help
    EXPIRED = "expired"  # the offer ended before the push could go out; nothing was sent


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    push: Push
    outcome: Outcome
    attempts: int
    message_id: str | None = None
    error_code: str | None = None  # FCM's errorCode, e.g. UNREGISTERED, QUOTA_EXCEEDED
    error_message: str | None = None
    retry_after: float | None = None  # seconds FCM asked us to wait (Retry-After)

    @property
    def delivery_id(self) -> str:
        return self.push.delivery_id


@dataclass
class SendReport:
    """Results in the order the pushes were given, one per push."""

    results: list[DeliveryResult] = field(default_factory=list)
    # Suggested wait before sending the RETRY ones again (backoff, or FCM's Retry-After).
    retry_after: float | None = None

    @property
    def counts(self) -> Counter[Outcome]:
        return Counter(r.outcome for r in self.results)

    def with_outcome(self, outcome: Outcome) -> list[DeliveryResult]:
        return [r for r in self.results if r.outcome is outcome]

    @property
    def invalid_targets(self) -> list[str]:
        """fids and tokens to deactivate."""
        return [r.push.target for r in self.with_outcome(Outcome.TOKEN_INVALID)]

    @property
    def to_retry(self) -> list[Push]:
        return [r.push for r in self.with_outcome(Outcome.RETRY)]

    @property
    def legacy_token_sends(self) -> int:
        """Pushes that went to a registration token because the device reported no fid."""
        return sum(1 for r in self.results if r.push.uses_legacy_token)


@dataclass(frozen=True, slots=True)
class Classified:
    outcome: Outcome
    message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    retry_after: float | None = None


def classify(response: messaging.SendResponse) -> Classified:
    """Sort one firebase-admin SendResponse into an Outcome."""
    if response.success:
        return Classified(Outcome.SENT, message_id=response.message_id)
    error = response.exception
    if not isinstance(error, exceptions.FirebaseError):
        return Classified(Outcome.RETRY, error_code="UNKNOWN", error_message=repr(error))
    body = _error_body(error)
    code = _fcm_error_code(body) or error.code
    message = str(error)
    retry_after = _retry_after(error)
    if isinstance(error, messaging.UnregisteredError | messaging.SenderIdMismatchError):
        return Classified(Outcome.TOKEN_INVALID, error_code=code, error_message=message)
    if isinstance(error, exceptions.InvalidArgumentError):
        # FCM reports a malformed token and a malformed message with the same INVALID_ARGUMENT;
        # only the first is the device's fault, so only it deactivates the device.
        outcome = Outcome.TOKEN_INVALID if _blames_target(body) else Outcome.FAILED
        return Classified(outcome, error_code=code, error_message=message)
    if isinstance(
        error,
        exceptions.UnavailableError
        | exceptions.InternalError
        | exceptions.ResourceExhaustedError  # QUOTA_EXCEEDED
        | exceptions.DeadlineExceededError
        | exceptions.UnknownError,
    ):
        return Classified(
            Outcome.RETRY, error_code=code, error_message=message, retry_after=retry_after
        )
    # THIRD_PARTY_AUTH_ERROR, UNAUTHENTICATED, PERMISSION_DENIED: our credentials or APNs setup.
    return Classified(Outcome.FAILED, error_code=code, error_message=message)


def _error_body(error: exceptions.FirebaseError) -> dict[str, Any]:
    response = error.http_response
    if response is None:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    inner = body.get("error") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else {}


def _fcm_error_code(body: dict[str, Any]) -> str | None:
    for detail in body.get("details") or []:
        if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR_TYPE:
            return detail.get("errorCode")
    return None


def _blames_target(body: dict[str, Any]) -> bool:
    for detail in body.get("details") or []:
        if isinstance(detail, dict) and detail.get("@type") == BAD_REQUEST_TYPE:
            fields = {v.get("field") for v in detail.get("fieldViolations") or []}
            if fields & TARGET_FIELDS:
                return True
    # What FCM answers for a token it cannot parse carries no field violation, only this text.
    return "registration token" in str(body.get("message", "")).lower()


def _retry_after(error: exceptions.FirebaseError) -> float | None:
    response = error.http_response
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
