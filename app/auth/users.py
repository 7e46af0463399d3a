"""Operators' control of logins: find a user, deactivate (sessions end at once), reactivate."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.auth.sessions import revoke_all
from app.errors import ApiError
from app.extensions import db
from app.lookup import by_public_id


def list_users(
    role: str | None, email: str | None, before_id: int | None, limit: int
) -> list[User]:
    stmt = select(User).options(selectinload(User.store)).order_by(User.id.desc()).limit(limit)
    if role:
        stmt = stmt.where(User.role == role)
    if email:
        stmt = stmt.where(User.email == email.strip().lower())
    if before_id is not None:
        stmt = stmt.where(User.id < before_id)
    return list(db.session.scalars(stmt))


def get_user(public_id: str) -> User:
    return by_public_id(User, public_id, "user")


def deactivate(actor: User, public_id: str) -> User:
    """The user can no longer log in and every session ends now. Guards: nobody deactivates
    themselves, and the last active admin stays, so the program always has an operator."""
    target = get_user(public_id)
    if target.id == actor.id:
        raise ApiError(409, "cannot_deactivate_self", "You cannot deactivate your own login.")
    if target.role == "admin":
        # Every active admin's row, locked in one order: two admins deactivating each other at
        # once are decided one after the other, and the second sees that it would be the last.
        admins = db.session.scalars(
            select(User.id)
            .where(User.role == "admin", User.active.is_(True))
            .order_by(User.id)
            .with_for_update()
        ).all()
        if target.id in admins and len(admins) == 1:
            raise ApiError(
                409, "last_admin", "This is the last active admin; make another one first."
            )
    target = by_public_id(User, public_id, "user", lock=True)
    target.active = False
    revoke_all(target.id, "deactivated")
    db.session.commit()
    return target


def reactivate(public_id: str) -> User:
    """Logging in works again; the sessions ended by the deactivation stay ended."""
    target = by_public_id(User, public_id, "user", lock=True)
    target.active = True
    db.session.commit()
    return target
