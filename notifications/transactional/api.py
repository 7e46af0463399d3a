"""The member's switches for transactional pushes."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from notifications.transactional import service
from notifications.transactional.schemas import PreferencesPatchSchema, PreferencesSchema

blp = Blueprint(
    "push_preferences",
    __name__,
    url_prefix="/api/v1/me",
    description="Push notification preferences",
)


@blp.route("/notification-preferences", methods=["GET"])
@member_required
@blp.response(200, PreferencesSchema)
def preferences():
    """Switches for transactional pushes; campaigns follow the profile's marketing consent."""
    return service.preferences_of(current_member().id)


@blp.route("/notification-preferences", methods=["PATCH"])
@member_required
@blp.arguments(PreferencesPatchSchema)
@blp.response(200, PreferencesSchema)
def patch_preferences(changes):
    """Change some of the switches; the others stay."""
    return service.update_preferences(current_member(), changes)
