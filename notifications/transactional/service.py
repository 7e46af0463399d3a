"""Transactional pushes: the job that sends one, the member's switches, offer reminders.

A push is asked for by an outbox job (``enqueue``, written by the event subscribers inside the
business transaction); the job (after commit, in the background) checks the member's switch,
makes the deliveries in the member's language and sends them.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exists, literal, select

from app import outbox
from app.extensions import db
from app.i18n import pick
from app.members.models import Member
from app.models_base import utcnow
from app.offers.models import Offer, OfferClaim
from app.program.service import get_program
from app.tiers.models import Tier
from notifications import messages, settings
from notifications.delivery.models import Delivery
from notifications.delivery.send_jobs import send_deliveries
from notifications.delivery.service import enqueue_send, insert_deliveries
from notifications.devices.models import Device
from notifications.pacing import member_zone, quiet_hours_end
from notifications.transactional.models import NotificationPreference

TOPIC = "push.transactional"


def enqueue(
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


def link(path: str) -> str:
    """The app's deep link to one of its screens."""
    return f"{current_app.config['PUSH_DEEP_LINK_BASE']}{path}"


# -- the member's switches -------------------------------------------------------------------


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
            referrals=True,
            survey_invitation=True,
            poll_result=True,
            event_waitlist=True,
        )
    return prefs


def update_preferences(member: Member, changes: dict) -> NotificationPreference:
    prefs = preferences_of(member.id)
    for key, value in changes.items():
        setattr(prefs, key, value)
    db.session.merge(prefs)
    db.session.commit()
    return preferences_of(member.id)


# -- the job -------------------------------------------------------------------------------


def _values(payload: dict[str, Any], language: str, default: str, at: datetime) -> dict:
    values = dict(payload["values"])
    if "tier_code" in values:
        tier = db.session.scalar(select(Tier).where(Tier.code == values["tier_code"]))
        values["tier"] = tier.name if tier else values["tier_code"].title()
    for key in ("name", "offer", "winner"):
        if isinstance(values.get(key), dict):
            values[key] = pick(values[key], language, default)
    if payload.get("expires_at"):
        left = datetime.fromisoformat(payload["expires_at"]) - at
        values["hours"] = max(1, math.ceil(left.total_seconds() / 3600))
    return values


def send_transactional(payload: dict[str, Any]) -> None:
    """Run one ``enqueue``d push: to the member's active devices, unless switched off."""
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
        enqueue(
            "offer_expiring",
            member_id,
            f"offer_expiring:{claim_id}",
            "offer_expiring",
            {"offer": title},
            link(f"offers/{offer_id}"),
            expires_at=ends_at,
            quiet=True,
            dedupe_key=f"push.offer_expiring:{claim_id}",
        )
    db.session.commit()
    return len(rows)
