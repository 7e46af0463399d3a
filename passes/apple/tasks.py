"""The Apple Wallet job (an outbox handler): a new update tag, then an APNs push per device.

Devices then ask the web service what changed and fetch the pass as it is when they ask.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app import outbox
from app.extensions import db
from passes import metrics
from passes.apple import registrations, service
from passes.apple.apns import PushOutcome
from passes.apple.models import ApplePass
from passes.state import current_state

log = logging.getLogger("passes")

APNS_TOPIC = "passes.apns_push"


@outbox.handler(APNS_TOPIC)
def push_pass_update(payload: dict) -> None:
    """Give the pass a new tag, then tell every registered device to ask for it."""
    state = current_state()
    if state is None:
        return
    pass_ = db.session.scalar(select(ApplePass).where(ApplePass.serial_number == payload["serial"]))
    if pass_ is None:
        return
    # The tag is taken here, after the change committed, and committed before any push: a
    # device that asks after the push is sure to see it.
    service.mark_updated(pass_)
    db.session.commit()
    tokens = registrations.registered_tokens(pass_.id)
    if not tokens:
        return
    results = state.pusher().push_many(tokens)
    metrics.record_apns(results)
    gone = [r.token for r in results if r.remove_registration]
    if gone:
        removed = registrations.forget_push_tokens(gone)
        log.info("passes: APNs says %d device(s) left pass %s", removed, pass_.serial_number)
    for result in results:
        if result.outcome is PushOutcome.FAILED:
            # Certificate or topic trouble: retrying cannot help, an operator must act.
            log.error(
                "passes: APNs refused a push for %s: %s %s",
                pass_.serial_number,
                result.status,
                result.reason,
            )
    if any(r.retryable for r in results):
        raise outbox.RetryLater(reason="APNs asked to retry: " + _reasons(results))


def _reasons(results: list) -> str:
    return ", ".join(sorted({str(r.reason or r.status) for r in results if r.retryable}))
