"""Transactional pushes: points earned, tier changed, challenge completed, contest won, offer
ending soon. Each is localized in the member's language and behind its preference switch.

The event subscribers run inside the business transaction and only write an outbox job; the
job (after commit, in the background) checks the switch, makes the deliveries and sends them.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exists, literal, select

from app import events, outbox
from app.extensions import celery, db
from app.i18n import pick
from app.ledger.models import LedgerEntry
from app.members.models import Member
from app.models_base import utcnow
from app.offers.models import Offer, OfferClaim
from app.program.service import get_program
from app.tiers.models import Tier
from notifications import messages, settings
from notifications.delivery import EXTENSION, enqueue_send, insert_deliveries, send_deliveries
from notifications.models import Delivery, Device, NotificationPreference
from notifications.pacing import member_zone, quiet_hours_end

TOPIC = "push.transactional"
CHALLENGE_COMPLETED = "challenge.completed"
CONTEST_WON = "contest.won"
REMINDERS_TASK = "notifications.offer_reminders"
SWEEP_TASK = "notifications.sweep"


def _enqueue(
    kind: str,
    member_id: int,
    source: str,
    template: str,
    values: dict[str, Any],
    deep_link: str,
    *,
    expires_at: datetime | None = None,
    quiet: bool = False,
    dedupe_key: str | None = None,
) -> None:
    outbox.enqueue(
        TOPIC,
        {
            "kind": kind,
            "member_id": member_id,
            "source": source,
            "template": template,
            "values": values,
            "deep_link": deep_link,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "quiet": quiet,
        },
        dedupe_key=dedupe_key,
    )


def _link(path: str) -> str:
    return f"{current_app.config['PUSH_DEEP_LINK_BASE']}{path}"


def enabled() -> bool:
    """Whether this app runs the push feature: subscriptions are process-wide, and one process
    (the test suite) may hold apps with and without it."""
    return EXTENSION in current_app.extensions


# -- event subscribers (inside the business transaction) ------------------------------------


def on_points_changed(payload: dict[str, Any]) -> None:
    """Points given outside a purchase (games, offers, referrals): "you earned N points"."""
    if not enabled():
        return
    if payload.get("kind") not in ("earn", "bonus") or payload.get("delta", 0) <= 0:
        return
    # A purchase's points (base, bonus, an offer's extra) arrive as several changes; its
    # purchase.recorded event carries their sum, so one push says it all.
    entry = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.reference_type)
        .where(LedgerEntry.member_id == payload["member_id"])
        .order_by(LedgerEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None or entry.reference_type == "purchase":
        return
    _enqueue(
        "points_earned",
        payload["member_id"],
        f"points:{entry.id}",
        "points_earned",
        {"points": payload["delta"]},
        _link("points"),
    )


def on_purchase_recorded(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    if payload.get("points", 0) <= 0:
        return
    # Purchase points are pending during the return window; the push says they were earned.
    _enqueue(
        "points_earned",
        payload["member_id"],
        f"purchase:{payload['purchase_id']}",
        "points_earned",
        {"points": payload["points"]},
        _link("points"),
    )


def on_tier_changed(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    up = payload.get("direction") != "down"
    _enqueue(
        "tier_changed",
        payload["member_id"],
        f"tier:{uuid.uuid4().hex}",
        "tier_up" if up else "tier_down",
        {"tier_code": payload["new_tier"]},
        _link("tier"),
    )


def _game_name(payload: dict[str, Any]) -> Any:
    # A name as one string or as {"en": ..., "fi": ...}; localized when the job runs.
    return payload.get("name") or payload.get("title")


def on_challenge_completed(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    ref = payload.get("challenge_id") or payload.get("id")
    _enqueue(
        "challenge_completed",
        payload["member_id"],
        f"challenge:{ref}:{payload.get('window') or ''}"
        if ref
        else f"challenge:{uuid.uuid4().hex}",
        "challenge_completed",
        {"name": _game_name(payload)},
        _link(f"challenges/{ref}" if ref else "challenges"),
    )


def on_contest_won(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    ref = payload.get("contest_id") or payload.get("id")
    _enqueue(
        "contest_won",
        payload["member_id"],
        f"contest:{ref}" if ref else f"contest:{uuid.uuid4().hex}",
        "contest_won",
        {"name": _game_name(payload)},
        _link(f"contests/{ref}" if ref else "contests"),
    )


def on_member_ended(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    db.session.execute(
        Device.__table__.update()
        .where(Device.member_id == payload["member_id"], Device.active)
        .values(active=False, deactivated_reason="membership_ended")
    )


def subscribe() -> None:
    events.subscribe(events.POINTS_CHANGED, on_points_changed)
    events.subscribe(events.PURCHASE_RECORDED, on_purchase_recorded)
    events.subscribe(events.TIER_CHANGED, on_tier_changed)
    events.subscribe(events.MEMBER_ENDED, on_member_ended)
    # Published by the games package; by name, so that neither imports the other.
    events.subscribe(CHALLENGE_COMPLETED, on_challenge_completed)
    events.subscribe(CONTEST_WON, on_contest_won)


# -- the job -------------------------------------------------------------------------------


def preferences_of(member_id: int) -> NotificationPreference:
    """The member's switches (all on for a member who never changed them); not added."""
    prefs = db.session.get(NotificationPreference, member_id)
    if prefs is None:
        prefs = NotificationPreference(
            member_id=member_id,
            points_earned=True,
            tier_changed=True,
            challenge_completed=True,
            contest_won=True,
            offer_expiring=True,
        )
    return prefs


def _values(payload: dict[str, Any], language: str, default: str, at: datetime) -> dict:
    values = dict(payload["values"])
    if "tier_code" in values:
        tier = db.session.scalar(select(Tier).where(Tier.code == values["tier_code"]))
        values["tier"] = tier.name if tier else values["tier_code"].title()
    for key in ("name", "offer"):
        if isinstance(values.get(key), dict):
            values[key] = pick(values[key], language, default)
    if payload.get("expires_at"):
        left = datetime.fromisoformat(payload["expires_at"]) - at
        values["hours"] = max(1, math.ceil(left.total_seconds() / 3600))
    return values


@outbox.handler(TOPIC)
def transactional_job(payload: dict[str, Any]) -> None:
    kind = payload["kind"]
    member = db.session.get(Member, payload["member_id"])
    if member is None or member.ended_at is not None:
        return
    if not getattr(preferences_of(member.id), kind):
        return
    devices = list(
        db.session.scalars(
            select(Device).where(Device.member_id == member.id, Device.active).order_by(Device.id)
        )
    )
    if not devices:
        return
    now = utcnow()
    expires_at = datetime.fromisoformat(payload["expires_at"]) if payload["expires_at"] else None
    at = now
    if payload.get("quiet"):
        at = quiet_hours_end(
            now, member_zone(member.timezone), settings.quiet_hours(current_app.config)
        )
    if expires_at is not None and at >= expires_at - timedelta(minutes=1):
        return  # it would arrive after what it is about
    template = payload["template"]
    values = _values(payload, member.language, get_program().default_language, at)
    if values.get("name") in (None, "") and f"{template}_plain" in messages.CATALOG:
        template = f"{template}_plain"
    language, text = messages.render(
        template, member.language, get_program().default_language, values
    )
    source = payload["source"]
    insert_deliveries(
        [
            {
                "kind": kind,
                "source": source,
                "member_id": member.id,
                "device_id": device.id,
                "language": language,
                "title": text.title[:300],
                "body": text.body,
                "deep_link": payload["deep_link"],
                "collapse_key": kind,
                "expires_at": expires_at,
                "scheduled_for": at,
            }
            for device in devices
        ]
    )
    ids = list(
        db.session.scalars(
            select(Delivery.id).where(Delivery.source == source, Delivery.status == "pending")
        )
    )
    if at > now + timedelta(seconds=5):
        enqueue_send(ids, at, source, now)
        db.session.commit()
        return
    db.session.commit()
    send_deliveries(ids)


# -- offers ending soon (beat) --------------------------------------------------------------


def remind_expiring_claims(now: datetime | None = None) -> int:
    """One reminder per claimed, unredeemed offer that ends within the reminder window."""
    now = now or utcnow()
    horizon = now + timedelta(
        hours=settings.integer(current_app.config, "PUSH_OFFER_REMINDER_HOURS")
    )
    source = literal("offer_expiring:") + OfferClaim.public_id
    rows = db.session.execute(
        select(
            OfferClaim.public_id, OfferClaim.member_id, Offer.public_id, Offer.title, Offer.ends_at
        )
        .join(Offer, Offer.id == OfferClaim.offer_id)
        .where(
            OfferClaim.status == "claimed",
            Offer.active,
            Offer.ends_at > now,
            Offer.ends_at <= horizon,
            exists().where(Device.member_id == OfferClaim.member_id, Device.active),
            ~exists().where(Delivery.source == source),
        )
        .order_by(OfferClaim.id)
        .limit(5000)
    ).all()
    for claim_id, member_id, offer_id, title, ends_at in rows:
        _enqueue(
            "offer_expiring",
            member_id,
            f"offer_expiring:{claim_id}",
            "offer_expiring",
            {"offer": title},
            _link(f"offers/{offer_id}"),
            expires_at=ends_at,
            quiet=True,
            dedupe_key=f"push.offer_expiring:{claim_id}",
        )
    db.session.commit()
    return len(rows)


@celery.task(name=REMINDERS_TASK, ignore_result=True)
def offer_reminders() -> int:
    return remind_expiring_claims()


@celery.task(name=SWEEP_TASK, ignore_result=True)
def sweep_deliveries() -> int:
    from notifications.delivery import sweep

    return sweep()
