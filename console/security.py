"""The console's login: a session cookie naming a server-side login session.

The cookie (Flask's signed session, HttpOnly, SameSite=Lax, Secure in production) holds the
user's public id and the id of an `AuthSession` row, the same rows the API's tokens name. Each
request checks that session still stands (`app.auth.sessions.session_stands`), so a logout, a
deactivation or a password change ends a console login at once, as it ends a token.
"""

from __future__ import annotations

from flask import g, session
from sqlalchemy import select

from app.auth import sessions
from app.auth.models import User
from app.extensions import db

# Roles that may log into the console, and where each lands.
CONSOLE_ROLES = ("admin", "staff")


def start(user: User, session_public_id: str) -> None:
    """A fresh cookie for this login: nothing of the anonymous one (its CSRF token) is kept."""
    language = session.get("lang")
    session.clear()
    session.permanent = True
    session["uid"] = user.public_id
    session["sid"] = session_public_id
    if language:
        session["lang"] = language


def end() -> None:
    sid = session.get("sid")
    if sid:
        sessions.revoke(sid, "logout")
        db.session.commit()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def operator() -> User | None:
    """The logged-in user of this request, or None; set as `g.user` for the audit trail."""
    if "user" in g:
        return g.user
    uid, sid = session.get("uid"), session.get("sid")
    user = None
    if uid and sessions.session_stands(sid, uid):
        user = db.session.scalar(select(User).where(User.public_id == uid))
    if user is None or user.role not in CONSOLE_ROLES:
        if uid:
            # An ended session: forget it, so the next page is the login page.
            session.pop("uid", None)
            session.pop("sid", None)
        return None
    g.user = user
    return user
