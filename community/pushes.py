"""The events the community publishes for the members' pushes, by name: the notifications
package turns each into a transactional push behind its own switch, and neither package
imports the other."""

from __future__ import annotations

from typing import Any

from app import events
from app.extensions import db

SURVEY_INVITED = "community.survey_invited"
POLL_WINNER = "community.poll_winner"
WAITLIST_PROMOTED = "community.waitlist_promoted"


def publish(name: str, payload: dict[str, Any]) -> None:
    """Inside the transaction that made the change: the push's outbox job commits with it."""
    events.publish(db.session, name, payload)
