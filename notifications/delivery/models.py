"""Devices, preferences, campaigns and deliveries: what push notifications keep in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column, utcnow

PLATFORMS = ("android", "ios", "web")
# Transactional pushes, each behind its own switch in the member's preferences.
TRANSACTIONAL_KINDS = (
    "points_earned",
    "tier_changed",
    "challenge_completed",
    "contest_won",
    "offer_expiring",
)
CAMPAIGN_KIND = "campaign"
# pending (due at scheduled_for) -> sent | failed | token_removed | expired | skipped
DELIVERY_STATUSES = ("pending", "sent", "failed", "token_removed", "expired", "skipped")
# draft -> scheduled (send_at later) -> sending -> sent; expired: its offer ended before it went.
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "expired")


class Device(db.Model):
    """An app installation that receives pushes, addressed by its Firebase installation ID (fid)
    or, for app versions that report none, a legacy FCM registration token."""

    __tablename__ = "push_devices"
    __table_args__ = (
        # A device retired by a merge may lose both addresses; an active one needs one.
        CheckConstraint("NOT active OR fid IS NOT NULL OR token IS NOT NULL", name="has_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("dev")
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    fid: Mapped[str | None] = mapped_column(String(255), unique=True)
    token: Mapped[str | None] = mapped_column(String(512), unique=True)
    platform: Mapped[str] = mapped_column(String(10))
    app_version: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    # unregistered (the app said so), UNREGISTERED / INVALID_ARGUMENT / SENDER_ID_MISMATCH (FCM),
    # merged, membership_ended, replaced (past the member's cap of devices)
    deactivated_reason: Mapped[str | None] = mapped_column(String(40))
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = created_at_column()


class NotificationPreference(db.Model):
    """A member's switches for transactional pushes; a member without a row has them all on.

    Campaigns (marketing) follow the member's marketing consent instead.
    """

    __tablename__ = "push_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    points_earned: Mapped[bool] = mapped_column(default=True)
    tier_changed: Mapped[bool] = mapped_column(default=True)
    challenge_completed: Mapped[bool] = mapped_column(default=True)
    contest_won: Mapped[bool] = mapped_column(default=True)
    offer_expiring: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Campaign(db.Model):
    """A marketing push to a segment's consenting members, optionally promoting an offer."""

    __tablename__ = "push_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("cmp")
    name: Mapped[str] = mapped_column(String(120))
    # {"en": "...", "fi": "..."}: each member gets their language, else the program's default.
    title: Mapped[dict] = mapped_column(JSON)
    body: Mapped[dict] = mapped_column(JSON)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))
    # An offer's campaign stops being delivered when the offer ends (FCM time-to-live).
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    deep_link: Mapped[str | None] = mapped_column(String(500))
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(db.Model):
    """One push to one device: a campaign's or a transactional one, and what became of it.

    ``source`` names what caused it (the campaign, a ledger entry, an offer claim); with the
    device it is unique, so that a job run again after a crash never makes a second delivery.
    """

    __tablename__ = "push_deliveries"
    __table_args__ = (
        UniqueConstraint("source", "device_id"),
        # The daily cap counts a member's recent campaign pushes.
        Index("ix_push_deliveries_member_sent", "member_id", "sent_at"),
        # The sweep finds deliveries whose job died.
        Index("ix_push_deliveries_due", "status", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("ntf")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("push_campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(120))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("push_devices.id"))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    deep_link: Mapped[str] = mapped_column(String(500))
    collapse_key: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(15), default="pending")
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fcm_message_id: Mapped[str | None] = mapped_column(String(200))
    error_code: Mapped[str | None] = mapped_column(String(60))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
