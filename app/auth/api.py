from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint

from app.auth import service
from app.auth.guards import current_user
from app.auth.schemas import LoginSchema, SignupSchema, TokensSchema
from app.extensions import limiter
from app.members.schemas import SignupResultSchema
from app.openapi import errors
from app.schemas import Augmented

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-up and sessions")
# What a refresh or logout with a bad token answers (they check the token themselves).
SESSION_ERRORS = (
    "unauthorized",
    "token_invalid",
    "token_expired",
    "token_revoked",
    "session_revoked",
)


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


@blp.route("/signup", methods=["POST"])
@blp.arguments(SignupSchema)
@errors(409, "email_taken", "program_not_configured")
@blp.response(201, SignupResultSchema)
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
    return Augmented(member, tokens=tokens)


@blp.route("/login", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(LoginSchema)
@errors(401, "invalid_credentials")
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
@errors(401, *SESSION_ERRORS)
@blp.response(200, TokensSchema)
def refresh():
    """Send the refresh token as the bearer token; it is replaced by a new one."""
    verify_jwt_in_request(refresh=True)
    tokens = service.refresh(get_jwt())
    return {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token}


@blp.route("/logout", methods=["POST"])
@errors(401, *SESSION_ERRORS)
@blp.response(204)
def logout():
    """Ends this session: its access and refresh tokens stop working."""
    current_user()
    service.revoke(get_jwt()["sid"], "logout")
