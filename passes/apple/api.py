"""The member's Apple Wallet pass and the operators' view of Wallet's log."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from app.auth.guards import admin_required, current_member, member_required
from app.errors import ApiError
from app.openapi import errors
from passes.apple import service, wallet_log
from passes.apple.models import ApplePass
from passes.apple.pkpass import MIME_TYPE
from passes.apple.schemas import PKPASS_BODY, PKPASS_HEADERS, LogPageSchema, LogQuerySchema
from passes.state import PassesState, current_state

blp = Blueprint("apple_passes", __name__, url_prefix="/api/v1", description="Apple Wallet passes")


def _state() -> PassesState:
    state = current_state()
    if state is None:  # pragma: no cover - the blueprint exists only where the state does
        raise ApiError(503, "passes_unavailable", "Wallet passes are not set up.")
    return state


def pkpass_response(data: bytes, pass_: ApplePass) -> Response:
    response = Response(data, mimetype=MIME_TYPE)
    response.last_modified = pass_.updated_at
    response.headers["Content-Disposition"] = 'attachment; filename="loyalty.pkpass"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blp.route("/me/passes/apple", methods=["GET"])
@member_required
@errors(503, "apple_pass_unavailable")
@blp.response(
    200,
    PKPASS_BODY,
    content_type=MIME_TYPE,
    headers=PKPASS_HEADERS,
    description="The signed pass (a zip), to hand to Wallet.",
)
def apple_pass():
    """The member's Apple Wallet card: a signed .pkpass (application/vnd.apple.pkpass)."""
    state = _state()
    member = current_member()
    pass_ = service.apple_pass_for(member)
    return pkpass_response(service.build_apple_pass(state, pass_, member), pass_)


@blp.route("/admin/passes/logs", methods=["GET"])
@admin_required
@blp.arguments(LogQuerySchema, location="query")
@blp.response(200, LogPageSchema)
def wallet_logs(args):
    """What Wallet on devices reported to /v1/log, newest first (page with `before`)."""
    return wallet_log.recent_log_lines(args["limit"], args["before"])
