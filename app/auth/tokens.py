"""flask-jwt-extended answers in the project's one error shape, and knows revoked sessions."""

from flask import Flask

from app.auth.sessions import session_stands
from app.errors import error_response
from app.extensions import jwt


def register_token_callbacks(app: Flask) -> None:
    @jwt.token_in_blocklist_loader
    def _revoked(_header: dict, payload: dict) -> bool:
        # Revoked, deactivated, ended, or naming another user's session: refused.
        return not session_stands(payload.get("sid"), payload.get("sub"))

    @jwt.expired_token_loader
    def _expired(_header: dict, _payload: dict):
        return error_response(401, "token_expired", "The token has expired.")

    @jwt.invalid_token_loader
    def _invalid(reason: str):
        return error_response(401, "token_invalid", "The token is not valid.")

    @jwt.unauthorized_loader
    def _missing(reason: str):
        return error_response(401, "unauthorized", "Log in first: no token was sent.")

    @jwt.revoked_token_loader
    def _revoked_answer(_header: dict, _payload: dict):
        return error_response(401, "token_revoked", "This session has ended; log in again.")
