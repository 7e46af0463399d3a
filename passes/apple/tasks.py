"""Background jobs (outbox handlers): APNs pushes for Apple passes, PATCHes for Google objects.

Both read the member as it is when the job runs, not as the event described it: with coalesced
jobs the event that created the job may be older than the change that matters.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import outbox
from app.extensions import celery, db
from app.members.models import Member
from app.models_base import utcnow
from passes import metrics, service
from passes.apns import PushOutcome
from passes.cards import member_card, program_info
from passes.google_client import WalletOutcome, sync_loyalty_object
from passes.google_objects import loyalty_object_changes
from passes.models import ApplePass, GooglePass
from passes.state import current_state

log = logging.getLogger("passes")


@outbox.handler(service.APNS_TOPIC)
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
    tokens = service.registered_tokens(pass_.id)
    if not tokens:
        return
    results = state.pusher().push_many(tokens)
    metrics.record_apns(results)
    gone = [r.token for r in results if r.remove_registration]
    if gone:
        removed = service.forget_push_tokens(gone)
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


@outbox.handler(service.GOOGLE_TOPIC)
def sync_google_object(payload: dict) -> None:
    """PATCH the member's LoyaltyObject; a change of available points may notify the holder."""
    state = current_state()
    if state is None or state.wallet_api is None:
        return
    google_pass = db.session.scalar(
        select(GooglePass).where(GooglePass.member_id == payload["member_id"])
    )
    member = db.session.get(Member, payload["member_id"])
    if google_pass is None or member is None or google_pass.last_synced_at is None:
        return  # the object was never made at Google: the save link will make it current
    program = program_info(state.settings, tuple(current_app.config["SUPPORTED_LANGUAGES"]))
    card = member_card(member, service.google_serial(google_pass))
    result = sync_loyalty_object(
        state.wallet_api,
        state.notify_budget,
        google_pass.object_id,
        loyalty_object_changes(program, card),
        balance_changed=google_pass.synced_points != member.points_available,
    )
    metrics.record_google_patch(result)
    if result.ok:
        google_pass.synced_points = member.points_available
        google_pass.last_synced_at = utcnow()
        db.session.commit()
    elif result.retryable:
        raise outbox.RetryLater(result.retry_after, reason=f"Google Wallet: {result.error}")
    elif result.outcome is WalletOutcome.NOT_FOUND:
        log.warning("passes: Google has no object %s any more", google_pass.object_id)
    else:
        log.error(
            "passes: Google refused the update of %s: %s %s",
            google_pass.object_id,
            result.status,
            result.error,
        )


@sa_event.listens_for(Session, "after_commit")
def _kick_when_due(session: Session) -> None:
    """Jobs written with a delay are not due at commit: ask for a dispatch when they are."""
    delay = session.info.pop(service.DELAYED_KICK_KEY, None)
    if delay and not celery.conf.task_always_eager:
        outbox.dispatch_outbox.apply_async(countdown=delay + 0.5)


@sa_event.listens_for(Session, "after_rollback")
def _forget_kick(session: Session) -> None:
    session.info.pop(service.DELAYED_KICK_KEY, None)
