from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column

BENEFITS = ("bonus_points", "multiplier", "gift_points", "discount")


class Offer(db.Model):
    """A time-limited offer to a segment (or everyone), with a cap per member and in total."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("total_cap IS NULL OR claimed_count <= total_cap", name="cap_not_exceeded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("off")
    title: Mapped[dict] = mapped_column(JSON)
    body: Mapped[dict] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))
    benefit: Mapped[str] = mapped_column(String(20))
    points: Mapped[int | None]
    multiplier: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    discount_percent: Mapped[int | None]
    per_member_limit: Mapped[int] = mapped_column(default=1)
    total_cap: Mapped[int | None]
    claimed_count: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # A share of the audience (0-50 %) that neither sees nor may claim the offer, drawn per
    # member (app.holdout) and recorded when the offer starts: what its lift is measured on.
    holdout_percent: Mapped[int] = mapped_column(default=0)
    holdout_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()


class OfferClaim(db.Model):
    """A member's claim; shown at the till as `code` and redeemed by the purchase API once."""

    __tablename__ = "offer_claims"
    __table_args__ = (Index("ix_offer_claims_member_offer", "member_id", "offer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("clm")
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # claimed -> redeemed | expired
    status: Mapped[str] = mapped_column(String(10), default="claimed")
    claimed_at: Mapped[datetime] = created_at_column()
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("purchases.id"))
