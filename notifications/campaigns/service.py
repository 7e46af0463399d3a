"""Campaigns: composing, sending (now or at a time: the fan-out is an outbox job, see
``notifications.delivery.fanout``), and counting what became of their pushes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select

from app import outbox
from app.errors import ApiError, not_found
from app.extensions import db
from app.lookup import optional_ref
from app.models_base import utcnow
from app.offers.models import Offer
from app.program.service import get_program
from app.segments.models import Segment
from notifications.campaigns.models import Campaign
from notifications.delivery.fanout import FANOUT_TOPIC
from notifications.delivery.models import Delivery

# How many campaigns the operators' list shows, newest first.
LIST_LIMIT = 200


def get_campaign(public_id: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.public_id == public_id))
    if campaign is None:
        raise not_found("campaign")
    return campaign


def check_offer_live(offer: Offer, now: datetime) -> None:
    if not offer.active or offer.ends_at <= now:
        raise ApiError(
            422,
            "offer_ended",
            "The campaign's offer has ended.",
            {"fields": {"offer_id": ["ended"]}},
        )


def create_campaign(data: dict) -> Campaign:
    """A draft: texts by language (the program's default language or English among them, as
    the fallback), a segment, an optional offer that is still live, a send time to come."""
    now = utcnow()
    default = get_program().default_language
    if default not in data["title"] and "en" not in data["title"]:
        raise ApiError(
            422,
            "validation_error",
            f"Give the texts in the program's default language ({default}) as a fallback.",
            {"fields": {"title": [f"missing {default}"]}},
        )
    if data.get("send_at") is not None and data["send_at"] <= now:
        raise ApiError(
            422, "validation_error", "send_at is in the past.", {"fields": {"send_at": ["past"]}}
        )
    data["segment_id"] = optional_ref(Segment, data.get("segment_id"), "segment_id")
    data["offer_id"] = optional_ref(Offer, data.get("offer_id"), "offer_id")
    if data["offer_id"] is not None:
        check_offer_live(db.session.get(Offer, data["offer_id"]), now)
    campaign = Campaign(**data, status="draft")
    db.session.add(campaign)
    db.session.commit()
    return campaign


def latest_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(LIST_LIMIT)))


def request_send(campaign: Campaign) -> Campaign:
    """Send now, or at the campaign's send_at; a campaign is sent once."""
    if campaign.status != "draft":
        raise ApiError(
            409,
            "campaign_already_sent",
            "This campaign has already been sent or scheduled.",
            {"status": campaign.status},
        )
    now = utcnow()
    if campaign.offer_id is not None:
        check_offer_live(db.session.get(Offer, campaign.offer_id), now)
    later = campaign.send_at is not None and campaign.send_at > now
    campaign.status = "scheduled" if later else "sending"
    delay = (campaign.send_at - now).total_seconds() if later else 0
    outbox.enqueue(
        FANOUT_TOPIC,
        {"campaign_id": campaign.id},
        dedupe_key=f"push.campaign:{campaign.public_id}",
        delay_seconds=delay,
    )
    db.session.commit()
    db.session.refresh(campaign)
    return campaign


COUNTED = ("sent", "failed", "token_removed", "expired", "skipped")


def counts(campaign_ids: list[int], now: datetime | None = None) -> dict[int, dict[str, int]]:
    """Per campaign: targeted (deliveries), members, each outcome, opened, scheduled, pending."""
    now = now or utcnow()
    pending_later = (Delivery.status == "pending") & (Delivery.scheduled_for > now)
    pending_due = (Delivery.status == "pending") & (Delivery.scheduled_for <= now)
    columns = [
        func.count().label("targeted"),
        func.count(func.distinct(Delivery.member_id)).label("members"),
        *(func.sum(case((Delivery.status == s, 1), else_=0)).label(s) for s in COUNTED),
        func.count(Delivery.opened_at).label("opened"),
        func.sum(case((pending_later, 1), else_=0)).label("scheduled"),
        func.sum(case((pending_due, 1), else_=0)).label("pending"),
    ]
    rows = db.session.execute(
        select(Delivery.campaign_id, *columns)
        .where(Delivery.campaign_id.in_(campaign_ids))
        .group_by(Delivery.campaign_id)
    ).all()
    zero = {c.key: 0 for c in columns}
    out = {cid: dict(zero) for cid in campaign_ids}
    for row in rows:
        out[row[0]] = {
            key: int(value or 0) for key, value in row._mapping.items() if key != "campaign_id"
        }
    # Once retention deletes a campaign's deliveries, its counts are those kept before
    # (notifications.privacy).
    kept = db.session.execute(
        select(Campaign.id, Campaign.archived_counts).where(
            Campaign.id.in_(campaign_ids), Campaign.archived_counts.is_not(None)
        )
    )
    for campaign_id, archived in kept:
        out[campaign_id] = zero | archived
    return out
