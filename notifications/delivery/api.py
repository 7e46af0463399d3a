"""The member's app reports that a notification was opened."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from app.openapi import errors
from notifications.delivery import service
from notifications.delivery.schemas import OpenedSchema

blp = Blueprint(
    "push_opens", __name__, url_prefix="/api/v1/me", description="Push notification opens"
)


@blp.route("/notifications/<notification_id>/opened", methods=["POST"])
@member_required
@errors(404, "notification_not_found")
@errors(409, "notification_not_sent")
@blp.response(200, OpenedSchema)
def opened(notification_id):
    """The app reports an open: `notification_id` is the push's `delivery_id` data field."""
    return service.mark_opened(current_member(), notification_id)
