from flask import jsonify
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint

from app.auth import service
from app.auth.guards import current_user
from app.auth.schemas import LoginSchema, SignupSchema, TokensSchema
from app.extensions import limiter
from app.members.schemas import MeSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-up and sessions")


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


@blp.route("/signup", methods=["POST"])
@blp.arguments(SignupSchema)
@blp.response(201, MeSchema)
def signup(data):
    """Join the program: creates the member, a card number, and a first session."""
    member, tokens = service.signup(
        data["email"],
        data["password"],
        data["name"],
        data["language"],
        data["timezone"],
        data["marketing_consent"],
    )
    body = MeSchema().dump(member)
    body["tokens"] = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token}
    return jsonify(body), 201


@blp.route("/login", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(LoginSchema)
@blp.response(200, TokensSchema)
def login(data):
    """Unknown email and wrong password get the same answer."""
    user, tokens = service.login(data["email"], data["password"])
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "role": user.role,
    }


@blp.route("/refresh", methods=["POST"])
@blp.response(200, TokensSchema)
def refresh():
    """Send the refresh token as the bearer token; it is replaced by a new one."""
    verify_jwt_in_request(refresh=True)
    tokens = service.refresh(get_jwt())
    return {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token}


@blp.route("/logout", methods=["POST"])
@blp.response(204)
def logout():
    """Ends this session: its access and refresh tokens stop working."""
    current_user()
    service.revoke(get_jwt()["sid"], "logout")
