"""A dict that lives as long as the session's current transaction: what one transaction read
once and may use again (the settings' version, the member facts read with the member's lock,
the session's instances made from cached settings), forgotten at its commit or rollback."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

_KEY = "transaction_memo"


def current() -> dict[str, Any]:
    return memo_of(db.session)


def memo_of(session: Session) -> dict[str, Any]:
    return session.info.setdefault(_KEY, {})


def _forget(session: Session) -> None:
    # SQLAlchemy fires these for a SAVEPOINT too: only the outer transaction's end counts.
    if session.in_nested_transaction():
        return
    session.info.pop(_KEY, None)


event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_rollback", _forget)
