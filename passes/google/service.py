"""Google Wallet objects: the member's object id, and the "Save to Google Wallet" link.

The only code that writes `google_passes`. The link's handler (api.py) and the PATCH job
(tasks.py) call it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError
from app.extensions import db
from app.ids import new_id
from app.members.models import Member
from app.models_base import utcnow
from passes.cards.service import member_card, program_info
from passes.google.client import WalletOutcome, WalletResult
from passes.google.models import GooglePass
from passes.google.objects import (
    loyalty_class,
    loyalty_object,
    loyalty_object_changes,
    save_jwt,
    save_url,
)
from passes.state import PassesState


@dataclass(frozen=True)
class SaveLink:
    """What the member's app opens to add the card to Google Wallet."""

    save_url: str
    jwt: str
    object_id: str


def google_pass_for(member: Member, state: PassesState) -> GooglePass:
    """The member's object id, chosen on first request (the object is made at Google later)."""
    found = db.session.scalar(select(GooglePass).where(GooglePass.member_id == member.id))
    if found is not None:
        return found
    suffix = new_id("gw")
    try:
        with db.session.begin_nested():
            created = GooglePass(
                member_id=member.id, object_id=f"{state.google.issuer_id}.{suffix}"
            )
            db.session.add(created)
        db.session.commit()
        return created
    except IntegrityError:
        db.session.rollback()
        return db.session.scalars(select(GooglePass).where(GooglePass.member_id == member.id)).one()


def google_serial(google_pass: GooglePass) -> str:
    return google_pass.object_id.split(".", 1)[1]


def _unavailable(result: WalletResult) -> ApiError:
    if not result.retryable:
        # Google refused what we sent: a fault on our side, not the member's to retry.
        return ApiError(502, "google_wallet_error", "Google Wallet refused the pass.")
    return ApiError(
        503,
        "google_wallet_unavailable",
        "Google Wallet cannot be reached right now; try again shortly.",
        {"retry_after": result.retry_after} if result.retry_after else None,
    )


def save_link(member: Member, state: PassesState) -> SaveLink:
    """The member's save link; the class and the object are made at Google first. Commits.

    Made through the API first, so that the link's JWT carries only the object's id and stays
    short enough for a URL.
    """
    if state.wallet_api is None or state.google_signer is None or state.google_account is None:
        raise ApiError(503, "google_wallet_unavailable", "Google Wallet is not set up.")
    google_pass = google_pass_for(member, state)
    program = program_info(state.settings, tuple(current_app.config["SUPPORTED_LANGUAGES"]))
    if not state.google_class_ready:
        result = state.wallet_api.insert_loyalty_class(loyalty_class(program, state.google))
        if result.outcome not in (WalletOutcome.OK, WalletOutcome.CONFLICT):
            raise _unavailable(result)
        state.google_class_ready = True
    if google_pass.last_synced_at is None:
        card = member_card(member, google_serial(google_pass))
        result = state.wallet_api.insert_loyalty_object(loyalty_object(program, card, state.google))
        if result.outcome is WalletOutcome.CONFLICT:
            # Made by an earlier request whose answer was lost: bring it up to date instead.
            result = state.wallet_api.patch_loyalty_object(
                google_pass.object_id, loyalty_object_changes(program, card)
            )
        if not result.ok:
            raise _unavailable(result)
        google_pass.synced_points = member.points_available
        google_pass.last_synced_at = utcnow()
        db.session.commit()
    token = save_jwt(
        state.google_signer,
        state.google_account["client_email"],
        state.google.origins,
        [{"id": google_pass.object_id, "classId": state.google.class_id}],
    )
    return SaveLink(save_url=save_url(token), jwt=token, object_id=google_pass.object_id)
