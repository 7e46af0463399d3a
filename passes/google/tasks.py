"""The Google Wallet job (an outbox handler): PATCH the member's LoyaltyObject.

It reads the member as they are when the job runs, not as the event described them: with
coalesced jobs the event that created the job may be older than the change that matters.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from app import outbox
from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow
from passes import metrics
from passes.cards.service import member_card, program_info
from passes.google.client import WalletOutcome, sync_loyalty_object
from passes.google.models import GooglePass
from passes.google.objects import loyalty_object_changes
from passes.google.service import google_serial
from passes.state import current_state

log = logging.getLogger("passes")

GOOGLE_TOPIC = "passes.google_sync"


@outbox.handler(GOOGLE_TOPIC)
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
    card = member_card(member, google_serial(google_pass))
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
