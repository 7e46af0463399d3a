"""Login sessions: whether a token's session still stands, and revoking them.

A session stands while it is not revoked, its user is active, its membership (if any) has not
ended, and it belongs to the token's subject. Every token is checked against this on every
request, so revoking a session, deactivating a user or ending a membership takes effect at once.
"""

from __future__ import annotations

from sqlalchemy import select, update

from app.auth.models import AuthSession, User
from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow


def session_stands(session_public_id: str | None, subject: str | None) -> bool:
    if not session_public_id or not subject:
        return False
    row = db.session.execute(
        select(AuthSession.revoked_at, User.public_id, User.active, Member.ended_at)
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(Member, Member.user_id == User.id)
        .where(AuthSession.public_id == session_public_id)
    ).first()
    if row is None:
        return False
    revoked_at, owner, active, ended_at = row
    # A token naming another user's session (a forged or mixed-up `sid`) does not stand.
    return revoked_at is None and owner == subject and active and ended_at is None


def revoke(session_public_id: str, reason: str) -> None:
    """Revoke one session (no commit)."""
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.public_id == session_public_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )


def revoke_all(user_id: int, reason: str, keep: str | None = None) -> int:
    """Revoke every open session of a user but `keep` (no commit); how many were revoked."""
    stmt = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        stmt = stmt.where(AuthSession.public_id != keep)
    result = db.session.execute(
        stmt.values(revoked_at=utcnow(), revoked_reason=reason).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount
