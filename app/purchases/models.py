from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column

CHANNELS = ("in_store", "online", "app")


class Purchase(db.Model):
    __tablename__ = "purchases"
    __table_args__ = (
        # A till's receipt counts once, whatever idempotency key a retry carries.
        UniqueConstraint("store_id", "receipt_id"),
        # The last line of defence behind the refund's locked read.
        CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refund_within_amount"
        ),
        CheckConstraint(
            "points_reversed >= 0 AND points_reversed <= points_earned",
            name="reversal_within_earned",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("pur")
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    channel: Mapped[str] = mapped_column(String(10))
    receipt_id: Mapped[str] = mapped_column(String(64))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    points_earned: Mapped[int] = mapped_column(default=0)
    points_reversed: Mapped[int] = mapped_column(default=0)
    refunded_minor: Mapped[int] = mapped_column(default=0)
    # Why nothing was earned, when nothing was (e.g. the program is not live in that store).
    no_points_reason: Mapped[str | None] = mapped_column(String(40))
    recorded_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = created_at_column()


class Refund(db.Model):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("ref")
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), index=True)
    amount_minor: Mapped[int]
    points_reversed: Mapped[int]
    # Points the member had already spent: they cannot be taken below zero.
    points_uncollected: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()


class EarningRule(db.Model):
    """A bonus on top of base points, e.g. double points in one region this weekend."""

    __tablename__ = "earning_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("rul")
    name: Mapped[str] = mapped_column(String(120))
    # "multiplier": extra base points, (multiplier - 1) x base; "fixed": flat points a purchase.
    kind: Mapped[str] = mapped_column(String(10))
    multiplier: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    fixed_points: Mapped[int | None]
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    channel: Mapped[str | None] = mapped_column(String(10))
    min_amount_minor: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
