"""The member's Apple Wallet pass and the operators' view of Wallet's log."""

from __future__ import annotations

from flask import Response, jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.guards import admin_required, current_member, member_required
from app.errors import ApiError
from passes.apple import service, wallet_log
from passes.apple.pkpass import MIME_TYPE
from passes.state import PassesState, current_state

blp = Blueprint("apple_passes", __name__, url_prefix="/api/v1", description="Apple Wallet passes")


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
    entries = wallet_log.recent_log_lines(args["limit"], args["before"])
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
