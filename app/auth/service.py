"""Sign-up, login, rotating refresh tokens, logout, password changes, and the keys of
point-of-sale systems."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from app import settings_cache
from app.auth import sessions, signup_fields
from app.auth.models import ApiKey, AuthSession, User
from app.auth.passwords import (
    burn_time_like_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.auth.reset import retire_tokens
from app.errors import ApiError
from app.extensions import db
from app.members.models import Member
from app.members.service import create_member, valid_timezone
from app.models_base import utcnow
from app.stores.models import Store
from app.stores.service import cached_store

API_KEY_PREFIX = "lk"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str


def _issue(user: User, session_public_id: str, jti: str) -> Tokens:
    claims = {"role": user.role, "sid": session_public_id}
    access = create_access_token(identity=user.public_id, additional_claims=claims)
    refresh = create_refresh_token(
        identity=user.public_id, additional_claims={**claims, "rjti": jti}
    )
    return Tokens(access, refresh)


def _start_session(user: User) -> Tokens:
    session = AuthSession(user_id=user.id, current_refresh_jti=secrets.token_hex(16))
    db.session.add(session)
    db.session.flush()
    tokens = _issue(user, session.public_id, session.current_refresh_jti)
    db.session.commit()
    return tokens


def signup(
    email: str,
    password: str,
    name: str,
    language: str,
    timezone: str,
    consent: bool,
    *,
    email_consent: bool = False,
    terms_version: str | None = None,
    referral_code: str | None = None,
) -> tuple[Member, Tokens]:
    if not valid_timezone(timezone):
        raise ApiError(
            422, "validation_error", "Unknown timezone.", {"fields": {"timezone": ["unknown"]}}
        )
    user = User(email=email.strip().lower(), password_hash=hash_password(password), role="member")
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "email_taken", "An account with this email exists.") from None
    member = create_member(
        user,
        name,
        language,
        timezone,
        consent,
        email_consent=email_consent,
        terms_version=terms_version,
    )
    # What the features make of their fields, before the commit: a refusal undoes it all.
    signup_fields.apply(member, {"referral_code": referral_code})
    tokens = _start_session(user)
    return member, tokens


def create_user(email: str, password: str, role: str, store: Store | None = None) -> User:
    user = User(
        email=email.strip().lower(),
        password_hash=hash_password(password),
        role=role,
        store_id=store.id if store else None,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "email_taken", "An account with this email exists.") from None
    return user


INVALID_LOGIN = ApiError(401, "invalid_credentials", "Email or password is wrong.")


def _membership_ended(user: User) -> bool:
    return db.session.scalar(select(Member.ended_at).where(Member.user_id == user.id)) is not None


def login(email: str, password: str) -> tuple[User, Tokens]:
    """A deactivated login and an ended membership answer as a wrong password does."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        burn_time_like_verify(password)
        raise INVALID_LOGIN
    if not verify_password(password, user.password_hash):
        raise INVALID_LOGIN
    if not user.active or _membership_ended(user):
        raise INVALID_LOGIN
    if needs_rehash(user.password_hash):
        # The settings' parameters changed (or the hash predates them): upgrade it now, while
        # the plain password is at hand; it commits with the new session.
        user.password_hash = hash_password(password)
    return user, _start_session(user)


def refresh(refresh_token_claims: dict) -> Tokens:
    """Rotate: the presented token must be the session's newest; an older one revokes it all."""
    session = db.session.scalar(
        select(AuthSession).where(AuthSession.public_id == refresh_token_claims.get("sid"))
    )
    if session is None or session.revoked_at is not None:
        raise ApiError(401, "session_revoked", "This session has ended; log in again.")
    presented = refresh_token_claims.get("rjti", "")
    user = db.session.get(User, session.user_id)
    if user is None or not user.active or user.public_id != refresh_token_claims.get("sub"):
        raise ApiError(401, "session_revoked", "This session has ended; log in again.")
    jti = secrets.token_hex(16)
    # Compare-and-set, so that two racing refreshes with one token cannot both win.
    swapped = db.session.execute(
        update(AuthSession)
        .where(AuthSession.id == session.id, AuthSession.current_refresh_jti == presented)
        .values(current_refresh_jti=jti, refreshed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if swapped.rowcount != 1:
        db.session.rollback()
        revoke(session.public_id, "refresh_reuse")
        raise ApiError(
            401,
            "refresh_token_reused",
            "This refresh token was already used; the session is closed for safety.",
        )
    db.session.commit()
    return _issue(user, session.public_id, jti)


def revoke(session_public_id: str, reason: str) -> None:
    sessions.revoke(session_public_id, reason)
    db.session.commit()


WRONG_PASSWORD = ApiError(403, "current_password_wrong", "The current password is wrong.")


def change_password(user: User, current: str, new: str, keep_session: str) -> None:
    """Needs the current password; every other session of the user ends, this one stays."""
    if not verify_password(current, user.password_hash):
        raise WRONG_PASSWORD
    if current == new:
        raise ApiError(
            422,
            "validation_error",
            "The new password must differ from the current one.",
            {"fields": {"new_password": ["same as the current password"]}},
        )
    user.password_hash = hash_password(new)
    retire_tokens(user.id)
    sessions.revoke_all(user.id, "password_changed", keep=keep_session)
    db.session.commit()


# API keys: high-entropy random secrets, so a fast hash is enough and keeps each request cheap.
def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key(store: Store, name: str) -> tuple[ApiKey, str]:
    """A new key and its raw value (shown once), added to the session (no commit)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(store_id=store.id, name=name, prefix=prefix, secret_hash=_hash_secret(secret))
    db.session.add(key)
    return key, f"{API_KEY_PREFIX}_{prefix}_{secret}"


def create_api_key(store: Store, name: str) -> tuple[ApiKey, str]:
    key, raw = new_api_key(store, name)
    db.session.commit()
    return key, raw


# Built once: a statement object reused keeps its cache key (every till request runs it). The
# settings' version comes with it: the store is then the settings cache's, checked by it.
_KEY_LOOKUP = select(
    ApiKey.secret_hash, ApiKey.revoked_at, ApiKey.store_id, settings_cache.version_column()
).where(ApiKey.prefix == bindparam("prefix"))


def store_for_api_key(raw: str) -> Store:
    invalid = ApiError(401, "invalid_api_key", "The API key is not valid.")
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        raise invalid
    row = db.session.connection().execute(_KEY_LOOKUP, {"prefix": parts[1]}).first()
    if row is None or row.revoked_at is not None:
        raise invalid
    if not hmac.compare_digest(row.secret_hash, _hash_secret(parts[2])):
        raise invalid
    settings_cache.saw_version(row.settings_version)
    return cached_store(row.store_id)


def revoke_api_key(public_id: str) -> ApiKey:
    key = db.session.scalar(select(ApiKey).where(ApiKey.public_id == public_id))
    if key is None:
        raise ApiError(404, "api_key_not_found", "No such API key.")
    key.revoked_at = key.revoked_at or utcnow()
    db.session.commit()
    return key
