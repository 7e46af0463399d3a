"""The operators' referral queue: list by status, approve, reject (audited, idempotent)."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from app.auth.guards import admin_required, current_user
from app.idempotency import require_key, run_once
from app.members.pages import decode_cursor, encode_cursor
from app.openapi import errors, idempotent, replayed
from referrals import privacy
from referrals.referrals.schemas import (
    ApproveSchema,
    ReferralAdminSchema,
    ReferralListArgs,
    ReferralPageSchema,
    RejectSchema,
)
from referrals.review import service

blp = Blueprint(
    "admin_referrals", __name__, url_prefix="/api/v1/admin", description="Referrals: review"
)


@blp.route("/referrals", methods=["GET"])
@admin_required
@blp.arguments(ReferralListArgs, location="query")
@errors(400, "invalid_cursor")
@blp.response(200, ReferralPageSchema)
def referrals(args):
    """Referrals newest first; `?status=flagged` is the review queue. Pass `next_cursor`
    back as `cursor` for the next page."""
    found = service.queue(args["status"], decode_cursor(args["cursor"]), args["limit"] + 1)
    page = found[: args["limit"]]
    more = len(found) > args["limit"]
    return {"referrals": page, "next_cursor": encode_cursor(page[-1].id) if more else None}


@blp.route("/referrals/<referral_id>", methods=["GET"])
@admin_required
@errors(404, "referral_not_found")
@blp.response(200, ReferralAdminSchema)
def referral(referral_id):
    return service.get_referral(referral_id)


def _review(action: str, referral_id: str, data: dict, change) -> tuple:
    key = require_key(request.headers.get("Idempotency-Key"))
    admin = current_user()
    found = service.get_referral(referral_id)

    def run():
        privacy.record_review(f"referral.{action}", found)
        return ReferralAdminSchema().dump(change(found, admin.public_id)), 200

    body, status, _ = run_once(
        f"referral-review:{admin.public_id}", key, {"do": action, "r": referral_id, **data}, run
    )
    return replayed(body, status)


@blp.route("/referrals/<referral_id>/approve", methods=["POST"])
@admin_required
@blp.arguments(ApproveSchema)
@idempotent
@errors(404, "referral_not_found")
@errors(409, "referral_not_flagged", "referrer_cap_reached")
@blp.response(200, ReferralAdminSchema)
def approve(data, referral_id):
    """Approve a flagged referral: both sides' rewards are granted once (pending until the
    hold ends, or at once after it); the referrer's cap still holds. Needs an
    `Idempotency-Key`; audited."""
    return _review("approve", referral_id, data, lambda r, by: service.approve(r, by, data["note"]))


@blp.route("/referrals/<referral_id>/reject", methods=["POST"])
@admin_required
@blp.arguments(RejectSchema)
@idempotent
@errors(404, "referral_not_found")
@errors(409, "referral_not_open")
@blp.response(200, ReferralAdminSchema)
def reject(data, referral_id):
    """Reject a joined or flagged referral with a reason; nothing is granted. Needs an
    `Idempotency-Key`; audited."""
    return _review("reject", referral_id, data, lambda r, by: service.reject(r, by, data["reason"]))
