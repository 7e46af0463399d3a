"""The member's "Save to Google Wallet" link."""

from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from app.errors import ApiError
from passes.google import service
from passes.state import PassesState, current_state

blp = Blueprint("google_passes", __name__, url_prefix="/api/v1", description="Google Wallet passes")


def _state() -> PassesState:
    state = current_state()
    if state is None:  # pragma: no cover - the blueprint exists only where the state does
        raise ApiError(503, "passes_unavailable", "Wallet passes are not set up.")
    return state


@blp.route("/me/passes/google", methods=["GET"])
@member_required
def google_pass():
    """The member's "Save to Google Wallet" link."""
    link = service.save_link(current_member(), _state())
    return jsonify({"save_url": link.save_url, "jwt": link.jwt, "object_id": link.object_id})
