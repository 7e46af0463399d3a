"""A campaign's fan-out: its recipients, their deliveries and the send jobs, in one go.

The fan-out selects the recipients in ONE query: the segment's members (the core's
``members_query``, which compiles the rules) who consented to marketing, joined to their active
devices, narrowed to the offer's own segment when the campaign promotes a segment's offer. It
writes every delivery, with the time it may go (the member's quiet hours and daily cap), and the
send jobs due at those times, in one transaction: a fan-out that dies is simply run again.

With a holdout, the recipients' groups are drawn and recorded (``app.holdout``) in that same
transaction, and the held-out members get no delivery; members held out of the campaign's offer
get none either (the offer is not theirs to see).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, select

from app.extensions import db
from app.holdout import rules as holdout_rules
from app.holdout import service as holdout
from app.members.models import Member
from app.models_base import utcnow
from app.offers.models import Offer
from app.program.service import get_program
from app.segments.models import Segment
from app.segments.rules import compile_rules
from app.segments.service import members_query
from notifications import settings
from notifications.campaigns.models import Campaign
from notifications.delivery.models import CAMPAIGN_KIND, Delivery
from notifications.delivery.service import enqueue_send, insert_deliveries
from notifications.devices.models import Device
from notifications.pacing import member_zone, plan_send_at
from notifications.texts import PushText, localized

FANOUT_TOPIC = "push.campaign.fanout"
# Campaign pushes of the last day still count against today's cap in any timezone.
CAP_LOOKBACK = timedelta(hours=27)
ROWS_PER_CHUNK = 1000


def recipients(campaign: Campaign, offer: Offer | None) -> Select:
    """Member and device columns of everyone the campaign goes to, in one query."""
    segment = db.session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    stmt = (
        members_query(segment)
        .with_only_columns(Member.id, Member.name, Member.language, Member.timezone, Device.id)
        .join(Device, Device.member_id == Member.id)
        .where(Member.marketing_consent.is_(True), Device.active.is_(True))
    )
    if offer is not None and offer.segment_id is not None:
        offer_segment = db.session.get(Segment, offer.segment_id)
        stmt = stmt.where(compile_rules(offer_segment.rules))
    return stmt.order_by(Member.id, Device.id)


def _bookings(member_ids: list[int], campaign_id: int, now: datetime) -> dict[int, list[datetime]]:
    """Each member's other campaign pushes, sent or planned, from a day back on."""
    at = func.coalesce(Delivery.sent_at, Delivery.scheduled_for)
    rows = db.session.execute(
        select(Delivery.member_id, func.min(at))
        .where(
            Delivery.member_id.in_(member_ids),
            Delivery.kind == CAMPAIGN_KIND,
            Delivery.status.in_(("pending", "sent")),
            Delivery.campaign_id != campaign_id,
            at >= now - CAP_LOOKBACK,
        )
        .group_by(Delivery.member_id, Delivery.campaign_id)
    ).all()
    booked: dict[int, list[datetime]] = defaultdict(list)
    for member_id, when in rows:
        booked[member_id].append(when)
    return booked


def deep_link(campaign: Campaign, offer: Offer | None) -> str:
    if campaign.deep_link:
        return campaign.deep_link
    base = current_app.config["PUSH_DEEP_LINK_BASE"]
    if offer is not None:
        return f"{base}offers/{offer.public_id}"
    return f"{base}campaigns/{campaign.public_id}"


