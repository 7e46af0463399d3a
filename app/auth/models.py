from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column, utcnow

ROLES = ("member", "staff", "admin")


class User(db.Model):
    """A login: a member, a store's staff or an operator (admin)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("usr")
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="member")
    # Staff act for one store only.
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()

    store = relationship("Store")


class AuthSession(db.Model):
    """One login on one device: the family of rotating refresh tokens and its access tokens."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("ses")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    current_refresh_jti: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    # When the newest refresh token was issued: the session is over for good once that token
    # has expired too (JWT_REFRESH_TOKEN_EXPIRES later), and retention may delete it.
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class ApiKey(db.Model):
    """A point-of-sale or e-commerce integration's key, scoped to one store, stored hashed."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("key")
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordResetToken(db.Model):
    """A one-time password reset, mailed as a random token; only its SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set once, by the confirmation that wins (a conditional update), or when another reset or
    # a password change makes the token pointless.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
