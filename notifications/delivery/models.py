"""One push to one device, and what became of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column, utcnow

CAMPAIGN_KIND = "campaign"
# pending (due at scheduled_for) -> sent | failed | token_removed | expired | skipped
DELIVERY_STATUSES = ("pending", "sent", "failed", "token_removed", "expired", "skipped")


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
        # Retention deletes deliveries by age (notifications.privacy).
        Index("ix_push_deliveries_created", "created_at"),
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
