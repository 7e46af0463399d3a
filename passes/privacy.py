"""The passes' part of members' data (app.privacy, app.retention).

- Export: the member's Apple pass with the devices registered for it (without their push
  tokens or the pass's secret), and the Google Wallet object.
- Erasure: when an erasure has finished (`member.erased`), a job pushes the voided pass (now
  showing no name) to every registered device and PATCHes the Google object (inactive, no
  name), then forgets the Wallet registrations: the devices' push tokens and library ids. The
  registrations stay until the devices have been told, so an APNs outage delays it (the job
  is retried) rather than leaving a card on a phone that still looks live.
- Retention: Wallet's log lines (with client addresses) after RETENTION_PASS_LOG_DAYS.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import Flask, current_app
from marshmallow import fields
from sqlalchemy import delete, select

from app import events, outbox
from app.extensions import db
from app.members.models import Member
from app.privacy.export import register_export_part
from app.retention.rules import days, register_retention
from app.schemas import Augmented, StrictSchema
from passes import metrics
from passes.apple import registrations, service
from passes.apple.models import AppleDevice, ApplePass, AppleRegistration, PassLogEntry
from passes.cards.service import member_card, program_info
from passes.google.models import GooglePass
from passes.google.objects import loyalty_object_changes
from passes.google.service import google_serial
from passes.state import current_state

log = logging.getLogger("passes")

ERASE_TOPIC = "passes.erase"


class RegistrationExportSchema(StrictSchema):
    device_library_id = fields.Str(required=True)
    created_at = fields.DateTime(required=True)


class ApplePassExportSchema(StrictSchema):
    serial_number = fields.Str(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    registrations = fields.List(fields.Nested(RegistrationExportSchema), required=True)


class GooglePassExportSchema(StrictSchema):
    object_id = fields.Str(required=True)
    synced_points = fields.Int(required=True, allow_none=True)
    last_synced_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


def _apple_passes(member: Member) -> Iterator[Augmented]:
    for pass_ in db.session.scalars(select(ApplePass).where(ApplePass.member_id == member.id)):
        rows = db.session.execute(
            select(AppleRegistration, AppleDevice.device_library_id)
            .join(AppleDevice, AppleDevice.id == AppleRegistration.device_id)
            .where(AppleRegistration.pass_id == pass_.id)
            .order_by(AppleRegistration.id)
        )
        yield Augmented(
            pass_,
            registrations=[Augmented(reg, device_library_id=lib) for reg, lib in rows],
        )


def _google_passes(member: Member) -> Iterator[GooglePass]:
    return iter(db.session.scalars(select(GooglePass).where(GooglePass.member_id == member.id)))


def on_member_erased(payload: dict) -> None:
    """member.erased, inside the erasure's last transaction: the job that tells the wallets."""
    if current_state() is None:
        return
    member_id = payload["member_id"]
    has_pass = db.session.scalar(
        select(ApplePass.id).where(ApplePass.member_id == member_id).limit(1)
    ) or db.session.scalar(select(GooglePass.id).where(GooglePass.member_id == member_id))
    if has_pass:
        outbox.enqueue(ERASE_TOPIC, {"member_id": member_id}, f"{ERASE_TOPIC}:{member_id}")


@outbox.handler(ERASE_TOPIC)
def erase_wallets(payload: dict) -> None:
    state = current_state()
    if state is None:
        return
    member_id = payload["member_id"]
    pass_ = db.session.scalar(select(ApplePass).where(ApplePass.member_id == member_id))
    if pass_ is not None:
        _void_on_devices(state, pass_)
    _void_at_google(state, member_id)


def _void_at_google(state, member_id: int) -> None:
    """PATCH the object as the member is now: inactive, and the erased name instead of theirs
    (the regular sync sends the points, tier and state only). A Google 429/5xx retries the job;
    the Apple part then finds nothing left to do."""
    google_pass = db.session.scalar(select(GooglePass).where(GooglePass.member_id == member_id))
    member = db.session.get(Member, member_id)
    if state.wallet_api is None or google_pass is None or google_pass.last_synced_at is None:
        return  # never made at Google: nothing there to void
    program = program_info(state.settings, tuple(current_app.config["SUPPORTED_LANGUAGES"]))
    card = member_card(member, google_serial(google_pass))
    changes = loyalty_object_changes(program, card) | {"accountName": card.member_name}
    result = state.wallet_api.patch_loyalty_object(google_pass.object_id, changes, notify=False)
    metrics.record_google_patch(result)
    if result.retryable:
        raise outbox.RetryLater(result.retry_after, reason=f"Google Wallet: {result.error}")
    if not result.ok:
        log.error(
            "passes: Google refused voiding %s: %s %s",
            google_pass.object_id,
            result.status,
            result.error,
        )


def _void_on_devices(state, pass_: ApplePass) -> None:
    tokens = registrations.registered_tokens(pass_.id)
    if not tokens:
        return
    service.mark_updated(pass_)
    db.session.commit()
    results = state.pusher().push_many(tokens)
    metrics.record_apns(results)
    gone = [r.token for r in results if r.remove_registration]
    if gone:
        # The device left Wallet: no pass of anyone's is registered there any more.
        registrations.forget_push_tokens(gone)
    # A device's token is shared by every pass on it: only this pass's registrations go.
    told = [r.token for r in results if not r.retryable]
    _forget(pass_.id, told)
    if len(told) < len(tokens):
        raise outbox.RetryLater(reason="APNs asked to retry the erased pass's push")


def _forget(pass_id: int, tokens: list[str]) -> None:
    """Drop the pass's registrations that gave these tokens, and devices left with none."""
    if tokens:
        device_ids = list(
            db.session.scalars(
                select(AppleRegistration.device_id).where(
                    AppleRegistration.pass_id == pass_id, AppleRegistration.push_token.in_(tokens)
                )
            )
        )
        db.session.execute(
            delete(AppleRegistration).where(
                AppleRegistration.pass_id == pass_id, AppleRegistration.push_token.in_(tokens)
            )
        )
        still_used = select(AppleRegistration.device_id)
        db.session.execute(
            delete(AppleDevice).where(
                AppleDevice.id.in_(device_ids), AppleDevice.id.not_in(still_used)
            )
        )
    db.session.commit()


def register(app: Flask) -> None:
    register_export_part(
        app,
        "apple_passes",
        ApplePassExportSchema,
        _apple_passes,
        description="The Apple Wallet pass and the devices registered for it.",
    )
    register_export_part(
        app,
        "google_passes",
        GooglePassExportSchema,
        _google_passes,
        description="The Google Wallet object.",
    )
    register_retention(
        app,
        "pass_log_entries",
        PassLogEntry.__table__,
        lambda now: PassLogEntry.created_at < now - days("RETENTION_PASS_LOG_DAYS"),
    )
    # Process-wide, as the package's other subscriptions; `subscribe` ignores a repeat.
    events.subscribe(events.MEMBER_ERASED, on_member_erased)
