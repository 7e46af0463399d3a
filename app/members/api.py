from flask import request
from flask_smorest import Blueprint

from app import audit
from app.auth.guards import admin_required, current_member, current_user, member_required
from app.idempotency import require_key
from app.ledger import service as ledger
from app.members import service
from app.members.adjustments import adjust_once
from app.members.pages import decode_cursor, encode_cursor
from app.members.schemas import (
    AdjustmentSchema,
    EntrySchema,
    HistorySchema,
    MemberAuditSchema,
    MePatchSchema,
    MeSchema,
    PointsSchema,
)
from app.openapi import errors, idempotent, replayed
from app.schemas import CursorArgs
from app.tiers.service import points_standing

blp = Blueprint("members", __name__, url_prefix="/api/v1", description="The member's own card")


@blp.route("/me", methods=["GET"])
@member_required
@blp.response(200, MeSchema)
def me():
    return current_member()


@blp.route("/me", methods=["PATCH"])
@member_required
@blp.arguments(MePatchSchema)
@blp.response(200, MeSchema)
def patch_me(changes):
    return service.update_profile(current_member(), changes)


@blp.route("/me/points", methods=["GET"])
@member_required
@blp.response(200, PointsSchema)
def my_points():
    member = current_member()
    return {
        "available": member.points_available,
        "pending": member.points_pending,
        "expiring_30_days": ledger.expiring_soon(member.id),
        **points_standing(member),
    }


@blp.route("/me/points/history", methods=["GET"])
@member_required
@blp.arguments(CursorArgs, location="query")
@errors(400, "invalid_cursor")
@blp.response(200, HistorySchema)
def my_history(args):
    """Newest first; pass `next_cursor` back as `cursor` for the next page."""
    before = decode_cursor(args["cursor"])
    entries = ledger.history(current_member().id, before, args["limit"] + 1)
    more = len(entries) > args["limit"]
    entries = entries[: args["limit"]]
    return {
        "entries": entries,
        "next_cursor": encode_cursor(entries[-1].id) if more else None,
    }


@blp.route("/admin/members/<member_id>", methods=["GET"])
@admin_required
@errors(404, "member_not_found")
@blp.response(200, MeSchema)
def admin_member(member_id):
    return service.member_by_public_id(member_id)


@blp.route("/admin/members/<member_id>/end", methods=["POST"])
@admin_required
@errors(404, "member_not_found")
@blp.response(200, MeSchema)
def end_member(member_id):
    """End a membership: the card stops earning and its wallet passes are voided."""
    member = service.member_by_public_id(member_id)
    audit.record("member.end", member, schema=MemberAuditSchema)
    return service.end_membership(member, "admin")


@blp.route("/admin/members/<member_id>/adjustments", methods=["POST"])
@admin_required
@blp.arguments(AdjustmentSchema)
@idempotent
@errors(404, "member_not_found")
@errors(409, "membership_ended", "insufficient_points")
@blp.response(201, EntrySchema)
def adjust(data, member_id):
    """A manual correction, with a mandatory reason; needs an Idempotency-Key."""
    key = require_key(request.headers.get("Idempotency-Key"))
    member = service.member_by_public_id(member_id)
    body, status, _ = adjust_once(current_user(), member, data["points"], data["reason"], key)
    return replayed(body, status)
