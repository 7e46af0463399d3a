from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint

from app import audit
from app.auth import service, throttle, users
from app.auth.guards import admin_required, current_user, user_required
from app.auth.schemas import PasswordChangeSchema, UserListArgs, UserSchema, UsersPageSchema
from app.extensions import limiter
from app.members.pages import decode_cursor, encode_cursor
from app.openapi import errors

# A member's login holds their email: the audit trail keeps none (see app.audit.models).
USER_AUDIT = UserSchema(exclude=("email",))

blp = Blueprint(
    "accounts", __name__, url_prefix="/api/v1", description="Passwords and operators' logins"
)


@blp.route("/me/password", methods=["POST"])
@user_required
@limiter.limit(throttle.setting("LOGIN_RATE_LIMIT"))
@limiter.shared_limit(
    throttle.setting("LOGIN_ACCOUNT_LIMIT"),
    scope=throttle.ACCOUNT_SCOPE,
    key_func=throttle.account_of_caller,
    deduct_when=throttle.failed_with("current_password_wrong"),
)
@blp.arguments(PasswordChangeSchema)
@errors(403, "current_password_wrong")
@blp.response(204)
def change_password(data):
    """Change your password with the current one (403 `current_password_wrong`; failures count
    toward the account's login lock). Every other session ends; this one stays."""
    service.change_password(
        current_user(), data["current_password"], data["new_password"], get_jwt()["sid"]
    )


@blp.route("/admin/users", methods=["GET"])
@admin_required
@blp.arguments(UserListArgs, location="query")
@errors(400, "invalid_cursor")
@blp.response(200, UsersPageSchema)
def list_users(args):
    """Logins of every role, newest first; filter by `role` or an exact `email`."""
    found = users.list_users(
        args["role"], args["email"], decode_cursor(args["cursor"]), args["limit"] + 1
    )
    page = found[: args["limit"]]
    more = len(found) > args["limit"]
    return {"users": page, "next_cursor": encode_cursor(page[-1].id) if more else None}


@blp.route("/admin/users/<user_id>", methods=["GET"])
@admin_required
@errors(404, "user_not_found")
@blp.response(200, UserSchema)
def get_user(user_id):
    return users.get_user(user_id)


@blp.route("/admin/users/<user_id>/deactivate", methods=["POST"])
@admin_required
@errors(404, "user_not_found")
@errors(409, "cannot_deactivate_self", "last_admin")
@blp.response(200, UserSchema)
def deactivate(user_id):
    """The login stops working and its sessions end at once. 409 `cannot_deactivate_self`,
    409 `last_admin` (the program keeps one active admin)."""
    audit.record("user.deactivate", users.get_user(user_id), schema=USER_AUDIT)
    return users.deactivate(current_user(), user_id)


@blp.route("/admin/users/<user_id>/reactivate", methods=["POST"])
@admin_required
@errors(404, "user_not_found")
@blp.response(200, UserSchema)
def reactivate(user_id):
    """Logging in works again (the ended sessions stay ended)."""
    audit.record("user.reactivate", users.get_user(user_id), schema=USER_AUDIT)
    return users.reactivate(user_id)
