"""The push part of the demo program: segments, a live offer, devices, and a campaign that was
sent (through the logging sender, so the demo needs no Firebase project) with its counts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow
from app.offers.models import Offer
from app.segments.models import Segment
from notifications.campaigns.models import Campaign
from notifications.campaigns.service import counts
from notifications.delivery.fanout import fan_out
from notifications.delivery.models import Delivery
from notifications.delivery.send_jobs import send_deliveries
from notifications.devices.models import Device
from notifications.sending.sender import LoggingSender
from notifications.state import enabled

CAMPAIGN_NAME = "Weekend double points (demo)"
OFFER_TITLE = {
    "en": "200 bonus points on your next purchase",
    "fi": "200 bonuspistettä seuraavasta ostoksesta",
    "pl": "200 punktów bonusowych za kolejny zakup",
    "tl": "200 bonus na puntos sa susunod mong pagbili",
}
CAMPAIGN_TITLE = {
    "en": "{name}, 200 bonus points are waiting",
    "fi": "{name}, 200 bonuspistettä odottaa",
    "pl": "{name}, czeka na Ciebie 200 punktów",
    "tl": "{name}, naghihintay ang 200 puntos",
}
CAMPAIGN_BODY = {
    "en": "Claim the offer in the app before Sunday.",
    "fi": "Lunasta etu sovelluksessa ennen sunnuntaita.",
    "pl": "Odbierz ofertę w aplikacji przed niedzielą.",
    "tl": "Kunin ang alok sa app bago mag-Linggo.",
}


def _segment(name: str, rules: dict) -> Segment:
    segment = db.session.scalar(select(Segment).where(Segment.name == name))
    if segment is None:
        segment = Segment(name=name, rules=rules)
        db.session.add(segment)
        db.session.flush()
    return segment


def _summary(campaign: Campaign) -> dict:
    return {"campaign": campaign.public_id, "counts": counts([campaign.id])[campaign.id]}


def seed_demo() -> dict:
    """Idempotent: a second run finds the campaign and changes nothing."""
    if not enabled():  # the core's demo runs every registered part, in any app
        return {}
    campaign = db.session.scalar(select(Campaign).where(Campaign.name == CAMPAIGN_NAME))
    if campaign is not None:
        return _summary(campaign)
    now = utcnow()
    audience = _segment("Marketing audience", {"marketing_consent": True})
    _segment("Gold and Platinum", {"tiers": ["gold", "platinum"]})
    _segment("Active in the last 30 days", {"purchased_within_days": 30})
    offer = Offer(
        title=OFFER_TITLE,
        body={"en": "Show the code at the till.", "fi": "Näytä koodi kassalla."},
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        segment_id=audience.id,
        benefit="bonus_points",
        points=200,
        per_member_limit=1,
        total_cap=500,
    )
    db.session.add(offer)
    members = list(db.session.scalars(select(Member).order_by(Member.id).limit(4)))
    for i, member in enumerate(members):
        db.session.add(
            Device(
                member_id=member.id,
                fid=f"demo-fid-{member.public_id}",
                platform="ios" if i % 2 else "android",
                app_version="2.4.0",
            )
        )
    if members:  # an old app version that reports only a registration token
        db.session.add(
            Device(
                member_id=members[0].id,
                token=f"demo-legacy-token-{members[0].public_id}",
                platform="android",
                app_version="1.9.3",
            )
        )
    db.session.flush()
    campaign = Campaign(
        name=CAMPAIGN_NAME,
        title=CAMPAIGN_TITLE,
        body=CAMPAIGN_BODY,
        segment_id=audience.id,
        offer_id=offer.id,
        status="sending",
    )
    db.session.add(campaign)
    db.session.commit()
    fan_out(campaign.id, pace=False, enqueue=False)
    ids = list(db.session.scalars(select(Delivery.id).where(Delivery.campaign_id == campaign.id)))
    send_deliveries(ids, LoggingSender())
    first = db.session.scalar(
        select(Delivery).where(Delivery.campaign_id == campaign.id).order_by(Delivery.id).limit(1)
    )
    if first is not None and first.status == "sent":
        first.opened_at = utcnow()
    db.session.commit()
    return _summary(campaign)
