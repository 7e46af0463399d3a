from flask_smorest import Blueprint

from app.audit import service
from app.audit.schemas import AuditArgs, AuditPageSchema
from app.auth.guards import admin_required
from app.members.pages import decode_cursor, encode_cursor
from app.openapi import errors

blp = Blueprint("admin_audit", __name__, url_prefix="/api/v1/admin", description="Audit trail")


@blp.route("/audit", methods=["GET"])
@admin_required
@blp.arguments(AuditArgs, location="query")
@errors(400, "invalid_cursor")
@blp.response(200, AuditPageSchema)
def audit_trail(args):
    """Operators' actions, newest first; filter by `actor`, `action`, `target_type`,
    `target_id` and a `from`/`to` time window; pass `next_cursor` back as `cursor`."""
    found = service.query(
        actor=args["actor"],
        action=args["action"],
        target_type=args["target_type"],
        target_id=args["target_id"],
        since=args["since"],
        until=args["until"],
        before_id=decode_cursor(args["cursor"]),
        limit=args["limit"] + 1,
    )
    page = found[: args["limit"]]
    more = len(found) > args["limit"]
    return {"events": page, "next_cursor": encode_cursor(page[-1].id) if more else None}
