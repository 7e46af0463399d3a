"""The member's "Save to Google Wallet" link."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from app.errors import ApiError
from app.openapi import errors
from passes.google import service
from passes.google.schemas import SaveLinkSchema
from passes.state import PassesState, current_state

blp = Blueprint("google_passes", __name__, url_prefix="/api/v1", description="Google Wallet passes")


def _state() -> PassesState:
    state = current_state()
    if state is None:  # pragma: no cover - the blueprint exists only where the state does
        raise ApiError(503, "passes_unavailable", "Wallet passes are not set up.")
    return state


@blp.route("/me/passes/google", methods=["GET"])
@member_required
@errors(502, "google_wallet_error")
@errors(503, "google_wallet_unavailable")
@blp.response(200, SaveLinkSchema)
def google_pass():
    """The member's "Save to Google Wallet" link; the object is made at Google first."""
    return service.save_link(current_member(), _state())