def fan_out(
    campaign_id: int, *, now: datetime | None = None, pace: bool = True, enqueue: bool = True
) -> int:
    """Make the campaign's deliveries and their send jobs; returns how many were made.

    ``pace=False`` sends at once, ignoring quiet hours and the cap, and ``enqueue=False`` leaves
    the sending to the caller (the demo).
    """
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status not in ("scheduled", "sending"):
        return 0
    now = now or utcnow()
    offer = db.session.get(Offer, campaign.offer_id) if campaign.offer_id else None
    if offer is not None and (not offer.active or offer.ends_at <= now):
        campaign.status = "expired"
        db.session.commit()
        return 0
    campaign.status = "sending"
    config = current_app.config
    quiet = settings.quiet_hours(config)
    cap = settings.daily_cap(config)
    default_language = get_program().default_language
    link = deep_link(campaign, offer)
    source = f"campaign:{campaign.public_id}"
    texts: dict[str, tuple[str, PushText]] = {}
    made = 0
    result = db.session.execute(
        recipients(campaign, offer).execution_options(yield_per=ROWS_PER_CHUNK)
    )
    for partition in result.partitions():
        rows = _not_held_out(campaign, offer, list(partition))
        booked = _bookings(sorted({r[0] for r in rows}), campaign.id, now) if pace and cap else {}
        planned: dict[int, datetime] = {}
        batch = []
        for member_id, name, language, timezone, device_id in rows:
            if language not in texts:
                texts[language] = _localized(campaign, language, default_language)
            used, text = texts[language]
            if member_id not in planned:
                planned[member_id] = (
                    plan_send_at(
                        now,
                        member_zone(timezone),
                        quiet=quiet,
                        daily_cap=cap,
                        booked=booked.get(member_id, ()),
                    )
                    if pace
                    else now
                )
            at = planned[member_id]
            expired = offer is not None and at >= offer.ends_at - timedelta(minutes=1)
            rendered = text.render({"name": name})
            batch.append(
                {
                    "campaign_id": campaign.id,
                    "kind": CAMPAIGN_KIND,
                    "source": source,
                    "member_id": member_id,
                    "device_id": device_id,
                    "language": used,
                    "title": rendered.title[:300],
                    "body": rendered.body,
                    "deep_link": link,
                    "collapse_key": campaign.public_id,
                    "expires_at": offer.ends_at if offer else None,
                    "status": "expired" if expired else "pending",
                    "scheduled_for": at,
                }
            )
        insert_deliveries(batch)
        made += len(batch)
    if enqueue:
        _enqueue_sends(campaign, source, now)
    campaign.status = "sent"
    campaign.sent_at = now
    db.session.commit()
    return made


def _not_held_out(campaign: Campaign, offer: Offer | None, rows: list) -> list:
    """The rows of members who are sent to: the campaign's groups recorded, its holdout and
    the offer's left out."""
    if campaign.holdout_percent:
        held = holdout.record(
            holdout_rules.CAMPAIGN, campaign.id, campaign.holdout_percent, [r[0] for r in rows]
        )
        rows = [r for r in rows if r[0] not in held]
    if offer is not None and offer.holdout_percent:
        pct = offer.holdout_percent
        rows = [
            r for r in rows if not holdout.is_held_out(holdout_rules.OFFER, offer.id, r[0], pct)
        ]
    return rows


def _localized(campaign: Campaign, language: str, default: str) -> tuple[str, PushText]:
    used, title = localized(campaign.title, language, default)
    return used, PushText(title, campaign.body.get(used, ""))


def _enqueue_sends(campaign: Campaign, source: str, now: datetime) -> None:
    """One job per chunk of deliveries due in the same minute, delayed to that minute."""
    due: dict[datetime, list[int]] = defaultdict(list)
    for delivery_id, scheduled_for in db.session.execute(
        select(Delivery.id, Delivery.scheduled_for)
        .where(Delivery.campaign_id == campaign.id, Delivery.status == "pending")
        .order_by(Delivery.scheduled_for, Delivery.id)
    ):
        if scheduled_for <= now:
            due[now].append(delivery_id)
        else:
            minute = math.ceil(scheduled_for.timestamp() / 60) * 60
            due[datetime.fromtimestamp(minute, scheduled_for.tzinfo)].append(delivery_id)
    for at, ids in sorted(due.items()):
        enqueue_send(ids, at, source, now)
