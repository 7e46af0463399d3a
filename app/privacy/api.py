from flask import Flask
from flask_smorest import Blueprint

from app.auth import throttle
from app.auth.guards import admin_required, current_member, current_user, member_required
from app.extensions import limiter
from app.members.service import member_by_public_id
from app.openapi import errors
from app.privacy import service
from app.privacy.export import document_schema
from app.privacy.schemas import EraseMeSchema, ErasureSchema

blp = Blueprint("privacy", __name__, url_prefix="/api/v1", description="Members' data: erasure")


@blp.route("/me", methods=["DELETE"])
@member_required
@limiter.limit(throttle.setting("LOGIN_RATE_LIMIT"))
@limiter.shared_limit(
    throttle.setting("LOGIN_ACCOUNT_LIMIT"),
    scope=throttle.ACCOUNT_SCOPE,
    key_func=throttle.account_of_caller,
    deduct_when=throttle.failed_with("current_password_wrong"),
)
@blp.arguments(EraseMeSchema)
@errors(403, "current_password_wrong")
@blp.response(202, ErasureSchema)
def erase_me(data):
    """Delete your account: confirm with your password (403 `current_password_wrong`; failures
    count toward the account's login lock). The membership ends and every session with it at
    once; the personal data is erased right after (`status` says how far). What the program
    must keep for its accounts (purchases, points entries) stays under a pseudonym; the
    remaining points are forfeited."""
    return service.erase_self(current_member(), current_user(), data["password"])


@blp.route("/admin/members/<member_id>/erase", methods=["POST"])
@admin_required
@errors(404, "member_not_found")
@blp.response(202, ErasureSchema)
def erase_member(member_id):
    """Erase a member's personal data (recorded in the audit trail). Asking again answers the
    same erasure; one left unfinished (a crash) is run again."""
    return service.erase_by_operator(member_by_public_id(member_id), current_user())


def export_blueprint(app: Flask) -> Blueprint:
    """The export's endpoints, documented with the document schema of this app's registered
    parts: made after the feature packages have added theirs."""
    schema = document_schema(app)
    export = Blueprint(
        "privacy_export", __name__, url_prefix="/api/v1", description="Members' data: export"
    )

    @export.route("/me/export", methods=["GET"])
    @member_required
    @export.response(200, schema)
    def my_export():
        """Everything held about you, as one JSON document (streamed: large histories are
        sent as they are read)."""
        return service.export_response(current_member())

    @export.route("/admin/members/<member_id>/export", methods=["GET"])
    @admin_required
    @errors(404, "member_not_found")
    @export.response(200, schema)
    def member_export(member_id):
        """Everything held about a member, as the member would get it; recorded in the audit
        trail."""
        return service.operator_export(member_by_public_id(member_id))

    return export
