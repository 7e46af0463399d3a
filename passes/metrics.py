"""The passes package's Prometheus counters, in the core's registry (app.ops.metrics)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from app.ops.metrics import counter
from passes.apple.apns import PushResult
from passes.google.client import WalletResult

APNS_PUSHES = counter(
    "loyalty_wallet_apns_pushes",
    "Apple Wallet pass-update pushes to APNs, one per device, by outcome (ok, unregistered, "
    "bad_token, retry, failed).",
    ("outcome",),
)
GOOGLE_PATCHES = counter(
    "loyalty_google_wallet_patches",
    "PATCHes of Google Wallet loyalty objects, by outcome (ok, not_found, conflict, retry, "
    "failed).",
    ("outcome",),
)


def record_apns(results: Iterable[PushResult]) -> None:
    for outcome, count in Counter(r.outcome.value for r in results).items():
        APNS_PUSHES.labels(outcome).inc(count)


def record_google_patch(result: WalletResult) -> None:
    GOOGLE_PATCHES.labels(result.outcome.value).inc()
