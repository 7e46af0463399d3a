"""The push package's part of members' data (app.privacy, app.retention).

- Export: the member's devices (without their FCM addresses), every push delivered to them,
  and their switches.
- Erasure: the devices lose their addresses (fid, token) and stop receiving; the pushes keep
  their outcome (the campaigns' counts) but lose their texts, which named the member; the
  switches go.
- Retention: deliveries after RETENTION_PUSH_DELIVERY_DAYS. A campaign's counts are kept on the
  campaign (`archived_counts`) before the first of its deliveries is deleted, and only once
  every one of them is past the period and settled, so the counts stay what they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from flask import Flask
from marshmallow import fields, validate
from sqlalchemy import case, delete, func, select, update

from app.extensions import db
from app.holdout import rules as holdout_rules
from app.holdout import service as holdout
from app.members.models import Member
from app.privacy.erasure import register_erasure_part
from app.privacy.export import register_export_part
from app.privacy.models import Erasure
from app.retention.rules import days, register_retention
from app.schemas import PublicId, StrictSchema
from notifications.campaigns import service as campaigns
from notifications.campaigns.models import Campaign
from notifications.delivery.models import DELIVERY_STATUSES, Delivery
from notifications.devices.models import Device
from notifications.devices.schemas import DeviceSchema
from notifications.transactional.models import NotificationPreference
from notifications.transactional.schemas import PreferencesSchema
from notifications.transactional.service import preferences_of

YIELD_PER = 500


class DeliveryExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    kind = fields.Str(required=True)
    campaign_id = PublicId(Campaign, required=True, allow_none=True)
    language = fields.Str(required=True)
    title = fields.Str(required=True)
    body = fields.Str(required=True)
    deep_link = fields.Str(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(DELIVERY_STATUSES))
    scheduled_for = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)
    opened_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


def _devices(member: Member) -> Iterator[Device]:
    return iter(
        db.session.scalars(select(Device).where(Device.member_id == member.id).order_by(Device.id))
    )


def _deliveries(member: Member) -> Iterator[Delivery]:
    return iter(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.member_id == member.id)
            .order_by(Delivery.id)
            .execution_options(yield_per=YIELD_PER)
        )
    )


def erase(member: Member, _erasure: Erasure) -> None:
    db.session.execute(
        update(Device)
        .where(Device.member_id == member.id)
        .values(fid=None, token=None, active=False, deactivated_reason="erased")
        .execution_options(synchronize_session=False)
    )
    # The outcome stays (a campaign's counts); the texts, which named the member, go. A push
    # still waiting is never sent: its device has no address any more.
    db.session.execute(
        update(Delivery)
        .where(Delivery.member_id == member.id)
        .values(title="", body="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(NotificationPreference)
        .where(NotificationPreference.member_id == member.id)
        .execution_options(synchronize_session=False)
    )


def _cutoff(now: datetime) -> datetime:
    return now - days("RETENTION_PUSH_DELIVERY_DAYS")


def deliveries_due(now: datetime):
    archived = select(Campaign.id).where(Campaign.archived_counts.is_not(None))
    return (Delivery.created_at < _cutoff(now)) & (
        Delivery.campaign_id.is_(None) | Delivery.campaign_id.in_(archived)
    )


def _ready_campaigns(now: datetime):
    """Campaigns not archived whose deliveries are all past the period and settled."""
    pending = func.sum(case((Delivery.status == "pending", 1), else_=0))
    return (
        select(Delivery.campaign_id)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(Campaign.archived_counts.is_(None))
        .group_by(Delivery.campaign_id)
        .having(func.max(Delivery.created_at) < _cutoff(now), pending == 0)
    )


def deliveries_planned(now: datetime):
    """For a dry run: what is due once the ready campaigns' counts are kept."""
    return deliveries_due(now) | (
        (Delivery.created_at < _cutoff(now)) & Delivery.campaign_id.in_(_ready_campaigns(now))
    )


def archive_campaign_counts(now: datetime) -> int:
    """Keep the counts of every campaign whose deliveries are all past the period and settled
    (none pending) on the campaign itself: what its counts are from then on."""
    ready = list(db.session.scalars(_ready_campaigns(now)))
    if not ready:
        return 0
    kept = campaigns.counts(ready, now)
    for campaign_id in ready:
        db.session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.archived_counts.is_(None))
            .values(archived_counts=kept[campaign_id])
            .execution_options(synchronize_session=False)
        )
    return len(ready)


def register(app: Flask) -> None:
    # The core's export lists a member's holdout groups; it names campaigns through this.
    holdout.register_subject(holdout_rules.CAMPAIGN, Campaign)
    register_export_part(
        app, "push_devices", DeviceSchema, _devices, description="App installations."
    )
    register_export_part(
        app, "push_deliveries", DeliveryExportSchema, _deliveries, description="Pushes sent."
    )
    register_export_part(
        app,
        "notification_preferences",
        PreferencesSchema,
        lambda member: preferences_of(member.id),
        many=False,
        description="The switches of transactional pushes.",
    )
    register_erasure_part(app, "push", erase)
    register_retention(
        app,
        "push_deliveries",
        Delivery.__table__,
        deliveries_due,
        prepare=archive_campaign_counts,
        planned=deliveries_planned,
    )
