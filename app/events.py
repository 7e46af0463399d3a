"""Domain events: how the core tells the feature packages what happened, without importing them.

Two kinds of subscriber:
- `subscribe(name, fn)`: runs inside the transaction that made the change, so what it writes
  (an outbox job, a challenge's progress) commits or rolls back together with the change.
- `subscribe(name, fn, after_commit=True)`: runs once the transaction has committed, for
  reactions that must only see durable facts (kicking a background job, metrics).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

Handler = Callable[[dict[str, Any]], None]

POINTS_CHANGED = "points.changed"
TIER_CHANGED = "tier.changed"
PURCHASE_RECORDED = "purchase.recorded"
PURCHASE_REFUNDED = "purchase.refunded"
MEMBER_JOINED = "member.joined"
MEMBER_ENDED = "member.ended"
# An erasure has finished: every registered part ran (app.privacy.erasure).
MEMBER_ERASED = "member.erased"

_in_tx: dict[str, list[Handler]] = defaultdict(list)
_after_commit: dict[str, list[Handler]] = defaultdict(list)
_PENDING_KEY = "pending_events"


def subscribe(name: str, handler: Handler, *, after_commit: bool = False) -> None:
    registry = _after_commit if after_commit else _in_tx
    if handler not in registry[name]:
        registry[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    for registry in (_in_tx, _after_commit):
        if handler in registry[name]:
            registry[name].remove(handler)


def publish(session: Session, name: str, payload: dict[str, Any]) -> None:
    """Run the in-transaction subscribers now; queue the after-commit ones on the session."""
    for handler in list(_in_tx[name]):
        handler(payload)
    if _after_commit[name]:
        session.info.setdefault(_PENDING_KEY, []).append((name, payload))


@sa_event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    # SQLAlchemy fires this when a SAVEPOINT is released too; only the real commit counts.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING_KEY, [])
    for name, payload in pending:
        for handler in list(_after_commit[name]):
            handler(payload)


@sa_event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING_KEY, None)
