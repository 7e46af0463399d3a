"""Badges over HTTP: the member's own, and the admins' definitions."""

from __future__ import annotations

from app.auth.guards import admin_required, current_member, member_required
from app.openapi import errors
from challenges.badges import service
from challenges.badges.schemas import (
    BadgeAdminSchema,
    BadgeChangesSchema,
    BadgeCreateSchema,
    HeldBadgeSchema,
)
from challenges.blueprints import admin_blp, member_blp
from challenges.schemas import in_member_language


@member_blp.route("/me/badges", methods=["GET"])
@member_required
@in_member_language
@member_blp.response(200, HeldBadgeSchema(many=True))
def my_badges():
    """The member's badges, oldest first, in the member's language."""
    return service.held_by(current_member())


@admin_blp.route("/badges", methods=["POST"])
@admin_required
@admin_blp.arguments(BadgeCreateSchema)
@errors(409, "code_taken")
@admin_blp.response(201, BadgeAdminSchema)
def create_badge(data):
    return service.create(data)


@admin_blp.route("/badges", methods=["GET"])
@admin_required
@admin_blp.response(200, BadgeAdminSchema(many=True))
def list_badges():
    return service.every_badge()


@admin_blp.route("/badges/<badge_id>", methods=["PATCH"])
@admin_required
@admin_blp.arguments(BadgeChangesSchema(partial=True))
@errors(404, "badge_not_found")
@admin_blp.response(200, BadgeAdminSchema)
def patch_badge(changes, badge_id):
    return service.update(badge_id, changes)
