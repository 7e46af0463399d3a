from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint

from app.auth import reset, service, throttle
from app.auth.guards import current_user
from app.auth.schemas import (
    LoginSchema,
    PasswordResetAcceptedSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    SignupSchema,
    TokensSchema,
)
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

# Failed logins and failed password changes of one account, counted together.
account_failures = limiter.shared_limit(
    throttle.setting("LOGIN_ACCOUNT_LIMIT"),
    scope=throttle.ACCOUNT_SCOPE,
    key_func=throttle.account_of_body,
    deduct_when=throttle.failed_with("invalid_credentials"),
)


@blp.route("/signup", methods=["POST"])
@limiter.limit(throttle.setting("SIGNUP_RATE_LIMIT"))
@blp.arguments(SignupSchema)
@errors(409, "email_taken", "program_not_configured", "consent_version_outdated")
@errors(422, "referral_code_invalid", "self_referral")
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
        email_consent=data["email_consent"],
        terms_version=data["terms_version"],
        referral_code=data["referral_code"],
    )
    return Augmented(member, tokens=tokens)


@blp.route("/login", methods=["POST"])
@limiter.limit(throttle.setting("LOGIN_RATE_LIMIT"))
@account_failures
@blp.arguments(LoginSchema)
@errors(401, "invalid_credentials")
@blp.response(200, TokensSchema)
def login(data):
    """Unknown email, wrong password, a deactivated login and an ended membership get the same
    answer. After `LOGIN_ACCOUNT_LIMIT` failures for one email the account is locked for the
    rest of the window: a 429 `rate_limited` with `Retry-After`, the same for every email. A
    successful login starts the count again."""
    user, tokens = service.login(data["email"], data["password"])
    throttle.forget_failures()
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "role": user.role,
    }


@blp.route("/refresh", methods=["POST"])
@errors(401, *SESSION_ERRORS, "refresh_token_reused")
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


@blp.route("/password-reset", methods=["POST"])
@limiter.limit(throttle.setting("PASSWORD_RESET_RATE_LIMIT"))
@limiter.limit(
    throttle.setting("PASSWORD_RESET_EMAIL_LIMIT"), key_func=throttle.reset_mails_to_body_email
)
@blp.arguments(PasswordResetRequestSchema)
@blp.response(202, PasswordResetAcceptedSchema)
def password_reset(data):
    """Mail a one-time reset link to the account with this email, if there is one. The answer
    (and its time) is the same whether or not there is."""
    reset.request_reset(data["email"])
    return {"message": "If an account has this email, a reset link is on its way."}


@blp.route("/password-reset/confirm", methods=["POST"])
@limiter.limit(throttle.setting("PASSWORD_RESET_RATE_LIMIT"))
@blp.arguments(PasswordResetConfirmSchema)
@errors(400, "reset_token_invalid")
@blp.response(204)
def password_reset_confirm(data):
    """Set a new password with the mailed token (once, before it expires); every session of
    the account ends."""
    reset.confirm_reset(data["token"], data["new_password"])
