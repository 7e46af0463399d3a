"""The core's events that change a card, turned into the jobs that refresh its passes.

Subscribed by `passes.init_app` to points.changed, tier.changed and member.ended. The jobs are
written in the transaction that made the change (the outbox), so a crash loses none.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import outbox
from app.extensions import celery, db
from app.members import facts
from app.members.models import Member
from passes.apple.models import ApplePass
from passes.apple.tasks import APNS_TOPIC
from passes.google.models import GooglePass
from passes.google.tasks import GOOGLE_TOPIC
from passes.state import current_state

# Set on the session when jobs were enqueued with a delay: the outbox is kicked when they are due.
DELAYED_KICK_KEY = "passes_delayed_kick"


# The member facts read with a purchase's lock (app.members.facts): the passes to refresh,
# known without a query of this subscriber's own.
APPLE_SERIAL_FACT = "apple_pass_serial"
GOOGLE_PASSES_FACT = "google_passes"


def register_facts(app: Flask) -> None:
    facts.register(
        app,
        APPLE_SERIAL_FACT,
        lambda: (
            select(ApplePass.serial_number)
            .where(ApplePass.member_id == Member.id)
            .scalar_subquery()
        ),
    )
    facts.register(
        app,
        GOOGLE_PASSES_FACT,
        lambda: (
            select(func.count(GooglePass.id))
            .where(GooglePass.member_id == Member.id)
            .scalar_subquery()
        ),
    )


def on_member_changed(payload: dict) -> None:
    """points.changed, tier.changed, member.ended: inside the transaction that made the change.

    Writes the outbox jobs that refresh the member's passes. The dedupe keys coalesce a burst
    (several changes before the job ran) into one push per device and one PATCH.
    """
    state = current_state()
    if state is None:
        return
    member_id = payload["member_id"]
    delay = state.settings.update_delay_seconds
    serial = facts.known(member_id, APPLE_SERIAL_FACT)
    google = facts.known(member_id, GOOGLE_PASSES_FACT)
    if serial is facts.UNKNOWN or google is facts.UNKNOWN:
        serial, google = db.session.execute(
            select(
                select(ApplePass.serial_number)
                .where(ApplePass.member_id == member_id)
                .scalar_subquery(),
                select(func.count(GooglePass.id))
                .where(GooglePass.member_id == member_id)
                .scalar_subquery(),
            )
        ).one()
    if serial is not None:
        outbox.enqueue(APNS_TOPIC, {"serial": serial}, f"apns:{serial}", delay)
    if google:
        outbox.enqueue(GOOGLE_TOPIC, {"member_id": member_id}, f"gw:{member_id}", delay)
    if (serial is not None or google) and delay > 0:
        db.session.info[DELAYED_KICK_KEY] = delay


@sa_event.listens_for(Session, "after_commit")
def _kick_when_due(session: Session) -> None:
    """Jobs written with a delay are not due at commit: ask for a dispatch when they are."""
    delay = session.info.pop(DELAYED_KICK_KEY, None)
    if delay and not celery.conf.task_always_eager:
        outbox.kick(countdown=delay + 0.5)


@sa_event.listens_for(Session, "after_rollback")
def _forget_kick(session: Session) -> None:
    session.info.pop(DELAYED_KICK_KEY, None)
