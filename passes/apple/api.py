"""The member's wallet passes and the operators' view of Wallet's log."""

from __future__ import annotations

from flask import Response, current_app, jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.guards import admin_required, current_member, member_required
from app.errors import ApiError
from app.extensions import db
from app.models_base import utcnow
from passes import service
from passes.apple_pass import MIME_TYPE
from passes.cards import member_card, program_info
from passes.google_client import WalletOutcome
from passes.google_objects import (
    loyalty_class,
    loyalty_object,
    loyalty_object_changes,
    save_jwt,
    save_url,
)
from passes.state import PassesState, current_state

blp = Blueprint("passes", __name__, url_prefix="/api/v1", description="Wallet passes")


def _state() -> PassesState:
    state = current_state()
    if state is None:  # pragma: no cover - the blueprint exists only where the state does
        raise ApiError(503, "passes_unavailable", "Wallet passes are not set up.")
    return state


def pkpass_response(data: bytes, pass_) -> Response:
    response = Response(data, mimetype=MIME_TYPE)
    response.last_modified = pass_.updated_at
    response.headers["Content-Disposition"] = 'attachment; filename="loyalty.pkpass"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blp.route("/me/passes/apple", methods=["GET"])
@member_required
def apple_pass():
    """The member's Apple Wallet card: a signed .pkpass (application/vnd.apple.pkpass)."""
    state = _state()
    member = current_member()
    pass_ = service.apple_pass_for(member)
    return pkpass_response(service.build_apple_pass(state, pass_, member), pass_)


def _unavailable(result) -> ApiError:
    if not result.retryable:
        # Google refused what we sent: a fault on our side, not the member's to retry.
        return ApiError(502, "google_wallet_error", "Google Wallet refused the pass.")
    return ApiError(
        503,
        "google_wallet_unavailable",
        "Google Wallet cannot be reached right now; try again shortly.",
        {"retry_after": result.retry_after} if result.retry_after else None,
    )


@blp.route("/me/passes/google", methods=["GET"])
@member_required
def google_pass():
    """The member's "Save to Google Wallet" link.

    The object is made through the API first, so the link's JWT carries only its id and stays
    short enough for a URL.
    """
    state = _state()
    if state.wallet_api is None or state.google_signer is None or state.google_account is None:
        raise ApiError(503, "google_wallet_unavailable", "Google Wallet is not set up.")
    member = current_member()
    google_pass = service.google_pass_for(member, state)
    program = program_info(state.settings, tuple(current_app.config["SUPPORTED_LANGUAGES"]))
    if not state.google_class_ready:
        result = state.wallet_api.insert_loyalty_class(loyalty_class(program, state.google))
        if result.outcome not in (WalletOutcome.OK, WalletOutcome.CONFLICT):
            raise _unavailable(result)
        state.google_class_ready = True
    if google_pass.last_synced_at is None:
        card = member_card(member, service.google_serial(google_pass))
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
    return jsonify({"save_url": save_url(token), "jwt": token, "object_id": google_pass.object_id})


class LogQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    # Bounded by the id column (INTEGER, 32-bit on PostgreSQL): a larger number is a 422, not an
    # overflow in the database (SQLite fails past 2**63, PostgreSQL past 2**31).
    before = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))


@blp.route("/admin/passes/logs", methods=["GET"])
@admin_required
@blp.arguments(LogQuerySchema, location="query")
def wallet_logs(args):
    """What Wallet on devices reported to /v1/log, newest first (page with `before`)."""
    entries = service.recent_log_lines(args["limit"], args["before"])
    return jsonify(
        {
            "entries": [
                {
                    "id": entry.id,
                    "message": entry.message,
                    "remote_addr": entry.remote_addr,
                    "created_at": entry.created_at.isoformat(),
                }
                for entry in entries
            ]
        }
    )
