"""A marketing push to a segment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column

# draft -> scheduled (send_at later) -> sending -> sent; expired: its offer ended before it went.
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "expired")


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
    # A share of the audience (0-50 %) not sent to, drawn per member (app.holdout) and recorded
    # at the fan-out: what the campaign's lift is measured on.
    holdout_percent: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The counts as they stood when retention began deleting the campaign's deliveries
    # (notifications.privacy): from then on they are the campaign's counts.
    archived_counts: Mapped[dict | None] = mapped_column(JSON)
