from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Program(db.Model):
    """The loyalty program's settings: one row, created by the seed or the first admin."""

    __tablename__ = "program"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    # Points per whole currency unit, before the tier multiplier.
    base_points_per_unit: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal(1))
    return_window_days: Mapped[int] = mapped_column(default=14)
    points_validity_days: Mapped[int] = mapped_column(default=365)
    tier_window_days: Mapped[int] = mapped_column(default=365)
    # "all": live in every store; "pilot": only in stores or regions marked as pilots.
    rollout: Mapped[str] = mapped_column(String(10), default="all")
    default_language: Mapped[str] = mapped_column(String(5), default="en")
    terms: Mapped[str] = mapped_column(Text, default="")
    # What one point costs the program, in its currency: what liability and returns are
    # valued at (analytics). 0.01 is a point worth a cent.
    cost_per_point: Mapped[Decimal] = mapped_column(Numeric(12, 6), default=Decimal("0.01"))
